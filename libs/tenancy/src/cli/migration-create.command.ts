import { Command, Option } from 'nest-commander';
import { CliUsageError } from './cli-usage.error.js';
import { CliOutput } from './cli.output.js';
import { MigrationCreator } from './migration.creator.js';
import { TenancyCommand } from './tenancy.command.js';

/** Flags of `migration:create`. */
export interface MigrationCreateCommandOptions {
  shared?: boolean;
  tenant?: boolean;
  name?: string;
  blank?: boolean;
}

/**
 * `migration:create`: writes a migration with the difference between a set's entities and its
 * latest migration into the set's folder (`pathTs`); `--blank` writes an empty one. Build the app
 * afterwards so that `migrate` finds the compiled file.
 *
 * @example npm run cli -- migration:create --tenant --name add_project_color
 */
@Command({
  name: 'migration:create',
  description: "write a migration from the entity diff into the set's folder (--shared or --tenant)",
})
export class MigrationCreateCommand extends TenancyCommand<MigrationCreateCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly creator: MigrationCreator,
  ) {
    super(output);
  }

  @Option({ flags: '--shared', description: 'a migration of the shared set' })
  parseShared(): boolean {
    return true;
  }

  @Option({ flags: '--tenant', description: 'a migration of the tenant set' })
  parseTenant(): boolean {
    return true;
  }

  @Option({ flags: '--name <name>', description: 'name suffix of the migration (Migration<timestamp>_<name>)' })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--blank', description: 'write an empty migration' })
  parseBlank(): boolean {
    return true;
  }

  protected async execute(_params: string[], options: MigrationCreateCommandOptions): Promise<void> {
    const shared = options.shared === true;
    if (shared === (options.tenant === true)) {
      throw new CliUsageError('Say which set the migration is for: --shared or --tenant (one of them).');
    }
    const set = shared ? 'shared' : 'tenant';
    const created = await this.creator.create(set, { name: options.name, blank: options.blank });
    if (!created) {
      this.output.line(`No changes: the ${set} entities match the ${set} migrations; nothing was written.`);
      return;
    }
    this.output.line(`Wrote ${created.path}`);
    for (const statement of created.up.filter(Boolean)) {
      this.output.line(`  ${statement}`);
    }
  }
}
