import { resolve } from 'node:path';
import { Command, Option } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { CliUsageError } from './cli-usage.error.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';

/** Flags of `tenant:export`. */
export interface TenantExportCommandOptions {
  out?: string;
  json?: boolean;
}

/**
 * `tenant:export SCHEMA --out FILE`: the tenant's schema, rows and migration state in one file
 * (`pg_dump`'s custom format; needs the PostgreSQL client tools on PATH).
 *
 * @example npx tenancy tenant:export acme --out acme.dump
 */
@Command({
  name: 'tenant:export',
  arguments: '<schema>',
  description: "write a tenant's schema, rows and migration state to a file (pg_dump on PATH)",
})
export class TenantExportCommand extends TenancyCommand<TenantExportCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--out <file>', description: 'the file to write' })
  parseOut(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([schema]: string[], options: TenantExportCommandOptions): Promise<void> {
    if (!options.out) {
      throw new CliUsageError('--out FILE is required.');
    }
    const result = await this.tenancy.exportTenant(schema, resolve(options.out));
    if (options.json) {
      this.output.json(result);
      return;
    }
    this.output.line(`Exported tenant "${schema}" to ${result.file}.`);
  }
}
