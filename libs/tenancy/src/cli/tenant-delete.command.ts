import { Command, Option } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';

/** Flags of `tenant:delete`. */
export interface TenantDeleteCommandOptions {
  dropSchema?: boolean;
  json?: boolean;
}

/**
 * `tenant:delete SCHEMA`: the tenant is no longer served and its domains are released; its schema
 * is renamed aside and kept for the `deletedRetention` option (`tenant:restore` gives it back,
 * `purge` drops it later), or dropped at once, with its registry row, with `--drop-schema`.
 *
 * @example npm run cli -- tenant:delete acme
 */
@Command({
  name: 'tenant:delete',
  arguments: '<schema>',
  argsDescription: { schema: 'schema of the tenant' },
  description: 'delete a tenant: its schema is kept aside for the retention (tenant:restore), or dropped with --drop-schema',
})
export class TenantDeleteCommand extends TenancyCommand<TenantDeleteCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--drop-schema', description: "drop the tenant's schema and all its data now (no restore)" })
  parseDropSchema(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print the deleted tenant as kept, as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([schema]: string[], options: TenantDeleteCommandOptions): Promise<void> {
    const dropSchema = options.dropSchema === true;
    const deleted = await this.tenancy.deleteTenant(schema, { dropSchema });
    if (options.json) {
      this.output.json(deleted ?? { schema, dropped: true });
    } else if (!deleted) {
      this.output.line(`Deleted tenant ${schema} and dropped its schema.`);
    } else {
      this.output.line(
        `Deleted tenant ${schema}; ${deleted.deletedSchema ? `its schema is kept as ${deleted.deletedSchema}` : 'it had no schema'} ` +
          `until ${deleted.purgeAfter.toISOString()} (tenant:restore ${schema} gives it back).`,
      );
    }
  }
}
