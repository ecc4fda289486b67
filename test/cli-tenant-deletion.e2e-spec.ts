import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CrossTenantAccessError, type DeletedTenant, NoTenantBoundError, type RestoredTenant } from 'nestjs-tenancy';
import type { PurgeReport, TenantListEntry } from 'nestjs-tenancy/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, useCliTestContext } from './support/cli.js';
import { eventually } from './support/eventually.js';
import { createTestApp, databaseUrl, uniqueName } from './support/test-app.js';

const DAY = 86_400_000;

// the soft delete window: tenant:delete keeps the schema aside, tenant:restore, purge
// each test runs up to ten CLI processes (each boots Nest and the ORM): on a loaded two-core
// machine that takes longer than the default minute, so the limit here is larger
describe('tenancy CLI: deleted tenants are kept aside, restored and purged', { timeout: 180_000 }, () => {
  const cli = useCliTestContext();
  // follows changes through LISTEN/NOTIFY; its caches would otherwise keep answers for minutes
  let app: NestFastifyApplication;
  const deleted: string[] = [];

  beforeAll(async () => {
    app = await createTestApp(2, {
      directDatabaseUrl: databaseUrl(),
      cache: { ttl: 600_000, negativeTtl: 600_000 },
      knownHosts: { enabled: false },
    });
  });

  afterAll(async () => {
    // one at a time: naming a tenant that is not deleted (restored, purged) fails the whole call
    for (const schema of deleted) {
      await cli.tenancy.purgeDeletedTenants({ schemas: [schema], all: true }).catch(() => undefined);
    }
    await app?.close();
  });

  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.del.test`;
  const statusOf =
    (host: string, url = '/projects') =>
    async () =>
      (await app.inject({ method: 'GET', url, headers: { host } })).statusCode;
  const namespaces = async (...names: string[]) =>
    (
      await cli.sql<{ nspname: string }>('select nspname from pg_namespace where nspname = any(?::text[]) order by nspname', [
        `{${names.join(',')}}`,
      ])
    ).map((row) => row.nspname);
  const row = async (schema: string) =>
    (
      await cli.sql<{ status: string; deleted_schema: string | null }>(
        'select status, deleted_schema from public.tenant where schema = ?',
        [schema],
      )
    )[0];

  async function tenant(prefix: string, domains: number) {
    const schema = uniqueName(prefix);
    const host = hostOf(schema);
    const hosts = [host, `www.${host}`].slice(0, domains);
    const created = await cli.tenancy.createTenant({ schema, domains: hosts });
    cli.created(schema);
    deleted.push(schema);
    await cli.sql(`insert into "${schema}".project (name, created_at) values ('kept while deleted', now())`);
    return { schema, host, hosts, id: created.id };
  }

  it('delete: never served or resolvable, schema aside; restore: schema, data and the domains still free', async () => {
    const { schema, host, hosts, id } = await tenant('del_a', 2);
    const aside = `_deleted_${id}_${schema}`;
    const other = await cli.createTenants('del_o', 1);
    expect(await statusOf(host)()).toBe(200);

    const run = await runCli(['tenant:delete', schema, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const kept = parseJson<DeletedTenant & { deletedAt: string; purgeAfter: string }>(run);
    expect(kept).toMatchObject({ id, schema, deletedSchema: aside, domains: hosts });
    expect(Date.parse(kept.purgeAfter) - Date.parse(kept.deletedAt)).toBe(30 * DAY);
    expect(await namespaces(schema, aside)).toEqual([aside]);
    expect(await row(schema)).toEqual({ status: 'deleted', deleted_schema: aside });
    expect(await cli.sql('select 1 from public.domain where host = any(?::text[])', [`{${hosts.join(',')}}`])).toEqual([]);

    // not served, not resolvable by schema (old or aside name), not selectable, not migrated
    expect(await eventually(statusOf(host), 404)).toBe(404);
    await expect(cli.tenancy.run(schema, () => 1)).rejects.toThrow(`No tenant has schema "${schema}".`);
    await expect(cli.tenancy.run(aside, () => 1)).rejects.toThrow(`No tenant has schema "${aside}".`);
    const list = parseJson<{ tenants: TenantListEntry[] }>(await runCli(['tenant:list', '--json']));
    expect(list.tenants.map((entry) => entry.schema)).not.toContain(schema);
    const migrate = await runCli(['migrate', '--schema', schema]);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toBe(`error: No tenant has schema "${schema}".\n`);
    // the SQL check treats the kept schema as no tenant's: refused with a tenant bound and without
    await expect(
      cli.tenancy.run(other[0], (em) => em.getConnection().execute(`select * from "${aside}"."project"`)),
    ).rejects.toThrow(CrossTenantAccessError);
    await expect(app.get(MikroORM).em.fork().getConnection().execute(`select * from "${aside}"."project"`)).rejects.toThrow(
      NoTenantBoundError,
    );
    // its name stays reserved, and _deleted_ names are no tenant's
    const taken = await runCli(['tenant:create', schema]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(
      new RegExp(`^error: Schema "${schema}" belongs to a deleted tenant kept for the retention: restore it .*\\n$`),
    );
    expect((await runCli(['tenant:create', aside])).stderr).toMatch(
      /^error: Invalid schema name "_deleted_.*": names starting with _deleted_ are reserved/,
    );

    const listedDeleted = parseJson<{ tenants: DeletedTenant[] }>(await runCli(['tenant:list', '--deleted', '--json']));
    expect(listedDeleted.tenants.find((entry) => entry.schema === schema)).toMatchObject({
      deletedSchema: aside,
      domains: hosts,
    });

    // another tenant takes one of its domains meanwhile
    expect((await runCli(['domain:add', other[0], hosts[1]])).code).toBe(0);

    const restore = await runCli(['tenant:restore', schema, '--json']);
    expect(restore.code, restore.stderr).toBe(0);
    expect(parseJson<RestoredTenant>(restore)).toMatchObject({
      id,
      schema,
      status: 'active',
      domains: [{ host, isPrimary: true }],
      domainsNotRestored: [hosts[1]],
    });
    expect(await namespaces(schema, aside)).toEqual([schema]);
    expect(await row(schema)).toEqual({ status: 'active', deleted_schema: null });
    expect(await eventually(statusOf(host), 200)).toBe(200);
    const projects = await app.inject({ method: 'GET', url: '/projects', headers: { host } });
    expect(projects.json()).toMatchObject([{ name: 'kept while deleted' }]);
  });

  it('a suspended tenant comes back suspended, with its reason', async () => {
    const { schema } = await tenant('del_s', 1);
    await cli.tenancy.suspend(schema, { reason: 'unpaid' });
    expect((await runCli(['tenant:delete', schema])).code).toBe(0);
    const restore = await runCli(['tenant:restore', schema]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(new RegExp(`^Restored tenant ${schema} \\(id \\d+, suspended since .*: unpaid\\) `));
  });

  it('purge drops what the retention (or --older-than, or --all) selects, and frees the name', async () => {
    const [young, old, older] = [await tenant('del_p', 1), await tenant('del_q', 1), await tenant('del_r', 1)];
    for (const { schema } of [young, old, older]) {
      expect((await runCli(['tenant:delete', schema])).code).toBe(0);
    }
    // deleted 31 and 10 days ago, as the registry says
    await cli.sql(`update public.tenant set deleted_at = now() - interval '31 days' where schema = ?`, [old.schema]);
    await cli.sql(`update public.tenant set deleted_at = now() - interval '10 days' where schema = ?`, [older.schema]);
    const selection = [young, old, older].flatMap(({ schema }) => ['--schema', schema]);

    const dry = await runCli(['purge', ...selection, '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(parseJson<PurgeReport>(dry).results.map((r) => [r.schema, r.status])).toEqual([[old.schema, 'planned']]);
    expect(await row(old.schema)).toMatchObject({ status: 'deleted' });

    const purge = await runCli(['purge', ...selection]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toMatch(
      new RegExp(`^${old.schema}: purged \\(_deleted_${old.id}_${old.schema}, deleted .*\\)\\nPurged 1 deleted tenant\\.\\n$`),
    );
    expect(await row(old.schema)).toBeUndefined();
    expect(await namespaces(`_deleted_${old.id}_${old.schema}`, old.schema)).toEqual([]);

    // a purged tenant is no deleted tenant any more: naming it is refused
    expect((await runCli(['purge', ...selection])).stderr).toBe(`error: No deleted tenant had schema "${old.schema}".\n`);
    const remaining = [young, older].flatMap(({ schema }) => ['--schema', schema]);
    const week = await runCli(['purge', ...remaining, '--older-than', '7d', '--json']);
    expect(parseJson<PurgeReport>(week).results.map((r) => [r.schema, r.status])).toEqual([[older.schema, 'purged']]);
    const all = await runCli(['purge', '--schema', young.schema, '--all', '--json']);
    expect(parseJson<PurgeReport>(all).results.map((r) => [r.schema, r.status])).toEqual([[young.schema, 'purged']]);
    expect(await namespaces(...[young, older].map(({ id, schema }) => `_deleted_${id}_${schema}`))).toEqual([]);

    // the name is free again
    expect((await runCli(['tenant:create', young.schema])).code).toBe(0);
  });

  it('refuses bad input with one line and exit 1; a failure half-way changes nothing', async () => {
    const live = await tenant('del_l', 2);
    const gone = await tenant('del_g', 1);
    expect((await runCli(['tenant:delete', gone.schema])).code).toBe(0);
    await cli.sql(`create schema "${gone.schema}"`);
    const runs = await Promise.all([
      runCli(['tenant:restore', uniqueName('del_none')]),
      runCli(['tenant:restore', live.schema]),
      runCli(['tenant:restore', gone.schema]),
      runCli(['purge', '--schema', live.schema]),
      runCli(['purge', '--all', '--older-than', '1d']),
      runCli(['purge', '--older-than', '3x']),
    ]);
    expect(runs.map((run) => run.code)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(runs[0].stderr).toMatch(/^error: No deleted tenant had schema "del_none_.*"\.\n$/);
    expect(runs[1].stderr).toBe(`error: Tenant "${live.schema}" is not deleted: there is nothing to restore.\n`);
    expect(runs[2].stderr).toMatch(new RegExp(`^error: Schema "${gone.schema}" already exists in the database .*\\n$`));
    expect(runs[3].stderr).toBe(`error: No deleted tenant had schema "${live.schema}".\n`);
    expect(runs[4].stderr).toMatch(/^error: --all and --older-than cannot be combined\.\n\nUsage: tenancy purge /);
    expect(runs[5].stderr).toMatch(/^error: option '--older-than <duration>' argument '3x' is invalid\./);
    expect(await namespaces(gone.schema, `_deleted_${gone.id}_${gone.schema}`)).toEqual(
      [`_deleted_${gone.id}_${gone.schema}`, gone.schema].sort(),
    );
    expect(await row(gone.schema)).toMatchObject({ status: 'deleted' });
    await cli.sql(`drop schema "${gone.schema}"`);

    // fail the registry update that follows the schema's rename and the domains' release
    const trigger = uniqueName('del_fail');
    await cli.sql(`create function public.${trigger}() returns trigger language plpgsql as $$
      begin
        if new.schema = '${live.schema}' and new.status = 'deleted' then raise exception 'injected failure'; end if;
        return new;
      end $$`);
    await cli.sql(`create trigger ${trigger} before update on public.tenant for each row execute function public.${trigger}()`);
    try {
      const run = await runCli(['tenant:delete', live.schema]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`error: Deleting tenant "${live.schema}" failed and was rolled back: injected failure\n`);
    } finally {
      await cli.sql(`drop trigger ${trigger} on public.tenant`);
      await cli.sql(`drop function public.${trigger}()`);
    }
    expect(await namespaces(live.schema, `_deleted_${live.id}_${live.schema}`)).toEqual([live.schema]);
    expect(await row(live.schema)).toEqual({ status: 'active', deleted_schema: null });
    expect((await cli.tenancy.getTenant(live.schema)).domains.map((domain) => domain.host)).toEqual(live.hosts);
    expect(await statusOf(live.host)()).toBe(200);
  });
});
