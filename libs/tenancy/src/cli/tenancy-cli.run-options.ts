import type { LoggerService, LogLevel } from '@nestjs/common';
import type { CommandFactory } from 'nest-commander';
import { errorMessage } from '../migrations/schema-migrator.js';

/** Options of nest-commander's `CommandFactory.run`. */
export type TenancyCliRunOptions = Exclude<
  Parameters<typeof CommandFactory.run>[1],
  undefined | false | LogLevel[] | LoggerService
>;

/**
 * `CommandFactory.run` options for a CLI built on {@link TenancyCliModule}: commander's parse
 * errors and `--help` set the exit code instead of calling `process.exit` (so the app still closes
 * its pools), an error anywhere else becomes a one-line reason on stderr and exit code 1, and
 * Nest's own logging is off (stdout carries results and JSON only).
 *
 * @example await CommandFactory.run(CliModule, tenancyCliRunOptions());
 */
export function tenancyCliRunOptions(overrides: Partial<TenancyCliRunOptions> = {}): TenancyCliRunOptions {
  return {
    logger: false,
    abortOnError: false,
    errorHandler: (error: Error) => {
      throw error;
    },
    serviceErrorHandler: (error: Error) => {
      if (isCommanderExit(error)) {
        process.exitCode = error.exitCode;
        return;
      }
      process.exitCode = 1;
      process.stderr.write(`error: ${errorMessage(error)}\n`);
    },
    ...overrides,
  };
}

/** commander's own exits (usage errors, `--help`), already reported by commander. */
function isCommanderExit(error: unknown): error is Error & { exitCode: number } {
  const { code, exitCode } = error as { code?: unknown; exitCode?: unknown };
  return typeof code === 'string' && code.startsWith('commander.') && typeof exitCode === 'number';
}
