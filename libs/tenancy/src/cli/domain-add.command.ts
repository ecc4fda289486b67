import { Command, Option } from 'nest-commander';
import { parseDomain } from '../resolution/host.js';
import type { TenantDetails } from '../provisioning/tenant.provisioner.js';
import { DomainTakenError } from '../tenancy.errors.js';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/** Flags of `domain:add`. */
export interface DomainAddCommandOptions {
  primary?: boolean;
  json?: boolean;
}

/**
 * `domain:add SCHEMA HOST`: attaches a host to a tenant; `--primary` makes it the primary domain
 * (also for a host the tenant already has); `--json` prints the tenant as it is now.
 *
 * @example npm run cli -- domain:add acme www.acme.example --primary
 */
@Command({
  name: 'domain:add',
  arguments: '<schema> <host>',
  argsDescription: { schema: 'schema of the tenant', host: 'host name, without port' },
  description: 'attach a domain to a tenant; --primary makes it the primary one',
})
export class DomainAddCommand extends TenancyCommand<DomainAddCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--primary', description: "make it the tenant's primary domain" })
  parsePrimary(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print the tenant with its domains as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([schema, host]: string[], options: DomainAddCommandOptions): Promise<void> {
    const primary = options.primary === true;
    const print = (message: string, tenant: TenantDetails): void =>
      options.json ? this.output.json(tenant) : this.output.line(`${message}: ${describeTenant(tenant)}`);
    try {
      print(`Added ${parseDomain(host)}`, await this.tenancy.addDomain(schema, host, { primary }));
    } catch (error) {
      const normalized = parseDomain(host);
      const tenant = error instanceof DomainTakenError && primary ? await this.tenancy.getTenant(schema) : undefined;
      if (!tenant?.domains.some((domain) => domain.host === normalized)) {
        throw error;
      }
      await this.tenancy.makePrimaryDomain(normalized);
      print(`Made ${normalized} primary`, await this.tenancy.getTenant(schema));
    }
  }
}
