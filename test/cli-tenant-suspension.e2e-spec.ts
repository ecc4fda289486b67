import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MigrationRunReport, TenantListEntry } from 'nestjs-tenancy/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleMigrationFolder, parseJson, root, runCli, useCliTestContext } from './support/cli.js';
import { eventually } from './support/eventually.js';
import { createScratchDatabase } from './support/scratch-database.js';
import { createTestApp, databaseUrl, uniqueName } from './support/test-app.js';

const REGISTRY_MIGRATIONS = ['Migration20261203131520_tenant_suspension', 'Migration20261203133222_tenant_deletion'];

// `tenant:suspend SCHEMA --reason TEXT`: the reason and the time, in the 403 body and in tenant:list
// each test runs up to ten CLI processes (each boots Nest and the ORM): on a loaded two-core
// machine that takes longer than the default minute, so the limit here is larger
describe('tenancy CLI: suspension with a reason', { timeout: 180_000 }, () => {
  const cli = useCliTestContext();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(2, {
      directDatabaseUrl: databaseUrl(),
      cache: { ttl: 600_000, negativeTtl: 600_000 },
      knownHosts: { enabled: false },
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  const whoami = (host: string) => async () => {
    const response = await app.inject({ method: 'GET', url: '/whoami', headers: { host } });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
  };
  const statusOf = (host: string) => async () => (await whoami(host)()).status;
  const stored = async (schema: string) =>
    (
      await cli.sql<{ status: string; suspended_reason: string | null; suspended_at: Date | null }>(
        'select status, suspended_reason, suspended_at from public.tenant where schema = ?',
        [schema],
      )
    )[0];
  const listed = async (schema: string) => {
    const run = await runCli(['tenant:list', '--json']);
    expect(run.code, run.stderr).toBe(0);
    return parseJson<{ tenants: TenantListEntry[] }>(run).tenants.find((tenant) => tenant.schema === schema);
  };

  it('stores the reason and the time, answers them in the 403 body and lists them; resume clears them', async () => {
    const [schema] = await cli.createTenants('susp', 1);
    const host = `${schema.replaceAll('_', '-')}.cli.test`;
    expect(await statusOf(host)()).toBe(200);

    const run = await runCli(['tenant:suspend', schema, '--reason', 'Invoice 2026-11 unpaid']);
    expect(run.code, run.stderr).toBe(0);
    const row = await stored(schema);
    expect(row).toMatchObject({ status: 'suspended', suspended_reason: 'Invoice 2026-11 unpaid' });
    const since = new Date(row.suspended_at as Date).toISOString();
    expect(run.stdout).toBe(
      `Suspended tenant ${schema} (id ${(await cli.tenancy.getTenant(schema)).id}, suspended since ${since}: Invoice 2026-11 unpaid) "${schema}": ${host} (primary).\n`,
    );

    expect(await eventually(statusOf(host), 403)).toBe(403);
    expect((await whoami(host)()).body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: `Tenant "${schema}" is suspended: Invoice 2026-11 unpaid.`,
      reason: 'Invoice 2026-11 unpaid',
      suspendedAt: since,
    });
    expect((await listed(schema))?.suspension).toEqual({ reason: 'Invoice 2026-11 unpaid', since });
    const text = await runCli(['tenant:list']);
    expect(text.stdout.split('\n').find((line) => line.startsWith(`${schema}\t`))).toBe(
      `${schema}\tsuspended since ${since}: Invoice 2026-11 unpaid\t${schema}\t${host} (primary)\t1 applied, 0 pending`,
    );

    // a second suspension replaces the reason and keeps the time
    expect((await runCli(['tenant:suspend', schema, '--reason', 'Abuse report #12'])).code).toBe(0);
    expect(await stored(schema)).toEqual({
      status: 'suspended',
      suspended_reason: 'Abuse report #12',
      suspended_at: row.suspended_at,
    });
    expect(await eventually(async () => (await whoami(host)()).body.reason, 'Abuse report #12')).toBe('Abuse report #12');

    expect((await runCli(['tenant:resume', schema])).code).toBe(0);
    expect(await stored(schema)).toEqual({ status: 'active', suspended_reason: null, suspended_at: null });
    expect(await eventually(statusOf(host), 200)).toBe(200);
    expect(await listed(schema)).not.toHaveProperty('suspension');
  });

  it('a suspension without a reason: reason null, the time still kept', async () => {
    const [schema] = await cli.createTenants('susp_n', 1);
    const host = `${schema.replaceAll('_', '-')}.cli.test`;
    expect((await runCli(['tenant:suspend', schema])).code).toBe(0);
    expect(await eventually(statusOf(host), 403)).toBe(403);
    const { body } = await whoami(host)();
    expect(body).toMatchObject({ message: `Tenant "${schema}" is suspended.`, reason: null });
    expect(body.suspendedAt).toBe(new Date((await stored(schema)).suspended_at as Date).toISOString());
  });

  it('refuses an empty, multi-line or too long reason with one line and exit 1, changing nothing', async () => {
    const [schema] = await cli.createTenants('susp_x', 1);
    const runs = await Promise.all(
      [' ', 'line one\nline two', 'x'.repeat(501)].map((reason) => runCli(['tenant:suspend', schema, '--reason', reason])),
    );
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('error: The suspension reason must be 1-500 characters on one line (no control characters).\n');
    }
    expect(await stored(schema)).toEqual({ status: 'active', suspended_reason: null, suspended_at: null });
  });

  it('a registry from before this version: commands say to run the shared migrations; migrate --shared upgrades it', async () => {
    const scratch = await createScratchDatabase('susp_upgrade');
    const previous = await mkdtemp(join(root, 'dist', 'cli-test-shared-previous-'));
    try {
      for (const file of await readdir(exampleMigrationFolder('shared'))) {
        // the registry as the first version made it: the initial shared migration only
        if (file.includes('_initial')) {
          await copyFile(join(exampleMigrationFolder('shared'), file), join(previous, file));
        }
      }
      const env = { DATABASE_URL: scratch.url };
      const old = await runCli(['migrate', '--shared'], { ...env, TENANCY_SHARED_MIGRATIONS: previous });
      expect(old.code, old.stderr).toBe(0);
      const schema = uniqueName('susp_old');
      const refused = await runCli(['tenant:create', schema], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /^error: The tenant registry in schema "public" lacks columns this version of nestjs-tenancy uses: run the pending shared migrations \(npx tenancy migrate --shared\).*\n$/,
      );
      expect((await runCli(['tenant:list'], env)).stderr).toBe(refused.stderr);

      const upgrade = await runCli(['migrate', '--shared', '--json'], env);
      expect(upgrade.code, upgrade.stderr).toBe(0);
      expect(parseJson<MigrationRunReport>(upgrade).results).toEqual([
        expect.objectContaining({ set: 'shared', status: 'migrated', migrations: REGISTRY_MIGRATIONS }),
      ]);
      expect((await runCli(['tenant:create', schema], env)).code).toBe(0);
      const suspended = await runCli(['tenant:suspend', schema, '--reason', 'after the upgrade'], env);
      expect(suspended.code, suspended.stderr).toBe(0);
      expect(suspended.stdout).toContain(': after the upgrade)');
    } finally {
      await rm(previous, { recursive: true, force: true });
      await scratch.drop();
    }
  });
});
