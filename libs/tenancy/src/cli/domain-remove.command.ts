import { Command, Option } from 'nest-commander';
import { parseDomain } from '../resolution/host.js';
import { TenancyService } from '../tenancy.service.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';

/** Flags of `domain:remove`. */
export interface DomainRemoveCommandOptions {
  json?: boolean;
}

/**
 * `domain:remove HOST [--json]`: detaches a domain (a primary domain only when it is the tenant's
 * last); `--json` prints `{ "host": ..., "removed": true }`.
 *
 * @example npm run cli -- domain:remove old.acme.example
 */
@Command({
  name: 'domain:remove',
  arguments: '<host>',
  argsDescription: { host: 'host name, without port' },
  description: 'detach a domain from its tenant',
})
export class DomainRemoveCommand extends TenancyCommand<DomainRemoveCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly tenancy: TenancyService,
  ) {
    super(output);
  }

  @Option({ flags: '--json', description: 'print { host, removed } as JSON' })
  parseJson(): boolean {
    return true;
  }

  protected async execute([host]: string[], options: DomainRemoveCommandOptions): Promise<void> {
    await this.tenancy.removeDomain(host);
    if (options.json) {
      this.output.json({ host: parseDomain(host), removed: true });
    } else {
      this.output.line(`Removed ${parseDomain(host)}.`);
    }
  }
}
