import { spawn } from 'node:child_process';
import type { Options } from '@mikro-orm/core';
import { quoteIdentifier } from '../postgres/schema-name.js';
import { InvalidTenantInputError, ProvisioningError } from '../tenancy.errors.js';

/** A step of a restore script: SQL to run as it is, or the rows of one table. */
export type RestoreStep = { sql: string } | { table: string; columns: string; rows: (string | null)[][] };

/** A tenant archive read back: its schema name, the steps that rebuild it under a new name, its migration names. */
export interface RestoreScript {
  /** The schema the archive was exported from. */
  schema: string;
  steps: RestoreStep[];
  /** Rows of its migrations table (`name` column), in order. */
  migrations: string[];
}

/** Rows per `insert` when the archive's data is replayed. */
const INSERT_BATCH = 500;

/**
 * Runs a PostgreSQL client tool (`pg_dump`, `pg_restore`) with the app's connection in its
 * environment (never on its command line, where the password would show), and returns its stdout.
 */
export function runClientTool(tool: string, args: string[], orm: Options): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      env: { ...process.env, ...connectionEnvironment(orm) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new ProvisioningError(
              `${tool} was not found on PATH: install the PostgreSQL client tools (pg_dump, pg_restore) of the server's major version or newer.`,
            )
          : error,
      ),
    );
    child.once('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(
            new ProvisioningError(
              /server version mismatch/.test(err)
                ? `${tool} is older than the PostgreSQL server (${err.replace(/\s+/g, ' ').trim()}): install the PostgreSQL client tools of the server's major version or newer.`
                : `${tool} failed (exit ${code}): ${err.replace(/\s+/g, ' ').trim()}`,
            ),
          ),
    );
  });
}

/** libpq's environment variables for the ORM's connection options. */
function connectionEnvironment(orm: Options): Record<string, string> {
  const env: Record<string, string> = {};
  const set = (key: string, value: unknown) => {
    if (typeof value === 'string' && value !== '') {
      env[key] = value;
    } else if (typeof value === 'number') {
      env[key] = String(value);
    }
  };
  if (orm.clientUrl) {
    const url = new URL(orm.clientUrl);
    set('PGHOST', decodeURIComponent(url.hostname));
    set('PGPORT', url.port);
    set('PGUSER', decodeURIComponent(url.username));
    set('PGPASSWORD', decodeURIComponent(url.password));
    set('PGDATABASE', decodeURIComponent(url.pathname.replace(/^\//, '')));
    set('PGSSLMODE', url.searchParams.get('sslmode') ?? undefined);
  }
  set('PGHOST', orm.host);
  set('PGPORT', orm.port);
  set('PGUSER', orm.user);
  set('PGPASSWORD', orm.password);
  set('PGDATABASE', orm.dbName);
  return env;
}

/**
 * Turns `pg_restore`'s SQL for one schema into steps that rebuild it as `target`, to run inside
 * the caller's transaction: session settings become transaction-local (or go), psql
 * meta-commands go, every qualifier of the archived schema in the DDL names `target`, and each
 * `COPY … FROM stdin` block becomes batched `insert`s (data is decoded from COPY's text format,
 * never rewritten).
 */
export function readRestoreScript(script: string, target: string, migrationsTable: string): RestoreScript {
  const created = /^CREATE SCHEMA ("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*);$/m.exec(script);
  if (!created) {
    throw new InvalidTenantInputError('The file is not a tenant export: it creates no schema.');
  }
  const source = created[1].startsWith('"') ? created[1].slice(1, -1).replaceAll('""', '"') : created[1];
  const qualifier = new RegExp(
    `(?<![\\w"$.])(?:"${escapeRegExp(source.replaceAll('"', '""'))}"|${escapeRegExp(source)})(?=\\.)`,
    'g',
  );
  const rename = (sql: string) => sql.replace(qualifier, quoteIdentifier(target));
  const lines = script.split('\n');
  const steps: RestoreStep[] = [{ sql: 'set local check_function_bodies = false' }];
  const migrations: string[] = [];
  let sql: string[] = [];
  const flush = () => {
    const text = sql.join('\n').trim();
    if (text) {
      steps.push({ sql: text });
    }
    sql = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (
      line.startsWith('\\') ||
      line.startsWith('--') ||
      /^SET \w+ = /.test(line) ||
      line.startsWith('SELECT pg_catalog.set_config(')
    ) {
      continue;
    }
    if (line.startsWith('CREATE SCHEMA ')) {
      sql.push(`CREATE SCHEMA ${quoteIdentifier(target)};`);
      continue;
    }
    const copy = /^COPY (\S+) \((.*)\) FROM stdin;$/.exec(line);
    if (!copy) {
      sql.push(rename(line));
      continue;
    }
    flush();
    const rows: (string | null)[][] = [];
    for (i++; i < lines.length && lines[i] !== '\\.'; i++) {
      rows.push(lines[i].split('\t').map(decodeCopyField));
    }
    const table = rename(copy[1]);
    steps.push({ table, columns: copy[2], rows });
    if (
      table === `${quoteIdentifier(target)}.${migrationsTable}` ||
      table === `${quoteIdentifier(target)}.${quoteIdentifier(migrationsTable)}`
    ) {
      const index = copy[2].split(', ').indexOf('name');
      migrations.push(...rows.map((row) => String(row[index] ?? '').replace(/\.[jt]s$/, '')));
    }
  }
  flush();
  steps.push({ sql: 'set local search_path to default' });
  return { schema: source, steps, migrations };
}

/** The SQL statements of a step (`insert`s of up to 500 rows for data). */
export function stepStatements(step: RestoreStep): string[] {
  if ('sql' in step) {
    return [step.sql];
  }
  const statements: string[] = [];
  for (let i = 0; i < step.rows.length; i += INSERT_BATCH) {
    const values = step.rows
      .slice(i, i + INSERT_BATCH)
      .map((row) => `(${row.map((field) => (field === null ? 'NULL' : `'${field.replaceAll("'", "''")}'`)).join(', ')})`);
    statements.push(`insert into ${step.table} (${step.columns}) overriding system value values ${values.join(', ')}`);
  }
  return statements;
}

const COPY_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** A field of COPY's text format: `\N` is null; backslash escapes (`\n`, `\t`, `\\`, octal, hex) are decoded. */
function decodeCopyField(field: string): string | null {
  if (field === '\\N') {
    return null;
  }
  if (!field.includes('\\')) {
    return field;
  }
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, code: string) => {
    if (code.length > 1 && code[0] === 'x') {
      return String.fromCharCode(parseInt(code.slice(1), 16));
    }
    if (/^[0-7]+$/.test(code)) {
      return String.fromCharCode(parseInt(code, 8));
    }
    return COPY_ESCAPES[code] ?? code;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
