import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseUrl } from './test-app.js';

/** The repository's root. */
export const root = fileURLToPath(new URL('../..', import.meta.url));
// the package's bin, on the example app's config: what `npm run cli` runs
const cliBin = join(root, 'libs/tenancy/dist/cli/tenancy.bin.js');
const cliConfig = join(root, 'dist/apps/tenancy-cli/apps/tenancy-cli/src/tenancy.config.js');

/** The example app's migration folder of a set. */
export const exampleMigrationFolder = (set: 'shared' | 'tenant'): string => join(root, 'apps/example/src/migrations', set);

/** What a CLI process did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a real process (`npm run cli` runs the same file). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const base = Object.fromEntries(
    // under VITEST, MikroORM would prefer the TypeScript migration folders: run as in production
    Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, '--config', cliConfig, ...args], {
      cwd: root,
      env: { ...base, DATABASE_URL: databaseUrl(), ...env },
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

/** A folder of migrations: a copy of the example app's set, to which a test adds its own. */
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

/** The run's stdout as JSON; throws with the output when it is not. */
export function parseJson<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
}
