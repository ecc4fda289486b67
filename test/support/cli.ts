import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import { afterAll, beforeAll } from 'vitest';
import { createTestApp, databaseUrl, sql, uniqueName } from './test-app.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
// the package's bin, on the example app's config: what `npm run cli` runs
const cliBin = join(root, 'libs/tenancy/dist/cli/tenancy.bin.js');
const cliConfig = join(root, 'dist/apps/tenancy-cli/apps/tenancy-cli/src/tenancy.config.js');
export const exampleMigrationFolder = (set: 'shared' | 'tenant') => join(root, 'apps/example/src/migrations', set);

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a real process (`npm run cli` runs the same file); `env` may replace DATABASE_URL. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runTenancyBin(['--config', cliConfig, ...args], { cwd: root, env });
}

/**
 * Runs the package's `tenancy` bin as a user does: in `cwd`, which holds the config (unless
 * `args` name one), on the test database unless `env` says otherwise.
 */
export function runTenancyBin(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  const base = Object.fromEntries(
    // under VITEST, MikroORM would prefer the TypeScript migration folders: run as in production
    Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      cwd: options.cwd,
      env: { ...base, DATABASE_URL: databaseUrl(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Builds the CLI when its build is missing or older than a source it is made of. */
export async function ensureCliBuilt(): Promise<void> {
  const built = Math.min(
    ...(await Promise.all(
      [cliBin, cliConfig].map((file) =>
        stat(file).then(
          (s) => s.mtimeMs,
          () => 0,
        ),
      ),
    )),
  );
  const newest = Math.max(
    ...(await Promise.all(
      ['libs/tenancy/src', 'apps/tenancy-cli/src', 'apps/example/src'].map((dir) => newestMtime(join(root, dir))),
    )),
  );
  if (newest > built) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) {
      throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
    }
  }
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return newest;
}

/** A folder of migrations: a copy of the example app's set, plus the test's own. */
export async function migrationFolder(set: 'shared' | 'tenant' = 'tenant'): Promise<string> {
  await mkdir(join(root, 'dist'), { recursive: true });
  // inside the repository, so that the migrations resolve @mikro-orm/migrations
  const dir = await mkdtemp(join(root, 'dist', `cli-test-${set}-migrations-`));
  for (const file of await readdir(exampleMigrationFolder(set))) {
    await copyFile(join(exampleMigrationFolder(set), file), join(dir, file));
  }
  return dir;
}

/** Writes a TypeScript migration class `name` with these statements into `dir`. */
export function writeMigration(dir: string, name: string, up: string[], down: string[]): Promise<void> {
  const lines = (statements: string[]) => statements.map((s) => `    this.addSql(${JSON.stringify(s)});`).join('\n');
  const source = `import { Migration } from '@mikro-orm/migrations';

export class ${name} extends Migration {
  override up(): void {
${lines(up)}
  }

  override down(): void {
${lines(down)}
  }
}
`;
  return writeFile(join(dir, `${name}.ts`), source);
}

/** The run's stdout as JSON; fails with its output when it is not. */
export function parseJson<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
}

/** `'a', 'b'` for an SQL `in (...)` list of test-made names. */
export const quote = (schemas: string[]) => schemas.map((s) => `'${s}'`).join(', ');

/** The example app and helpers shared by the CLI test files; cleans up what it was told to. */
export interface CliTestContext {
  readonly app: NestFastifyApplication;
  readonly tenancy: TenancyService;
  /** Hand-written SQL on the test database (any schema). */
  sql<T extends object>(query: string, params?: unknown[]): Promise<T[]>;
  /** `count` new tenants named `<prefix>_<random>_00`…, deleted after the file. */
  createTenants(prefix: string, count: number): Promise<string[]>;
  /** Deletes this tenant (and drops its schema) after the file. */
  created(schema: string): void;
  /** Removes this folder after the file. */
  folder(dir: string): void;
  /** Rows of a migration in each schema's migrations table. */
  appliedRows(schemas: string[], name: string): Promise<Map<string, number>>;
  /** The schemas, among these, whose `table` has `column`, sorted. */
  schemasWithColumn(schemas: string[], table: string, column: string): Promise<string[]>;
}

/** Sets up (beforeAll) and tears down (afterAll) the {@link CliTestContext} of a CLI test file. */
export function useCliTestContext(): CliTestContext {
  let app: NestFastifyApplication | undefined;
  const schemas: string[] = [];
  const folders: string[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
    app = await createTestApp(4);
  });

  afterAll(async () => {
    for (const schema of schemas) {
      await app
        ?.get(TenancyService)
        .deleteTenant(schema, { dropSchema: true })
        .catch(() => undefined);
    }
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
    await app?.close();
  });

  const context: CliTestContext = {
    get app() {
      if (!app) {
        throw new Error('the CLI test app is created in beforeAll');
      }
      return app;
    },
    get tenancy() {
      return context.app.get(TenancyService);
    },
    sql: (query, params = []) => sql(context.app, query, params),
    async createTenants(prefix, count) {
      const base = uniqueName(prefix);
      const names = Array.from({ length: count }, (_, i) => `${base}_${String(i).padStart(2, '0')}`);
      for (const schema of names) {
        await context.tenancy.createTenant({ schema, domains: [`${schema.replaceAll('_', '-')}.cli.test`] });
        schemas.push(schema);
      }
      return names;
    },
    created: (schema) => void schemas.push(schema),
    folder: (dir) => void folders.push(dir),
    async appliedRows(names, name) {
      const union = names
        .map((s) => `select '${s}' as schema, count(*)::int as n from "${s}".mikro_orm_migrations where name = '${name}'`)
        .join(' union all ');
      const rows = await context.sql<{ schema: string; n: number }>(union);
      return new Map(rows.map((row) => [row.schema, Number(row.n)]));
    },
    async schemasWithColumn(names, table, column) {
      const rows = await context.sql<{ table_schema: string }>(
        `select table_schema from information_schema.columns where table_schema in (${quote(names)}) and table_name = ? and column_name = ?`,
        [table, column],
      );
      return rows.map((row) => row.table_schema).sort();
    },
  };
  return context;
}
