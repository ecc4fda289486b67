import { Command } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/**
 * `tenant:suspend SCHEMA`: the tenant's hosts answer 403 (after the apps' cache TTL).
 *
 * @example npm run cli -- tenant:suspend acme
 */
@Command({
  name: 'tenant:suspend',
  arguments: '<schema>',
  argsDescription: { schema: 'schema of the tenant' },
  description: 'suspend a tenant (its hosts answer 403)',
})
export class TenantSuspendCommand extends TenancyCommand {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  protected async execute([schema]: string[]): Promise<void> {
    this.output.line(`Suspended tenant ${describeTenant(await this.tenancy.suspend(schema))}.`);
  }
}
