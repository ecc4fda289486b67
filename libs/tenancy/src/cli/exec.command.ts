import { Command, Option } from 'nest-commander';
import { forEachTenant, type TenantRunResult } from '../operations/for-each-tenant.js';
import { errorMessage } from '../migrations/schema-migrator.js';
import { CliUsageError } from './cli-usage.error.js';
import { parsePositiveInteger } from './cli-option.parsers.js';
import { SchemaSelectionCommand, type SchemaSelectionOptions } from './schema-selection.command.js';
import { runTenantProcess, TenantProcessError, type TenantProcessOutcome } from './tenant-process.js';

/** Flags of `exec`. */
export interface ExecCommandOptions extends SchemaSelectionOptions {
  concurrency?: number;
  failFast?: boolean;
  json?: boolean;
}

/** One tenant's run in the JSON document of `exec --json`. */
export interface ExecResult {
  schema: string;
  status: 'succeeded' | 'failed' | 'skipped';
  /** Exit code; null when a signal ended the command, it did not start, or it was skipped. */
  exitCode: number | null;
  signal?: string;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** Why it failed. */
  error?: string;
}

/** The JSON document of `exec --json`. */
export interface ExecReport {
  /** False when the command failed for any tenant (the exit code is then 1). */
  ok: boolean;
  summary: Partial<Record<ExecResult['status'], number>>;
  /** One result per tenant, in schema order. */
  results: ExecResult[];
}

/**
 * `exec -- COMMAND`: runs a command once per tenant (`TenancyService.forEachTenant`) with
 * `TENANT_SCHEMA`, `TENANT_ID`, `TENANT_NAME` and `DATABASE_URL` (whose sessions start with the
 * tenant's `search_path`) in its environment; `--schema` (repeatable) chooses tenants,
 * `--concurrency` bounds the processes at once. A failing tenant is reported and the others go on;
 * the exit code is 1 when any failed. One argument after `--` is a shell command line; several are
 * a program and its arguments, run without a shell.
 *
 * @example npm run cli -- exec --concurrency 4 -- 'psql "$DATABASE_URL" -c "select count(*) from project"'
 */
@Command({
  name: 'exec',
  arguments: '<command...>',
  argsDescription: { command: 'after --: a shell command line (one argument), or a program and its arguments' },
  description: 'run a command once per tenant, with TENANT_SCHEMA and DATABASE_URL (search_path set) in its environment',
})
export class ExecCommand extends SchemaSelectionCommand<ExecCommandOptions> {
  @Option({ flags: '--concurrency <n>', description: 'tenants run at once (default: migrationConcurrency, 4)' })
  parseConcurrency(value: string): number {
    return parsePositiveInteger(value);
  }

  @Option({ flags: '--fail-fast', description: 'start no further tenant after the first failure' })
  parseFailFast(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: "print one JSON document with each tenant's exit code and output" })
  parseJson(): boolean {
    return true;
  }

  protected async execute(command: string[], options: ExecCommandOptions): Promise<void> {
    if (options.shared) {
      throw new CliUsageError('exec runs for tenant schemas only: --shared cannot be used with it.');
    }
    if (command.length === 0 || command[0].trim() === '') {
      throw new CliUsageError('Give the command to run after --.');
    }
    const json = options.json === true;
    // every selected tenant, any status but deleted (no tenant is bound: the command gets its URL)
    const tenants = await Promise.all(
      (await this.migrator.selectTenantSchemas(options.schema)).map((schema) => this.tenancy.getTenant(schema)),
    );
    const results = await forEachTenant(
      tenants,
      async (tenant) =>
        runTenantProcess(command, {
          ...process.env,
          TENANT_SCHEMA: tenant.schema,
          TENANT_ID: String(tenant.id),
          TENANT_NAME: tenant.name,
          DATABASE_URL: await this.tenancy.tenantDatabaseUrl(tenant),
        }),
      {
        concurrency: options.concurrency ?? this.options.migrationConcurrency,
        failFast: options.failFast,
        onResult: (result) => {
          if (!json) {
            this.print(execResult(result));
          }
        },
      },
    );
    const ordered = results.map(execResult).sort((a, b) => (a.schema < b.schema ? -1 : a.schema > b.schema ? 1 : 0));
    const failed = ordered.filter((result) => result.status === 'failed');
    const summary: ExecReport['summary'] = {};
    for (const result of ordered) {
      summary[result.status] = (summary[result.status] ?? 0) + 1;
    }
    if (json) {
      this.output.json({ ok: failed.length === 0, summary, results: ordered } satisfies ExecReport);
    } else {
      const counts = Object.entries(summary).map(([status, count]) => `${count} ${status}`);
      this.output.line(`${ordered.length} tenant${ordered.length === 1 ? '' : 's'}: ${counts.join(', ') || 'nothing to run'}`);
    }
    if (failed.length > 0) {
      const names = failed.map((result) => result.schema);
      const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
      this.fail(`The command failed for ${failed.length} of ${ordered.length} tenants (${shown}): ${failed[0].error}`);
    }
  }

  /** A tenant's output, each line prefixed with its schema, then its result line. */
  private print(result: ExecResult): void {
    const prefix = (text: string) =>
      text
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => `[${result.schema}] ${line}\n`)
        .join('');
    if (result.stdout) {
      process.stdout.write(prefix(result.stdout));
    }
    if (result.stderr) {
      process.stderr.write(prefix(result.stderr));
    }
    const code = result.signal ? result.signal : `exit ${result.exitCode ?? '-'}`;
    this.output.line(
      result.status === 'skipped'
        ? `${result.schema}: skipped`
        : `${result.schema}: ${result.status} (${code}) in ${result.durationMs} ms`,
    );
  }
}

function execResult(result: TenantRunResult<TenantProcessOutcome>): ExecResult {
  const outcome = result.value ?? (result.error instanceof TenantProcessError ? result.error.outcome : undefined);
  return {
    schema: result.schema,
    status: result.status,
    exitCode: outcome?.exitCode ?? null,
    ...(outcome?.signal ? { signal: outcome.signal } : {}),
    durationMs: result.durationMs,
    stdout: outcome?.stdout ?? '',
    stderr: outcome?.stderr ?? '',
    ...(result.status === 'failed' ? { error: errorMessage(result.error) } : {}),
  };
}
