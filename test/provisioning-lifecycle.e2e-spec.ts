import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  InvalidSchemaNameError,
  InvalidTenantInputError,
  TenancyService,
  TenantAlreadyExistsError,
  TenantNotFoundError,
} from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { pauseStatements } from './support/paused-statements.js';
import { createTestApp, databaseUrl, sql, uniqueName } from './support/test-app.js';

// rename, suspend/resume, soft delete, restore and purge through the library's API (the CLI tests
// run the compiled dist/, which mutation testing does not reach)

describe('a tenant through its life: rename, suspend, resume, delete, restore, purge', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  const created: string[] = [];

  beforeAll(async () => {
    app = await createTestApp();
    tenancy = app.get(TenancyService);
  });

  afterAll(async () => {
    await dropTestTenants(app, created);
    await app.close();
  });

  const newTenant = async (prefix: string, hosts = 1) => {
    const schema = uniqueName(prefix);
    created.push(schema);
    const domains = Array.from({ length: hosts }, (_, i) => `${i}.${schema.replaceAll('_', '-')}.life.test`);
    await tenancy.createTenant({ schema, domains });
    await sql(app, `insert into "${schema}".project (name) values ('kept')`);
    return { schema, domains };
  };
  const whoami = (host: string) => app.inject({ method: 'GET', url: '/whoami', headers: { host } });
  const registry = (schema: string) =>
    sql<{ status: string; deleted_schema: string | null; deleted_domains: string[] | null; suspended_reason: string | null }>(
      app,
      'select status, deleted_schema, deleted_domains, suspended_reason from public.tenant where schema = ?',
      [schema],
    );

  it('renames the schema and the registry row, serving the same data under the new name', async () => {
    const { schema, domains } = await newTenant('ren');
    const renamed = uniqueName('renamed');
    created.push(renamed);
    const tenant = await tenancy.renameTenant(schema, renamed);
    expect(tenant).toMatchObject({ schema: renamed, status: 'active', domains: [{ host: domains[0], isPrimary: true }] });
    expect(await sql(app, `select name from "${renamed}".project`)).toEqual([{ name: 'kept' }]);
    expect(await sql(app, 'select 1 from pg_namespace where nspname = ?', [schema])).toEqual([]);
    expect((await whoami(domains[0])).json()).toMatchObject({ tenant: { schema: renamed } });

    await expect(tenancy.renameTenant(renamed, renamed)).rejects.toThrow(
      new InvalidTenantInputError(`Tenant "${renamed}" already has this schema name.`),
    );
    await expect(tenancy.renameTenant(renamed, 'Bad-Name')).rejects.toThrow(InvalidSchemaNameError);
    await expect(tenancy.renameTenant(schema, uniqueName('x'))).rejects.toThrow(TenantNotFoundError);
    const other = await newTenant('ren_other');
    await expect(tenancy.renameTenant(renamed, other.schema)).rejects.toThrow(TenantAlreadyExistsError.forSchema(other.schema));
    const leftover = uniqueName('leftover');
    await sql(app, `create schema "${leftover}"`);
    try {
      await expect(tenancy.renameTenant(renamed, leftover)).rejects.toThrow(TenantAlreadyExistsError.forLeftoverSchema(leftover));
      await expect(tenancy.createTenant({ schema: leftover })).rejects.toThrow(
        TenantAlreadyExistsError.forLeftoverSchema(leftover),
      );
    } finally {
      await sql(app, `drop schema "${leftover}"`);
    }
    // a database role's name: on the default search_path ("$user", public) of that role's sessions
    const role = uniqueName('ren_role');
    await sql(app, `create role "${role}"`);
    try {
      await expect(tenancy.renameTenant(renamed, role)).rejects.toThrow(InvalidSchemaNameError.forRoleName(role));
      await expect(tenancy.createTenant({ schema: role })).rejects.toThrow(InvalidSchemaNameError.forRoleName(role));
    } finally {
      await sql(app, `drop role "${role}"`);
    }
    // a deleted tenant kept for the retention holds its name
    const gone = await newTenant('ren_gone', 0);
    await tenancy.deleteTenant(gone.schema);
    await expect(tenancy.renameTenant(renamed, gone.schema)).rejects.toThrow(
      TenantAlreadyExistsError.forDeletedTenant(gone.schema),
    );
    await expect(tenancy.createTenant({ schema: gone.schema })).rejects.toThrow(
      TenantAlreadyExistsError.forDeletedTenant(gone.schema),
    );
    await expect(tenancy.createTenant({ schema: other.schema })).rejects.toThrow(
      TenantAlreadyExistsError.forSchema(other.schema),
    );
    expect(await tenancy.purgeDeletedTenants({ schemas: [gone.schema], all: true })).toMatchObject([{ status: 'purged' }]);
    expect(await sql(app, 'select 1 from pg_namespace where nspname = ?', [role])).toEqual([]);
    expect(await sql(app, `select name from "${renamed}".project`)).toEqual([{ name: 'kept' }]);
  });

  it('a rename waits for a migration run of the tenant to end; a request in flight on the old name ends in a 404 error, never half-renamed', async () => {
    const { schema } = await newTenant('ren_lock');
    const renamed = uniqueName('ren_locked');
    created.push(renamed);
    // another process migrating the tenant holds its migration lock until its transaction ends
    const migrating = new pg.Client({ connectionString: databaseUrl() });
    await migrating.connect();
    let settled = false;
    let rename: Promise<unknown> | undefined;
    try {
      await migrating.query('begin');
      await migrating.query('select pg_advisory_xact_lock(74119001, hashtext($1))', [schema]);
      // a request of the tenant, started before the rename, reads once, then again after it
      let firstRead!: () => void;
      const readOnce = new Promise<void>((resolve) => (firstRead = resolve));
      let renameDone!: () => void;
      const renamedNow = new Promise<void>((resolve) => (renameDone = resolve));
      const inFlight = tenancy.run(schema, async (em) => {
        const before = await em.count(Project);
        firstRead();
        await renamedNow;
        return { before, after: await em.count(Project) };
      });
      await readOnce;
      rename = tenancy.renameTenant(schema, renamed).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(settled).toBe(false);
      expect(await sql(app, 'select nspname from pg_namespace where nspname in (?, ?)', [schema, renamed])).toEqual([
        { nspname: schema },
      ]);
      await migrating.query('commit');
      await expect(rename).resolves.toMatchObject({ schema: renamed });
      renameDone();
      const failure = await inFlight.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(TenantNotFoundError);
      expect((failure as Error).message).toBe(`Tenant "${schema}" no longer exists.`);
      expect(await sql(app, `select name from "${renamed}".project`)).toEqual([{ name: 'kept' }]);
    } finally {
      await migrating.end();
      await rename?.catch(() => undefined);
    }
  });

  it('suspends with a reason (trimmed, time kept on a second suspension) and resumes', async () => {
    const { schema, domains } = await newTenant('susp');
    const first = await tenancy.suspend(schema, { reason: '  Invoice unpaid  ' });
    expect(first).toMatchObject({ schema, status: 'suspended', suspension: { reason: 'Invoice unpaid' } });
    const since = first.suspension?.since;
    expect(since).toBeInstanceOf(Date);
    expect((await whoami(domains[0])).statusCode).toBe(403);
    const second = await tenancy.suspend(schema, { reason: 'Still unpaid' });
    expect(second.suspension).toEqual({ reason: 'Still unpaid', since });
    const noReason = await tenancy.suspend(schema);
    expect(noReason.suspension?.since).toEqual(since);
    expect((await registry(schema))[0].suspended_reason).toBeNull();

    // a reason that is not a string (from JavaScript, or JSON handed on unchecked) is refused the same way
    for (const reason of ['', '   ', 'x'.repeat(501), 'two\nlines', 'bell\u0007', 'del\u007f', 42 as unknown as string]) {
      await expect(tenancy.suspend(schema, { reason })).rejects.toThrow(
        new InvalidTenantInputError('The suspension reason must be 1-500 characters on one line (no control characters).'),
      );
    }
    expect((await tenancy.suspend(schema, { reason: 'y'.repeat(500) })).suspension?.reason).toBe('y'.repeat(500));

    const resumed = await tenancy.resume(schema);
    expect(resumed.status).toBe('active');
    expect(resumed.suspension).toBeUndefined();
    expect(await registry(schema)).toEqual([
      { status: 'active', deleted_schema: null, deleted_domains: null, suspended_reason: null },
    ]);
    expect((await whoami(domains[0])).statusCode).toBe(200);
    await expect(tenancy.suspend(uniqueName('ghost'))).rejects.toThrow(TenantNotFoundError);
    await expect(tenancy.resume(uniqueName('ghost'))).rejects.toThrow(TenantNotFoundError);
  });

  it('deletes softly and restores: schema, status, data and the domains no one took', async () => {
    const { schema, domains } = await newTenant('soft', 3);
    await tenancy.suspend(schema, { reason: 'Paused' });
    const deleted = await tenancy.deleteTenant(schema);
    const [row] = await sql<{ id: number }>(app, 'select id from public.tenant where schema = ?', [schema]);
    const aside = `_deleted_${row.id}_${schema}`;
    expect(deleted).toMatchObject({ id: Number(row.id), schema, deletedSchema: aside, domains });
    expect(deleted?.purgeAfter.getTime()).toBeGreaterThan(deleted!.deletedAt.getTime());
    expect(await registry(schema)).toEqual([
      { status: 'deleted', deleted_schema: aside, deleted_domains: domains, suspended_reason: 'Paused' },
    ]);
    expect(await tenancy.listDeletedTenants()).toContainEqual(expect.objectContaining({ schema, deletedSchema: aside }));
    expect((await whoami(domains[0])).statusCode).toBe(404);
    await expect(tenancy.deleteTenant(schema)).rejects.toThrow(TenantNotFoundError);
    await expect(tenancy.getTenant(schema)).rejects.toThrow(TenantNotFoundError);

    // another tenant takes the second domain meanwhile: it stays with it
    const taker = await newTenant('taker', 0);
    await tenancy.addDomain(taker.schema, domains[1]);
    const restored = await tenancy.restoreTenant(schema);
    expect(restored).toMatchObject({
      schema,
      status: 'suspended',
      domains: [
        { host: domains[0], isPrimary: true },
        { host: domains[2], isPrimary: false },
      ],
      domainsNotRestored: [domains[1]],
    });
    expect(await registry(schema)).toEqual([
      { status: 'suspended', deleted_schema: null, deleted_domains: null, suspended_reason: 'Paused' },
    ]);
    expect(await sql(app, `select name from "${schema}".project`)).toEqual([{ name: 'kept' }]);
    await tenancy.resume(schema);
    expect((await whoami(domains[2])).json()).toMatchObject({ tenant: { schema } });

    await expect(tenancy.restoreTenant(schema)).rejects.toThrow(
      new InvalidTenantInputError(`Tenant "${schema}" is not deleted: there is nothing to restore.`),
    );
    await expect(tenancy.restoreTenant(uniqueName('ghost'))).rejects.toThrow(TenantNotFoundError);
  });

  it('refuses a restore over a leftover schema or when the kept schema is gone, and a delete when the place aside is taken', async () => {
    const { schema } = await newTenant('soft_x');
    await tenancy.deleteTenant(schema);
    await sql(app, `create schema "${schema}"`);
    await expect(tenancy.restoreTenant(schema)).rejects.toThrow(TenantAlreadyExistsError);
    await sql(app, `drop schema "${schema}"`);
    const [{ deleted_schema: aside }] = await registry(schema);
    await sql(app, `drop schema "${aside}" cascade`);
    await expect(tenancy.restoreTenant(schema)).rejects.toThrow(
      new TenantNotFoundError(
        `The schema of deleted tenant "${schema}" ("${aside}") no longer exists, so it cannot be restored; purge it (tenancy purge --schema ${schema} --all).`,
      ),
    );
    expect((await tenancy.purgeDeletedTenants({ schemas: [schema], all: true }))[0]).toMatchObject({ schema, status: 'purged' });

    const blocked = await newTenant('soft_b');
    const [row] = await sql<{ id: number }>(app, 'select id from public.tenant where schema = ?', [blocked.schema]);
    const place = `_deleted_${row.id}_${blocked.schema}`;
    await sql(app, `create schema "${place}"`);
    try {
      await expect(tenancy.deleteTenant(blocked.schema)).rejects.toThrow(
        new TenantAlreadyExistsError(
          `Schema "${place}", where tenant "${blocked.schema}" would be kept, already exists: drop or rename it, then delete again.`,
        ),
      );
      expect(await registry(blocked.schema)).toMatchObject([{ status: 'active' }]);
    } finally {
      await sql(app, `drop schema "${place}"`);
    }
  });

  it('purges what is older than the retention (or all), plans a dry run, and refuses unknown schemas', async () => {
    const a = await newTenant('purge_a');
    const b = await newTenant('purge_b');
    await tenancy.deleteTenant(a.schema);
    await tenancy.deleteTenant(b.schema);
    const schemas = [a.schema, b.schema];
    // deleted just now: not due under the default retention nor an hour
    expect(await tenancy.purgeDeletedTenants({ schemas })).toEqual([]);
    expect(await tenancy.purgeDeletedTenants({ schemas, olderThan: 3_600_000 })).toEqual([]);
    await sql(app, `update public.tenant set deleted_at = now() - interval '2 hours' where schema = ?`, [a.schema]);
    const planned = await tenancy.purgeDeletedTenants({ schemas, olderThan: 3_600_000, dryRun: true });
    expect(planned).toEqual([expect.objectContaining({ schema: a.schema, status: 'planned' })]);
    expect(await registry(a.schema)).toMatchObject([{ status: 'deleted' }]);
    await expect(tenancy.purgeDeletedTenants({ schemas: [...schemas, 'never_deleted_x'] })).rejects.toThrow(TenantNotFoundError);

    const purged = await tenancy.purgeDeletedTenants({ schemas, olderThan: 3_600_000 });
    expect(purged).toEqual([
      {
        schema: a.schema,
        deletedSchema: expect.stringMatching(/^_deleted_\d+_purge_a_/),
        deletedAt: expect.any(Date),
        status: 'purged',
      },
    ]);
    expect(await registry(a.schema)).toEqual([]);
    expect(await sql(app, 'select 1 from pg_namespace where nspname = ?', [purged[0].deletedSchema])).toEqual([]);
    expect(await tenancy.purgeDeletedTenants({ schemas: [b.schema], all: true })).toMatchObject([
      { schema: b.schema, status: 'purged' },
    ]);
    expect(await registry(b.schema)).toEqual([]);
  });

  it('leaves a tenant restored while a purge waited alone: the purge re-reads it under its lock', async () => {
    const { schema } = await newTenant('purge_race');
    const deleted = await tenancy.deleteTenant(schema);
    // hold the purge between its list of deleted tenants and its transaction; restore meanwhile
    const paused = await pauseStatements(app, /^select now\(\) as now$/);
    const purging = tenancy.purgeDeletedTenants({ schemas: [schema], all: true });
    try {
      await paused.blocked();
      await tenancy.restoreTenant(schema);
    } finally {
      await paused.release();
    }
    expect(await purging).toEqual([
      {
        schema,
        deletedSchema: deleted!.deletedSchema,
        deletedAt: deleted!.deletedAt,
        status: 'failed',
        error: `No deleted tenant had schema "${schema}".`,
      },
    ]);
    expect(await registry(schema)).toMatchObject([{ status: 'active' }]);
    expect(await sql(app, 'select nspname from pg_namespace where nspname = ?', [schema])).toEqual([{ nspname: schema }]);
    expect(await tenancy.run(schema, (em) => em.count(Project))).toBe(1);
  });

  it('the deletedRetention option sets when a deleted tenant is due (purgeAfter, and purge with no age given)', async () => {
    // another app on the same database, configured with a 2-hour retention
    const shortRetention = await createTestApp(2, { deletedRetention: 2 * 3_600_000 });
    try {
      const short = shortRetention.get(TenancyService);
      const { schema } = await newTenant('retain');
      const deleted = await short.deleteTenant(schema);
      expect(deleted!.purgeAfter.getTime() - deleted!.deletedAt.getTime()).toBe(2 * 3_600_000);
      expect(await short.purgeDeletedTenants({ schemas: [schema] })).toEqual([]);
      // deleted 3 hours ago: due under the 2-hour retention, not under the default 30 days
      await sql(app, `update public.tenant set deleted_at = now() - interval '3 hours' where schema = ?`, [schema]);
      expect(await tenancy.purgeDeletedTenants({ schemas: [schema] })).toEqual([]);
      expect(await short.purgeDeletedTenants({ schemas: [schema], dryRun: true })).toMatchObject([{ schema, status: 'planned' }]);
      expect(await short.purgeDeletedTenants({ schemas: [schema] })).toMatchObject([{ schema, status: 'purged' }]);
      expect(await registry(schema)).toEqual([]);
    } finally {
      await shortRetention.close();
    }
  });
});
