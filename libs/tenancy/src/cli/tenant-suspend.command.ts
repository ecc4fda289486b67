import { Command, Option } from 'nest-commander';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';
import { describeTenant } from './tenant.presenter.js';

/** Flags of `tenant:suspend`. */
export interface TenantSuspendCommandOptions {
  reason?: string;
  json?: boolean;
}

/**
 * `tenant:suspend SCHEMA [--reason TEXT] [--json]`: the tenant's hosts answer 403 with the reason and the
 * suspension time (at once in the apps that LISTEN, after their cache TTL in the others).
 *
 * @example npm run cli -- tenant:suspend acme --reason "Invoice 2026-11 unpaid"
 */
@Command({
  name: 'tenant:suspend',
  arguments: '<schema>',
  argsDescription: { schema: 'schema of the tenant' },
  description: 'suspend a tenant (its hosts answer 403)',
})
export class TenantSuspendCommand extends TenancyCommand<TenantSuspendCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--reason <text>', description: 'why (1-500 characters; shown in the 403 answer and in tenant:list)' })
  parseReason(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the suspended tenant as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([schema]: string[], options: TenantSuspendCommandOptions): Promise<void> {
    const tenant = await this.tenancy.suspend(schema, { reason: options.reason });
    if (options.json) {
      this.output.json(tenant);
    } else {
      this.output.line(`Suspended tenant ${describeTenant(tenant)}.`);
    }
  }
}
