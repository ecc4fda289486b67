import { Command, Option } from 'nest-commander';
import { TenancyChecker } from '../check/tenancy.checker.js';
import type { TenancyCheckReport } from '../check/tenancy-check.report.js';
import { collectValues } from './cli-option.parsers.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';

/** Flags of `check`. */
export interface CheckCommandOptions {
  schema?: string[];
  ignoreSchema?: string[];
  citus?: boolean;
  entities?: boolean;
  json?: boolean;
}

/**
 * `check`: whether the database matches the entities' migrations, per tenant (schema present,
 * migrations pending or unknown, drift from what the migrations build), orphan schemas, foreign
 * keys to shared tables (refused by Citus), and with `--entities` entities changed with no
 * migration written for them. Exit 1 when something needs action.
 *
 * @example npx tenancy check --json
 */
@Command({
  name: 'check',
  description:
    'check every tenant schema against the migrations (pending, unknown, drift), orphan schemas, Citus foreign keys, entities without a migration',
})
export class CheckCommand extends TenancyCommand<CheckCommandOptions> {
  constructor(
    output: CliOutput,
    private readonly checker: TenancyChecker,
  ) {
    super(output);
  }

  @Option({ flags: '--schema <schema>', description: 'only this tenant (repeatable; orphan schemas are then not looked for)' })
  parseSchema(value: string, previous?: string[]): string[] {
    return collectValues(value, previous);
  }

  @Option({ flags: '--ignore-schema <schema>', description: 'a schema that is not a tenant and not an orphan (repeatable)' })
  parseIgnoreSchema(value: string, previous?: string[]): string[] {
    return collectValues(value, previous);
  }

  @Option({
    flags: '--citus',
    description: 'count foreign keys to shared tables as problems (default: only when the citus extension is installed)',
  })
  parseCitus(): boolean {
    return true;
  }

  @Option({
    flags: '--entities',
    description: 'also compare the entities with what the migrations build (entities changed with no migration)',
  })
  parseEntities(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print one JSON document' })
  parseJson(): boolean {
    return true;
  }

  protected async execute(_params: string[], options: CheckCommandOptions): Promise<void> {
    const report = await this.checker.check({
      schemas: options.schema,
      ignoreSchemas: options.ignoreSchema,
      ...(options.citus ? { citus: true } : {}),
      ...(options.entities ? { entities: true } : {}),
    });
    if (options.json) {
      this.output.json(report);
    } else {
      this.print(report);
    }
    if (!report.ok) {
      const { needsAction, orphanSchemas } = report.summary;
      const others = report.problems.length - (orphanSchemas > 0 ? 1 : 0);
      const parts = [
        needsAction > 0 ? `${plural(needsAction, 'tenant')} ${needsAction === 1 ? 'needs' : 'need'} action` : '',
        orphanSchemas > 0 ? plural(orphanSchemas, 'orphan schema') : '',
        others > 0 ? plural(others, 'other finding') : '',
      ].filter(Boolean);
      this.fail(`check found problems: ${parts.join(', ')}.`);
    }
  }

  private print(report: TenancyCheckReport): void {
    const failing = report.tenants.filter((tenant) => tenant.status !== 'ok');
    if (this.output.interactive && failing.length > 0) {
      this.output.table(
        ['schema', 'problem'],
        failing.flatMap((tenant) => tenant.problems.map((problem) => [tenant.schema, problem])),
      );
    } else {
      for (const tenant of failing) {
        this.output.line(`${tenant.schema}: ${tenant.problems.join(' ')}`);
      }
    }
    for (const problem of report.problems) {
      this.output.line(problem);
    }
    const { foreignKeysToShared: fks } = report;
    if (!fks.citus && fks.advice) {
      const found = fks.inMigrations.map((fk) => `${fk.name} -> ${fk.references}`).join(', ');
      this.output.line(
        `Note: tenant tables have foreign keys to shared tables${found ? ` (${found})` : ''}; fine on PostgreSQL. ${fks.advice}`,
      );
    }
    const { summary } = report;
    this.output.line(
      `Checked ${plural(summary.tenants, 'tenant')} in ${summary.durationMs} ms: ${summary.ok} ok, ${summary.needsAction} need action; ` +
        `${plural(summary.orphanSchemas, 'orphan schema')}.`,
    );
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
