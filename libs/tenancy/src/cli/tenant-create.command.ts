import { Command, Option } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { CliUsageError } from './cli-usage.error.js';
import { collectValues } from './cli-option.parsers.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/** Flags of `tenant:create`. */
export interface TenantCreateCommandOptions {
  domain?: string[];
  name?: string;
  from?: string;
  withData?: boolean;
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
  description:
    'create a tenant (or a copy of a template tenant with --from): registry row, domains, schema and tables, all or nothing',
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

  @Option({ flags: '--from <template>', description: "copy this tenant's schema (tables, indexes, sequences, migration state)" })
  parseFrom(value: string): string {
    return value;
  }

  @Option({ flags: '--with-data', description: "with --from: copy the template's rows and sequence values too" })
  parseWithData(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print the tenant as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([schema]: string[], options: TenantCreateCommandOptions): Promise<void> {
    if (options.withData && options.from === undefined) {
      throw new CliUsageError('--with-data needs --from TEMPLATE.');
    }
    const tenant = await this.tenancy.createTenant({
      schema,
      name: options.name,
      domains: options.domain,
      ...(options.from !== undefined ? { from: options.from, withData: options.withData === true } : {}),
    });
    if (options.json) {
      this.output.json(tenant);
      return;
    }
    const count = tenant.migrations?.length ?? 0;
    const copy = options.from === undefined ? '' : ` as a copy of "${options.from}"${options.withData ? ' with its data' : ''}`;
    this.output.line(
      `Created tenant ${describeTenant(tenant)}${copy}; applied ${count} tenant migration${count === 1 ? '' : 's'}.`,
    );
  }
}
