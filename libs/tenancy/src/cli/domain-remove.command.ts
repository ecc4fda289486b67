import { Command } from 'nest-commander';
import { parseDomain } from '../resolution/host.js';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';

/**
 * `domain:remove HOST`: detaches a domain (a primary domain only when it is the tenant's last).
 *
 * @example npm run cli -- domain:remove old.acme.example
 */
@Command({
  name: 'domain:remove',
  arguments: '<host>',
  argsDescription: { host: 'host name, without port' },
  description: 'detach a domain from its tenant',
})
export class DomainRemoveCommand extends TenancyCommand {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  protected async execute([host]: string[]): Promise<void> {
    await this.tenancy.removeDomain(host);
    this.output.line(`Removed ${parseDomain(host)}.`);
  }
}
