import { Command, Option } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { collectValues } from './cli-option.parsers.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/** Flags of `tenant:create`. */
export interface TenantCreateCommandOptions {
  domain?: string[];
  name?: string;
  json?: boolean;
}

/**
 * `tenant:create SCHEMA`: registry row, domains, schema and every tenant migration, all or
 * nothing (`TenancyService.createTenant`, the code path the app uses).
 *
 * @example npm run cli -- tenant:create acme --domain acme.example.com --name "Acme Corporation"
 */
@Command({
  name: 'tenant:create',
  arguments: '<schema>',
  argsDescription: { schema: 'PostgreSQL schema of the tenant (a-z, 0-9, _; at most 63)' },
  description: 'create a tenant: registry row, domains, schema and tables, all or nothing',
})
export class TenantCreateCommand extends TenancyCommand<TenantCreateCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--domain <host>', description: 'a host name of the tenant (repeatable; the first is primary)' })
  parseDomain(value: string, previous?: string[]): string[] {
    return collectValues(value, previous);
  }

  @Option({ flags: '--name <name>', description: 'display name (default: the schema)' })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the tenant as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([schema]: string[], options: TenantCreateCommandOptions): Promise<void> {
    const tenant = await this.tenancy.createTenant({ schema, name: options.name, domains: options.domain });
    if (options.json) {
      this.output.json(tenant);
      return;
    }
    const count = tenant.migrations?.length ?? 0;
    this.output.line(`Created tenant ${describeTenant(tenant)}; applied ${count} tenant migration${count === 1 ? '' : 's'}.`);
  }
}
