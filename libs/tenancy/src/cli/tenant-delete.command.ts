import { Command, Option } from 'nest-commander';
import { quoteIdentifier } from '../postgres/schema-name.js';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';

/** Flags of `tenant:delete`. */
export interface TenantDeleteCommandOptions {
  dropSchema?: boolean;
}

/**
 * `tenant:delete SCHEMA`: removes the tenant and its domains; its schema (and all its data) is
 * dropped only with `--drop-schema`.
 *
 * @example npm run cli -- tenant:delete acme --drop-schema
 */
@Command({
  name: 'tenant:delete',
  arguments: '<schema>',
  argsDescription: { schema: 'schema of the tenant' },
  description: 'remove a tenant and its domains; drop its schema only with --drop-schema',
})
export class TenantDeleteCommand extends TenancyCommand<TenantDeleteCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--drop-schema', description: "also drop the tenant's schema and all its data" })
  parseDropSchema(): boolean {
    return true;
  }

  protected async execute([schema]: string[], options: TenantDeleteCommandOptions): Promise<void> {
    const dropSchema = options.dropSchema === true;
    await this.tenancy.deleteTenant(schema, { dropSchema });
    this.output.line(
      dropSchema
        ? `Deleted tenant ${schema} and dropped its schema.`
        : `Deleted tenant ${schema}; its schema ${quoteIdentifier(schema)} and its data were kept.`,
    );
  }
}
