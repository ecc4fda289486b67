import { Inject } from '@nestjs/common';
import { Command, Option } from 'nest-commander';
import type { MigrationSetName } from '../migrations/migration-orm.factory.js';
import { SchemaMigrator } from '../migrations/schema-migrator.js';
import { MigrationError } from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { TenancyService } from '../tenancy.service.js';
import { CliUsageError } from './cli-usage.error.js';
import { CliOutput } from './cli.output.js';
import { describeMigrationResult, type MigrationRunReport } from './migration.reporter.js';
import { TenancyCommand } from './tenancy.command.js';

/** Flags of `migrate:down`. */
export interface MigrateDownCommandOptions {
  shared?: boolean;
  schema?: string;
  to?: string;
  json?: boolean;
}

/**
 * `migrate:down`: rolls back the last migration of the shared schema or of one tenant schema, or
 * with `--to NAME` every migration applied after NAME (NAME itself stays applied).
 *
 * @example npm run cli -- migrate:down --schema acme
 */
@Command({
  name: 'migrate:down',
  description: 'roll back the last migration (or down to --to NAME, which stays applied) of --shared or --schema S',
})
export class MigrateDownCommand extends TenancyCommand<MigrateDownCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly migrator: SchemaMigrator,
    private readonly tenancy: TenancyService,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {
    super(output);
  }

  @Option({ flags: '--shared', description: 'roll back the shared schema' })
  parseShared(): boolean {
    return true;
  }

  @Option({ flags: '--schema <schema>', description: 'roll back this tenant schema' })
  parseSchema(value: string): string {
    return value;
  }

  @Option({ flags: '--to <name>', description: 'roll back every migration applied after this one' })
  parseTo(value: string): string {
    return value.replace(/\.[jt]s$/, '');
  }

  @Option({ flags: '--json', description: 'print one JSON document' })
  parseJson(): boolean {
    return true;
  }

  protected async execute(_params: string[], options: MigrateDownCommandOptions): Promise<void> {
    const shared = options.shared === true;
    if (shared === (options.schema !== undefined)) {
      throw new CliUsageError('Say what to roll back: --shared or --schema S (one of them).');
    }
    const set: MigrationSetName = shared ? 'shared' : 'tenant';
    const schema = options.schema ?? this.options.sharedSchema;
    if (options.schema !== undefined) {
      await this.tenancy.getTenant(options.schema);
    }
    if (options.to !== undefined) {
      const state = (await this.migrator.states(set, [schema])).get(schema);
      if (!state?.applied.includes(options.to)) {
        throw new MigrationError(
          `Migration "${options.to}" is not applied to schema "${schema}" (applied: ${state?.applied.join(', ') || 'none'}); nothing was rolled back.`,
        );
      }
    }
    const result = await this.migrator.revert(set, schema, options.to !== undefined ? { to: options.to } : {});
    if (options.json) {
      const report: MigrationRunReport = { ok: true, summary: { [result.status]: 1 }, results: [result] };
      this.output.json(report);
    } else if (result.migrations.length === 0) {
      this.output.line(`${set === 'shared' ? `${schema} (shared)` : schema}: nothing to roll back`);
    } else {
      this.output.line(describeMigrationResult(result));
    }
  }
}
