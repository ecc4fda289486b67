import { Command } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/**
 * `tenant:resume SCHEMA`: makes a suspended tenant active again.
 *
 * @example npm run cli -- tenant:resume acme
 */
@Command({
  name: 'tenant:resume',
  arguments: '<schema>',
  argsDescription: { schema: 'schema of the tenant' },
  description: 'make a suspended tenant active again',
})
export class TenantResumeCommand extends TenancyCommand {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  protected async execute([schema]: string[]): Promise<void> {
    this.output.line(`Resumed tenant ${describeTenant(await this.tenancy.resume(schema))}.`);
  }
}
