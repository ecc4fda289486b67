import { Command, Option } from 'nest-commander';
import type { PurgeResult } from '../provisioning/tenant-deletion.service.js';
import { TenancyService } from '../tenancy.service.js';
import { CliUsageError } from './cli-usage.error.js';
import { collectValues, parseDuration } from './cli-option.parsers.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';

/** Flags of `purge`. */
export interface PurgeCommandOptions {
  schema?: string[];
  all?: boolean;
  olderThan?: number;
  dryRun?: boolean;
  json?: boolean;
}

/** The JSON document of `purge --json`. */
export interface PurgeReport {
  /** False when any purge failed (the exit code is then 1). */
  ok: boolean;
  results: PurgeResult[];
}

/**
 * `purge`: drops the schemas (and registry rows) of deleted tenants kept longer than the
 * `deletedRetention` option; `--older-than 7d` instead of it, `--all` whatever their age,
 * `--schema S` (repeatable) only those, `--dry-run` lists them.
 *
 * @example npm run cli -- purge --older-than 7d --dry-run
 */
@Command({
  name: 'purge',
  description: 'drop the schemas of deleted tenants whose retention has passed',
})
export class PurgeCommand extends TenancyCommand<PurgeCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--schema <schema>', description: 'only the deleted tenant that had this schema (repeatable)' })
  parseSchema(value: string, previous?: string[]): string[] {
    return collectValues(value, previous);
  }

  @Option({ flags: '--all', description: 'every deleted tenant selected, whatever its age' })
  parseAll(): boolean {
    return true;
  }

  @Option({
    flags: '--older-than <duration>',
    description: 'deleted longer ago than this (30d, 12h, 15m, 90s), instead of deletedRetention',
  })
  parseOlderThan(value: string): number {
    return parseDuration(value);
  }

  @Option({ flags: '--dry-run', description: 'list what would be purged; change nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print one JSON document' })
  parseJson(): boolean {
    return true;
  }

  protected async execute(_params: string[], options: PurgeCommandOptions): Promise<void> {
    if (options.all && options.olderThan !== undefined) {
      throw new CliUsageError('--all and --older-than cannot be combined.');
    }
    const results = await this.tenancy.purgeDeletedTenants({
      schemas: options.schema,
      all: options.all,
      olderThan: options.olderThan,
      dryRun: options.dryRun,
    });
    const failed = results.filter((result) => result.status === 'failed');
    if (options.json) {
      this.output.json({ ok: failed.length === 0, results } satisfies PurgeReport);
    } else {
      for (const result of results) {
        const kept = result.deletedSchema ?? 'no schema';
        this.output.line(
          `${result.schema}: ${result.status} (${kept}, deleted ${result.deletedAt.toISOString()})${result.error ? `: ${result.error}` : ''}`,
        );
      }
      const done = results.length - failed.length;
      this.output.line(
        `${options.dryRun ? 'Would purge' : 'Purged'} ${done} deleted tenant${done === 1 ? '' : 's'}${failed.length > 0 ? `, ${failed.length} failed` : ''}.`,
      );
    }
    if (failed.length > 0) {
      this.fail(
        `Purging ${failed.length} of ${results.length} deleted tenants failed (${failed.map((r) => r.schema).join(', ')}): ${failed[0].error}`,
      );
    }
  }
}
