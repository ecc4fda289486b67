import type { SchemaMigrationResult, SchemaMigrationStatus } from '../migrations/migration-result.js';
import { type CliProgress, CliOutput } from './cli.output.js';

/** The JSON document of `migrate --json` and `migrate:down --json`. */
export interface MigrationRunReport {
  /** False when any schema failed (the exit code is then 1). */
  ok: boolean;
  /** Schemas per status. */
  summary: Partial<Record<SchemaMigrationStatus, number>>;
  /** One result per schema: the shared schema first, then tenant schemas in the order asked. */
  results: SchemaMigrationResult[];
}

const STATUS_ORDER: SchemaMigrationStatus[] = ['failed', 'skipped', 'migrated', 'reverted', 'planned', 'up-to-date'];

/**
 * Reports a migration run in the CLI's three output modes: piped, one plain line per schema as it
 * finishes; on a terminal, a progress bar while tenant schemas run and a summary table at the end;
 * with `--json`, one JSON document ({@link MigrationRunReport}) at the end.
 */
export class MigrationReporter {
  private readonly results: SchemaMigrationResult[] = [];
  private progress?: CliProgress;

  constructor(
    private readonly output: CliOutput,
    private readonly json: boolean,
  ) {}

  /** A run over `total` schemas starts (a progress bar on a terminal). */
  start(total: number, title: string): void {
    if (!this.json) {
      this.progress = this.output.progress(total, title);
    }
  }

  /** One schema is done. */
  add(result: SchemaMigrationResult): void {
    this.results.push(result);
    if (this.json) {
      return;
    }
    if (this.output.interactive) {
      this.progress?.tick(result.schema);
    } else {
      this.output.line(describeMigrationResult(result));
    }
  }

  /** Removes the progress bar (also when the run throws). */
  stop(): void {
    this.progress?.stop();
    this.progress = undefined;
  }

  /** Prints the summary (terminal) or the JSON document; returns the results in the order given. */
  finish(order: string[] = []): SchemaMigrationResult[] {
    this.stop();
    const rank = new Map(order.map((schema, index) => [schema, index]));
    const results = [...this.results].sort(
      (a, b) =>
        (a.set === b.set ? 0 : a.set === 'shared' ? -1 : 1) ||
        (rank.get(a.schema) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.schema) ?? Number.MAX_SAFE_INTEGER),
    );
    const summary = summarize(results);
    if (this.json) {
      const report: MigrationRunReport = { ok: !results.some((r) => r.status === 'failed'), summary, results };
      this.output.json(report);
    } else if (this.output.interactive) {
      const rows = results.length <= 20 ? results : results.filter((r) => r.status !== 'up-to-date');
      if (rows.length > 0) {
        this.output.table(
          ['schema', 'set', 'status', 'migrations', 'ms', 'error'],
          rows.map((r) => [
            r.schema,
            r.set,
            `${r.status}${r.waitedForLock ? ' (waited)' : ''}`,
            r.migrations.join('\n'),
            r.durationMs,
            r.error,
          ]),
        );
      }
      this.output.line(describeSummary(summary, results.length));
    }
    return results;
  }
}

/** One plain line for a schema's result, e.g. `acme: migrated Migration20261201_add_x in 12 ms`. */
export function describeMigrationResult(result: SchemaMigrationResult): string {
  const label = result.set === 'shared' ? `${result.schema} (shared)` : result.schema;
  const names = result.migrations.join(', ');
  const waited = result.waitedForLock ? ' (waited for another runner)' : '';
  switch (result.status) {
    case 'migrated':
      return `${label}: migrated ${names} in ${result.durationMs} ms${waited}`;
    case 'reverted':
      return `${label}: reverted ${names} in ${result.durationMs} ms${waited}`;
    case 'planned':
      return `${label}: would apply ${names || 'nothing'}`;
    case 'skipped':
      return `${label}: skipped (stopped after a failure, --fail-fast)`;
    case 'failed':
      return `${label}: failed in ${result.durationMs} ms: ${result.error ?? 'unknown error'}`;
    default:
      return `${label}: up-to-date${waited}`;
  }
}

function summarize(results: SchemaMigrationResult[]): Partial<Record<SchemaMigrationStatus, number>> {
  const summary: Partial<Record<SchemaMigrationStatus, number>> = {};
  for (const result of results) {
    summary[result.status] = (summary[result.status] ?? 0) + 1;
  }
  return summary;
}

function describeSummary(summary: Partial<Record<SchemaMigrationStatus, number>>, total: number): string {
  const parts = STATUS_ORDER.filter((status) => summary[status]).map((status) => `${summary[status]} ${status}`);
  return `${total} schema${total === 1 ? '' : 's'}: ${parts.join(', ') || 'nothing to do'}`;
}
