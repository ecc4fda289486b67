import { CommandRunner } from 'nest-commander';
import { errorMessage } from '../migrations/schema-migrator.js';
import { CliUsageError } from './cli-usage.error.js';
import { CliOutput } from './cli.output.js';

/** The commander `Command` nest-commander hands to each command. */
type CommanderCommand = Parameters<CommandRunner['setCommand']>[0];

/**
 * Base of the library's commands: a failure sets exit code 1 and prints a one-line reason on
 * stderr; a usage error also prints the command's usage. Commands never call `process.exit`, so
 * the app closes (connection pools, an embedded database) before the process ends.
 */
export abstract class TenancyCommand<TOptions extends object = object> extends CommandRunner {
  constructor(protected readonly output: CliOutput) {
    super();
  }

  /** Also makes commander's own argument errors (unknown option, missing argument) fail with usage. */
  override setCommand(command: CommanderCommand): this {
    command.exitOverride();
    command.showHelpAfterError();
    command.allowExcessArguments(false);
    return super.setCommand(command);
  }

  async run(params: string[], options?: TOptions): Promise<void> {
    try {
      await this.execute(params, options ?? ({} as TOptions));
    } catch (error) {
      this.fail(errorMessage(error));
      if (error instanceof CliUsageError) {
        process.stderr.write(`\n${this.command.helpInformation()}`);
      }
    }
  }

  /** The command's work; throw to fail (a {@link CliUsageError} also prints the usage). */
  protected abstract execute(params: string[], options: TOptions): Promise<void>;

  /** Marks the run as failed (exit code 1) with a one-line reason on stderr. */
  protected fail(reason: string): void {
    process.exitCode = 1;
    this.output.error(reason);
  }
}
