import { Command, Option } from 'nest-commander';
import { SchemaMigrator } from '../migrations/schema-migrator.js';
import type { DeletedTenant } from '../provisioning/tenant-deletion.service.js';
import type { TenantDetails } from '../provisioning/tenant.provisioner.js';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeDomains, describeStatus } from './tenant.presenter.js';

/** Flags of `tenant:list`. */
export interface TenantListCommandOptions {
  json?: boolean;
  deleted?: boolean;
}

/** A tenant as `tenant:list --json` prints it. */
export interface TenantListEntry extends Omit<TenantDetails, 'migrations'> {
  /** Tenant migrations applied to the tenant's schema, and those still pending. */
  migrations: { applied: string[]; pending: string[] };
}

/**
 * `tenant:list`: every tenant with its domains, status and migration state.
 *
 * @example npm run cli -- tenant:list --json
 */
@Command({ name: 'tenant:list', description: 'tenants with their domains, status and migration state' })
export class TenantListCommand extends TenancyCommand<TenantListCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
    private readonly migrator: SchemaMigrator,
  ) {
    super(output);
  }

  @Option({ flags: '--json', description: 'print one JSON document' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '--deleted', description: 'deleted tenants still kept (tenant:restore), instead of the live ones' })
  parseDeleted(): boolean {
    return true;
  }

  protected async execute(_params: string[], options: TenantListCommandOptions): Promise<void> {
    if (options.deleted) {
      return this.listDeleted(options.json === true);
    }
    const tenants = await this.tenancy.listTenants();
    const states = await this.migrator.states(
      'tenant',
      tenants.map((tenant) => tenant.schema),
    );
    const entries: TenantListEntry[] = tenants.map((tenant) => ({
      ...tenant,
      migrations: { applied: states.get(tenant.schema)?.applied ?? [], pending: states.get(tenant.schema)?.pending ?? [] },
    }));
    if (options.json) {
      this.output.json({ tenants: entries });
    } else if (this.output.interactive) {
      this.output.table(
        ['schema', 'name', 'status', 'domains', 'migrations'],
        entries.map((entry) => [
          entry.schema,
          entry.name,
          describeStatus(entry),
          describeDomains(entry).replaceAll(', ', '\n'),
          describeMigrations(entry),
        ]),
      );
      this.output.line(`${entries.length} tenant${entries.length === 1 ? '' : 's'}`);
    } else {
      for (const entry of entries) {
        this.output.line(
          [entry.schema, describeStatus(entry), entry.name, describeDomains(entry), describeMigrations(entry)].join('\t'),
        );
      }
    }
  }

  private async listDeleted(json: boolean): Promise<void> {
    const tenants = await this.tenancy.listDeletedTenants();
    if (json) {
      this.output.json({ tenants });
    } else if (this.output.interactive) {
      this.output.table(['schema', 'kept as', 'deleted', 'purge after', 'domains'], tenants.map(describeDeleted));
      this.output.line(`${tenants.length} deleted tenant${tenants.length === 1 ? '' : 's'}`);
    } else {
      for (const tenant of tenants) {
        this.output.line(describeDeleted(tenant).join('\t'));
      }
    }
  }
}

function describeDeleted(tenant: DeletedTenant): string[] {
  return [
    tenant.schema,
    tenant.deletedSchema ?? 'no schema',
    `deleted ${tenant.deletedAt.toISOString()}`,
    `purge after ${tenant.purgeAfter.toISOString()}`,
    tenant.domains.join(', ') || 'no domain',
  ];
}

function describeMigrations(entry: TenantListEntry): string {
  return `${entry.migrations.applied.length} applied, ${entry.migrations.pending.length} pending`;
}
