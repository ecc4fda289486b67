import { TableNotFoundException } from '@mikro-orm/core';
import { Inject } from '@nestjs/common';
import { Command, Option } from 'nest-commander';
import type { SchemaMigrationResult } from '../migrations/migration-result.js';
import { errorMessage, SchemaMigrator } from '../migrations/schema-migrator.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { TenancyService } from '../tenancy.service.js';
import { CliUsageError } from './cli-usage.error.js';
import { collectValues, parsePositiveInteger } from './cli-option.parsers.js';
import { CliOutput } from './cli.output.js';
import { MigrationReporter } from './migration.reporter.js';
import { TenancyCommand } from './tenancy.command.js';
import { selectTenantSchemas } from './tenant-schema.selection.js';

/** Flags of `migrate`. */
export interface MigrateCommandOptions {
  shared?: boolean;
  tenants?: boolean;
  schema?: string[];
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
export class MigrateCommand extends TenancyCommand<MigrateCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly migrator: SchemaMigrator,
    private readonly tenancy: TenancyService,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {
    super(output);
  }

  @Option({ flags: '--shared', description: 'the shared schema only' })
  parseShared(): boolean {
    return true;
  }

  @Option({ flags: '--tenants', description: 'tenant schemas only' })
  parseTenants(): boolean {
    return true;
  }

  @Option({ flags: '--schema <schema>', description: 'only this tenant schema (repeatable; implies --tenants)' })
  parseSchema(value: string, previous?: string[]): string[] {
    return collectValues(value, previous);
  }

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
    if (options.shared && (options.tenants || options.schema)) {
      throw new CliUsageError('--shared cannot be combined with --tenants or --schema.');
    }
    const reporter = new MigrationReporter(this.output, options.json === true);
    const dryRun = options.dryRun === true;
    let order: string[] = [];
    let sharedFailed = false;
    let sharedPlanned = false;
    if (!options.tenants && !options.schema) {
      let shared = await this.migrator.migrateShared({ dryRun }).catch((error: unknown): SchemaMigrationResult => ({
        schema: this.options.sharedSchema,
        set: 'shared',
        status: 'failed',
        migrations: [],
        durationMs: 0,
        error: errorMessage(error),
      }));
      if (shared.status === 'planned' && shared.migrations.length === 0) {
        shared = { ...shared, status: 'up-to-date' };
      }
      reporter.add(shared);
      sharedFailed = shared.status === 'failed';
      sharedPlanned = shared.status === 'planned';
    }
    if (!options.shared && !sharedFailed) {
      order = await selectTenantSchemas(this.tenancy, options.schema).catch((error: unknown) => {
        // a dry run on a new database: the registry comes with a shared migration not applied yet
        if (sharedPlanned && error instanceof TableNotFoundException) {
          return [];
        }
        throw error;
      });
      reporter.start(order.length, dryRun ? 'Planning' : 'Migrating');
      try {
        await this.migrator.migrateTenants(order, {
          concurrency: options.concurrency,
          failFast: options.failFast,
          dryRun,
          onResult: (result) => reporter.add(result),
        });
      } finally {
        reporter.stop();
      }
    }
    const results = reporter.finish(order);
    const failed = results.filter((result) => result.status === 'failed');
    if (sharedFailed) {
      this.fail(`The shared migrations failed, so no tenant schema was migrated: ${failed[0].error}`);
    } else if (failed.length > 0) {
      const names = failed.map((result) => result.schema);
      const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
      this.fail(`${failed.length} of ${results.length} schemas failed to migrate (${shown}): ${failed[0].error}`);
    }
  }
}
