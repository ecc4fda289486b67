import { resolve } from 'node:path';
import { Command, Option } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { collectValues } from './cli-option.parsers.js';
import { CliUsageError } from './cli-usage.error.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/** Flags of `tenant:import`. */
export interface TenantImportCommandOptions {
  schema?: string;
  domain?: string[];
  name?: string;
  json?: boolean;
}

/**
 * `tenant:import FILE --schema NEW`: a new tenant from a `tenant:export` file, all or nothing
 * (`pg_restore` on PATH); the file's migration state comes along, pending migrations then run,
 * a file ahead of the app is refused.
 *
 * @example npx tenancy tenant:import acme.dump --schema acme_copy --domain copy.acme.test
 */
@Command({
  name: 'tenant:import',
  arguments: '<file>',
  description: 'create a tenant from a tenant:export file under a new schema (pg_restore on PATH)',
})
export class TenantImportCommand extends TenancyCommand<TenantImportCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--schema <schema>', description: 'schema of the new tenant' })
  parseSchema(value: string): string {
    return value;
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

  protected async execute([file]: string[], options: TenantImportCommandOptions): Promise<void> {
    if (!options.schema) {
      throw new CliUsageError('--schema NEW is required.');
    }
    const tenant = await this.tenancy.importTenant(resolve(file), {
      schema: options.schema,
      name: options.name,
      domains: options.domain,
    });
    if (options.json) {
      this.output.json(tenant);
      return;
    }
    const count = tenant.migrations?.length ?? 0;
    this.output.line(`Imported tenant ${describeTenant(tenant)}; applied ${count} tenant migration${count === 1 ? '' : 's'}.`);
  }
}
