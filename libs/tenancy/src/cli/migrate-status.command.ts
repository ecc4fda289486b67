import { Command, Option } from 'nest-commander';
import type { SchemaMigrationState } from '../migrations/migration-result.js';
import { RegistryNotMigratedError } from '../tenancy.errors.js';
import { SchemaSelectionCommand, type SchemaSelectionOptions } from './schema-selection.command.js';

/** Flags of `migrate:status`. */
export interface MigrateStatusCommandOptions extends SchemaSelectionOptions {
  json?: boolean;
}

/** The JSON document of `migrate:status --json`. */
export interface MigrationStatusReport {
  /** The shared schema first, then tenant schemas by name. */
  schemas: SchemaMigrationState[];
}

/**
 * `migrate:status`: applied and pending migrations per schema, read with one query across the
 * schemas' migration tables.
 *
 * @example npm run cli -- migrate:status --json
 */
@Command({ name: 'migrate:status', description: 'applied and pending migrations per schema' })
export class MigrateStatusCommand extends SchemaSelectionCommand<MigrateStatusCommandOptions> {
  @Option({ flags: '--json', description: 'print one JSON document' })
  parseJson(): boolean {
    return true;
  }

  protected async execute(_params: string[], options: MigrateStatusCommandOptions): Promise<void> {
    const states: SchemaMigrationState[] = [];
    if (this.includesShared(options)) {
      const shared = this.options.sharedSchema;
      states.push(...(await this.migrator.states('shared', [shared])).values());
    }
    let registryMissing = false;
    if (!options.shared) {
      const schemas = await this.migrator.selectTenantSchemas(options.schema).catch((error: unknown) => {
        // a new database: no registry, so no tenant yet; the shared state above says what to run
        if (error instanceof RegistryNotMigratedError && options.schema === undefined) {
          registryMissing = true;
          return [];
        }
        throw error;
      });
      states.push(...(await this.migrator.states('tenant', schemas)).values());
    }
    if (options.json) {
      const report: MigrationStatusReport = { schemas: states };
      this.output.json(report);
    } else if (this.output.interactive) {
      this.output.table(
        ['schema', 'set', 'applied', 'pending'],
        states.map((state) => [state.schema, state.set, state.applied.length, state.pending.join('\n')]),
      );
      const behind = states.filter((state) => state.pending.length > 0).length;
      this.output.line(`${states.length} schemas, ${behind} with pending migrations`);
    } else {
      for (const state of states) {
        this.output.line(describeState(state));
      }
    }
    if (registryMissing && !options.json) {
      this.output.line('No tenant registry yet: run the shared migrations first (npx tenancy migrate --shared).');
    }
  }
}

function describeState(state: SchemaMigrationState): string {
  const label = state.set === 'shared' ? `${state.schema} (shared)` : state.schema;
  const pending = state.pending.length > 0 ? `: ${state.pending.join(', ')}` : '';
  return `${label}: ${state.applied.length} applied, ${state.pending.length} pending${pending}`;
}
