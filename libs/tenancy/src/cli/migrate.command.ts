import { Command, Option } from 'nest-commander';
import type { MigrateAllReport } from '../migrations/schema-migrator.js';
import { parsePositiveInteger } from './cli-option.parsers.js';
import { MigrationReporter } from './migration.reporter.js';
import { SchemaSelectionCommand, type SchemaSelectionOptions } from './schema-selection.command.js';

/** Flags of `migrate`. */
export interface MigrateCommandOptions extends SchemaSelectionOptions {
  concurrency?: number;
  dryRun?: boolean;
  json?: boolean;
  failFast?: boolean;
}

/**
 * `migrate`: the shared set on the shared schema, then the tenant set on every tenant schema
 * (bounded concurrency, each schema in its own transaction under its advisory lock). A failing
 * schema is reported and the others go on; the exit code is 1 when any failed.
 *
 * @example npm run cli -- migrate --concurrency 8 --json
 */
@Command({
  name: 'migrate',
  description: 'apply pending migrations: the shared set, then every tenant schema',
})
export class MigrateCommand extends SchemaSelectionCommand<MigrateCommandOptions> {
  @Option({ flags: '--concurrency <n>', description: 'tenant schemas migrated at once (default: migrationConcurrency, 4)' })
  parseConcurrency(value: string): number {
    return parsePositiveInteger(value);
  }

  @Option({ flags: '--dry-run', description: 'list what would run per schema; change nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--fail-fast', description: 'start no further schema after the first failure' })
  parseFailFast(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print one JSON document with a result per schema' })
  parseJson(): boolean {
    return true;
  }

  protected async execute(_params: string[], options: MigrateCommandOptions): Promise<void> {
    const reporter = new MigrationReporter(this.output, options.json === true);
    const dryRun = options.dryRun === true;
    const shared = this.includesShared(options);
    let report: MigrateAllReport;
    try {
      report = await this.migrator.migrateAll({
        shared,
        tenants: !options.shared,
        schemas: options.schema,
        concurrency: options.concurrency,
        failFast: options.failFast,
        dryRun,
        onResult: (result) => reporter.add(result),
        onTenantsStart: (schemas) => reporter.start(schemas.length, dryRun ? 'Planning' : 'Migrating'),
      });
    } finally {
      reporter.stop();
    }
    const results = reporter.finish(report.schemas);
    const failed = results.filter((result) => result.status === 'failed');
    if (report.shared?.status === 'failed') {
      this.fail(`The shared migrations failed, so no tenant schema was migrated: ${report.shared.error}`);
    } else if (failed.length > 0) {
      const names = failed.map((result) => result.schema);
      const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
      this.fail(`${failed.length} of ${results.length} schemas failed to migrate (${shown}): ${failed[0].error}`);
    }
  }
}
