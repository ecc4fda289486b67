import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TenantDetails } from 'nestjs-tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, useCliTestContext } from './support/cli.js';
import { eventually } from './support/eventually.js';
import { createTestApp, databaseUrl, uniqueName } from './support/test-app.js';

// `tenant:rename OLD NEW` as a real process: schema and registry row in one transaction
// each test runs up to ten CLI processes (each boots Nest and the ORM): on a loaded two-core
// machine that takes longer than the default minute, so the limit here is larger
describe('tenancy CLI: tenant:rename', { timeout: 180_000 }, () => {
  const cli = useCliTestContext();
  // an instance that follows registry changes through LISTEN/NOTIFY, with caches that would
  // otherwise keep the old answers for minutes
  let listening: NestFastifyApplication;
  // an instance that hears nothing: its cache still holds the old schema after the rename
  let deaf: NestFastifyApplication;

  beforeAll(async () => {
    const longCache = { cache: { ttl: 600_000, negativeTtl: 600_000 }, knownHosts: { refreshInterval: 600_000 } };
    listening = await createTestApp(2, { ...longCache, directDatabaseUrl: databaseUrl() });
    deaf = await createTestApp(2, { ...longCache, knownHosts: { enabled: false } });
  });

  afterAll(async () => {
    await listening?.close();
    await deaf?.close();
  });

  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.rename.test`;
  const get = async (app: NestFastifyApplication, host: string, url: string) => {
    const response = await app.inject({ method: 'GET', url, headers: { host } });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
  };
  const whoamiSchema = (app: NestFastifyApplication, host: string) => async () =>
    ((await get(app, host, '/whoami')).body.tenant as { schema?: string } | undefined)?.schema;
  const state = async (schema: string) => ({
    tenant: (await cli.sql<{ id: number }>('select id from public.tenant where schema = ?', [schema])).map((row) =>
      Number(row.id),
    ),
    schema: (await cli.sql('select 1 from pg_namespace where nspname = ?', [schema])).length > 0,
  });

  async function tenantWithProject(prefix: string): Promise<{ schema: string; host: string; id: number }> {
    const schema = uniqueName(prefix);
    const host = hostOf(schema);
    const created = await cli.tenancy.createTenant({ schema, domains: [host] });
    cli.created(schema);
    await cli.sql(`insert into "${schema}".project (name, created_at) values ('kept across the rename', now())`);
    return { schema, host, id: created.id };
  }

  it('renames schema and registry row; data, domains and migrations follow; every instance serves the new name', async () => {
    const { schema, host, id } = await tenantWithProject('ren_a');
    const renamed = uniqueName('ren_b');
    cli.created(renamed);
    // both instances have the tenant cached under its old schema (the listening one learns the new
    // host from the creation's NOTIFY, which arrives asynchronously)
    expect(await eventually(whoamiSchema(listening, host), schema)).toBe(schema);
    expect(await whoamiSchema(deaf, host)()).toBe(schema);

    const run = await runCli(['tenant:rename', schema, renamed, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(parseJson<TenantDetails>(run)).toMatchObject({
      id,
      schema: renamed,
      status: 'active',
      domains: [{ host, isPrimary: true }],
    });
    expect(await state(schema)).toEqual({ tenant: [], schema: false });
    expect(await state(renamed)).toEqual({ tenant: [id], schema: true });
    expect(await cli.appliedRows([renamed], 'Migration20261126182507_initial')).toEqual(new Map([[renamed, 1]]));

    // the listening instance follows the notification
    expect(await eventually(whoamiSchema(listening, host), renamed)).toBe(renamed);
    // the deaf one still holds the old schema: its request fails cleanly (404), never half-renamed
    // data, and the next request resolves the tenant again, under its new schema
    const stale = await get(deaf, host, '/projects');
    expect(stale.status).toBe(404);
    expect(stale.body.message).toBe(`Tenant "${schema}" no longer exists.`);
    const fresh = await get(deaf, host, '/projects');
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject([{ name: 'kept across the rename' }]);

    // the old name is free again; the library's run() finds the tenant under its new name only
    await expect(cli.tenancy.run(schema, () => 1)).rejects.toThrow(`No tenant has schema "${schema}".`);
    expect(
      await cli.tenancy.run(
        renamed,
        async (em) => (await em.getConnection().execute(`select count(*)::int as n from "${renamed}".project`))[0],
      ),
    ).toEqual({ n: 1 });
  });

  it('refuses a bad new name with a one-line reason and exit 1, changing nothing', async () => {
    const { schema, id } = await tenantWithProject('ren_c');
    const other = await tenantWithProject('ren_d');
    const leftover = uniqueName('ren_left');
    await cli.sql(`create schema "${leftover}"`);
    const role = uniqueName('ren_role');
    await cli.sql(`create role "${role}"`);
    try {
      const cases: [string[], RegExp][] = [
        [[schema, 'Bad-Name'], /^error: Invalid schema name "Bad-Name": .*\n$/],
        [
          [schema, 'pg_tenant'],
          /^error: Invalid schema name "pg_tenant": names starting with pg_ are reserved by PostgreSQL\.\n$/,
        ],
        [[schema, 'public'], /^error: Invalid schema name "public": it is reserved\.\n$/],
        [[schema, 'x'.repeat(64)], /^error: Invalid schema name "x{64}": .*\n$/],
        [[schema, other.schema], new RegExp(`^error: A tenant with schema "${other.schema}" already exists\\.\\n$`)],
        [[schema, leftover], new RegExp(`^error: Schema "${leftover}" already exists in the database .*\\n$`)],
        [[schema, role], new RegExp(`^error: Invalid schema name "${role}": a database role has this name.*\\n$`)],
        [[uniqueName('ren_none'), uniqueName('ren_e')], /^error: No tenant has schema ".*"\.\n$/],
        [[schema, schema], /^error: Tenant ".*" already has this schema name\.\n$/],
      ];
      const runs = await Promise.all(cases.map(([args]) => runCli(['tenant:rename', ...args])));
      for (const [index, [args, reason]] of cases.entries()) {
        const run = runs[index];
        expect(run.code, args.join(' ')).toBe(1);
        expect(run.stderr, args.join(' ')).toMatch(reason);
      }
      const usage = await runCli(['tenant:rename', schema]);
      expect(usage.code).toBe(1);
      expect(usage.stderr).toMatch(/^error: .*\n[\s\S]*Usage: tenancy /);
      expect(await state(schema)).toEqual({ tenant: [id], schema: true });
      expect(await state(other.schema)).toEqual({ tenant: [other.id], schema: true });
      expect(await state(leftover)).toEqual({ tenant: [], schema: true });
    } finally {
      await cli.sql(`drop schema "${leftover}" cascade`);
      await cli.sql(`drop role "${role}"`);
    }
  });

  it('a failure half-way (after the schema was renamed) rolls everything back', async () => {
    const { schema, host, id } = await tenantWithProject('ren_f');
    const renamed = uniqueName('ren_g');
    const trigger = uniqueName('ren_fail');
    // fails the registry update that follows the ALTER SCHEMA, for this rename only
    await cli.sql(`create function public.${trigger}() returns trigger language plpgsql as $$
      begin
        if new.schema = '${renamed}' then raise exception 'injected failure'; end if;
        return new;
      end $$`);
    await cli.sql(`create trigger ${trigger} before update on public.tenant for each row execute function public.${trigger}()`);
    try {
      const run = await runCli(['tenant:rename', schema, renamed]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `error: Renaming tenant "${schema}" to "${renamed}" failed and was rolled back: injected failure\n`,
      );
      expect(run.stdout).toBe('');
    } finally {
      await cli.sql(`drop trigger ${trigger} on public.tenant`);
      await cli.sql(`drop function public.${trigger}()`);
    }
    expect(await state(schema)).toEqual({ tenant: [id], schema: true });
    expect(await state(renamed)).toEqual({ tenant: [], schema: false });
    const served = await get(deaf, host, '/projects');
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject([{ name: 'kept across the rename' }]);
  });
});
