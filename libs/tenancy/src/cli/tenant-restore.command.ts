import { Command, Option } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/** Flags of `tenant:restore`. */
export interface TenantRestoreCommandOptions {
  json?: boolean;
}

/**
 * `tenant:restore SCHEMA`: gives back a deleted tenant still kept (`TenancyService.restoreTenant`):
 * its schema, its status, and those of its domains no other tenant took meanwhile.
 *
 * @example npm run cli -- tenant:restore acme
 */
@Command({
  name: 'tenant:restore',
  arguments: '<schema>',
  argsDescription: { schema: 'the schema the deleted tenant had' },
  description: 'restore a deleted tenant: its schema, status and the domains still free',
})
export class TenantRestoreCommand extends TenancyCommand<TenantRestoreCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--json', description: 'print the restored tenant as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([schema]: string[], options: TenantRestoreCommandOptions): Promise<void> {
    const tenant = await this.tenancy.restoreTenant(schema);
    if (options.json) {
      this.output.json(tenant);
      return;
    }
    const { domainsNotRestored, ...details } = tenant;
    this.output.line(
      `Restored tenant ${describeTenant(details)}` +
        (domainsNotRestored.length > 0 ? `; taken meanwhile, not restored: ${domainsNotRestored.join(', ')}.` : '.'),
    );
  }
}
