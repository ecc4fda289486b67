import { Command, Option } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/** Flags of `tenant:resume`. */
export interface TenantResumeCommandOptions {
  json?: boolean;
}

/**
 * `tenant:resume SCHEMA [--json]`: makes a suspended tenant active again.
 *
 * @example npm run cli -- tenant:resume acme
 */
@Command({
  name: 'tenant:resume',
  arguments: '<schema>',
  argsDescription: { schema: 'schema of the tenant' },
  description: 'make a suspended tenant active again',
})
export class TenantResumeCommand extends TenancyCommand<TenantResumeCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--json', description: 'print the resumed tenant as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([schema]: string[], options: TenantResumeCommandOptions): Promise<void> {
    const tenant = await this.tenancy.resume(schema);
    if (options.json) {
      this.output.json(tenant);
    } else {
      this.output.line(`Resumed tenant ${describeTenant(tenant)}.`);
    }
  }
}
