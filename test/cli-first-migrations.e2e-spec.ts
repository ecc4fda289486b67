import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from './support/scratch-database.js';
import { runTenancyBin } from './support/cli.js';

// A new project's first migrations, through the package's bin and a config file of its own, as a
// user runs them: `npm test` builds first.
const root = fileURLToPath(new URL('..', import.meta.url));
const exampleOrmConfig = join(root, 'dist/apps/example/apps/example/src/orm.config.js');

/**
 * A project folder (inside the repo, so that migrations resolve @mikro-orm/migrations) with the
 * example app's entities, `src/migrations/{shared,tenant}` for sources and `dist/migrations/...`
 * for the "compiled" ones, and a tenancy.config.mjs giving both.
 */
async function newProject(options: { pathTs: boolean }): Promise<string> {
  await mkdir(join(root, 'dist'), { recursive: true });
  const project = await mkdtemp(join(root, 'dist', 'first-migrations-'));
  for (const folder of ['src/migrations/shared', 'src/migrations/tenant', 'dist/migrations/shared', 'dist/migrations/tenant']) {
    await mkdir(join(project, folder), { recursive: true });
  }
  const set = (name: string) =>
    options.pathTs
      ? `{ path: here('dist/migrations/${name}'), pathTs: here('src/migrations/${name}') }`
      : `{ path: here('dist/migrations/${name}') }`;
  await writeFile(
    join(project, 'tenancy.config.mjs'),
    `import { fileURLToPath } from 'node:url';
import { defineTenancyConfig } from 'nestjs-tenancy/cli';
import { ormOptions } from ${JSON.stringify(exampleOrmConfig)};
const here = (folder) => fileURLToPath(new URL(folder, import.meta.url));
export default defineTenancyConfig({
  orm: ormOptions(process.env.DATABASE_URL, 2),
  migrations: { shared: ${set('shared')}, tenant: ${set('tenant')} },
});
`,
  );
  return project;
}

/** "Builds" the project: the migration sources become the runnable ones (Node runs the .ts as is). */
async function build(project: string): Promise<void> {
  for (const set of ['shared', 'tenant']) {
    for (const file of await readdir(join(project, 'src/migrations', set))) {
      await copyFile(join(project, 'src/migrations', set, file), join(project, 'dist/migrations', set, file));
    }
  }
}

const sources = async (project: string, set: string) => (await readdir(join(project, 'src/migrations', set))).sort();

describe('first migrations of a new project (tenancy bin)', () => {
  let database: ScratchDatabase;
  let url: string;
  const projects: string[] = [];

  beforeAll(async () => {
    // an empty database of its own: no registry yet, as in a new project
    database = await createScratchDatabase('first_migrations');
    url = database.url;
  });

  afterAll(async () => {
    for (const project of projects) {
      await rm(project, { recursive: true, force: true });
    }
    await database.drop();
  });

  const project = async (options: { pathTs: boolean }) => {
    const folder = await newProject(options);
    projects.push(folder);
    return { folder, run: (args: string[]) => runTenancyBin(args, { cwd: folder, env: { DATABASE_URL: url } }) };
  };

  it('writes the first shared and tenant migrations into empty folders, refuses to diff before the build, then applies them', async () => {
    const { folder, run } = await project({ pathTs: true });

    const shared = await run(['migration:create', '--shared', '--name', 'init']);
    expect(shared.stderr).toBe('');
    expect(shared.code).toBe(0);
    expect(shared.stdout).toMatch(/create table "tenant"/);

    const tenant = await run(['migration:create', '--tenant', '--name', 'init']);
    expect(tenant.stderr).toBe('');
    expect(tenant.code).toBe(0);
    expect(tenant.stdout).toMatch(/create table "project"/);
    expect(tenant.stdout).not.toMatch(/schema|__tenancy_ref_/);
    expect(await sources(folder, 'tenant')).toHaveLength(1);

    // before the build, a second run refuses instead of writing the same tables again
    const stale = await run(['migration:create', '--tenant', '--name', 'again']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^error: The tenant migration Migration\d+_init in .* is not built yet: build the app first/);
    expect(await sources(folder, 'tenant')).toHaveLength(1);

    await build(folder);
    const migrate = await run(['migrate']);
    expect(migrate.stderr).toBe('');
    expect(migrate.code).toBe(0);
    const created = await run(['tenant:create', 'first_acme', '--domain', 'first-acme.test', '--json']);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ schema: 'first_acme', migrations: [expect.stringMatching(/_init$/)] });

    for (const set of ['--shared', '--tenant']) {
      const again = await run(['migration:create', set, '--name', 'nothing']);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^No changes/);
    }
    expect(await sources(folder, 'tenant')).toHaveLength(1);
    expect(await sources(folder, 'shared')).toHaveLength(1);
  });

  it('writes a blank first tenant migration', async () => {
    const { folder, run } = await project({ pathTs: true });
    const blank = await run(['migration:create', '--tenant', '--blank', '--name', 'empty']);
    expect(blank.stderr).toBe('');
    expect(blank.code).toBe(0);
    expect(await sources(folder, 'tenant')).toEqual([expect.stringMatching(/^Migration\d+_empty\.ts$/)]);
  });

  it('refuses to write TypeScript into the compiled folder when the set has no pathTs', async () => {
    const { folder, run } = await project({ pathTs: false });
    const refused = await run(['migration:create', '--tenant', '--name', 'init']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: migration:create needs the folder of the tenant migration sources: set migrations\.tenant\.pathTs/,
    );
    expect(await readdir(join(folder, 'dist/migrations/tenant'))).toEqual([]);
  });
});
