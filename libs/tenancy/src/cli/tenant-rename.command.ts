import { Command, Option } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/** Flags of `tenant:rename`. */
export interface TenantRenameCommandOptions {
  json?: boolean;
}

/**
 * `tenant:rename OLD NEW`: renames the tenant's schema and its registry row in one transaction
 * (`TenancyService.renameTenant`); NEW follows the rules of `tenant:create`.
 *
 * @example npm run cli -- tenant:rename acme acme_corp
 */
@Command({
  name: 'tenant:rename',
  arguments: '<schema> <newSchema>',
  argsDescription: { schema: 'schema of the tenant', newSchema: 'its new schema name (a-z, 0-9, _; at most 63)' },
  description: "rename a tenant's schema: schema and registry row in one transaction",
})
export class TenantRenameCommand extends TenancyCommand<TenantRenameCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--json', description: 'print the renamed tenant as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([schema, newSchema]: string[], options: TenantRenameCommandOptions): Promise<void> {
    const tenant = await this.tenancy.renameTenant(schema, newSchema);
    if (options.json) {
      this.output.json(tenant);
      return;
    }
    this.output.line(`Renamed tenant ${schema} to ${describeTenant(tenant)}.`);
  }
}
