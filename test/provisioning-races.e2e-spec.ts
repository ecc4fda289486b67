import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainTakenError, SchemaMigrator, TenancyService, TenantAlreadyExistsError } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSession, waitForBlockedStatement } from './support/database-session.js';
import { pauseStatements } from './support/paused-statements.js';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

/**
 * createTenant checks for a taken schema, tenant or domain before writing, but another session
 * (another process, hand-written SQL) may write the same name after the check and before the
 * commit: then PostgreSQL's unique constraints decide, and the error must still say what is taken.
 */
describe('createTenant racing another session', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  let session: pg.Client;
  let owner: { id: number; schema: string };
  const created: string[] = [];
  const running: Promise<unknown>[] = [];

  beforeAll(async () => {
    app = await createTestApp(3);
    tenancy = app.get(TenancyService);
    session = await openSession();
    owner = await tenancy.createTenant({ schema: uniqueName('race_owner') });
    created.push(owner.schema);
  });

  afterEach(async () => {
    await session.query('rollback').catch(() => undefined);
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await session.end();
    await Promise.all(running);
    await dropTestTenants(app, created);
    await app.close();
  });

  /** Starts createTenant while `session` holds a conflicting write, then commits that write. */
  async function createAgainstCommitted(schema: string, domains: string[], blockedOn: string): Promise<unknown> {
    let settled = false;
    const creating = tenancy.createTenant({ schema, domains }).finally(() => (settled = true));
    running.push(creating.catch(() => undefined));
    const blocked = await waitForBlockedStatement(session, blockedOn, { until: () => settled });
    await session.query('commit');
    const error = await creating.then(
      () => 'created',
      (e: unknown) => e,
    );
    return { blocked, error };
  }

  async function leftovers(schema: string): Promise<{ schema: number; tenant: number }> {
    const [row] = await sql<{ schema: string; tenant: string }>(
      app,
      `select (select count(*) from pg_namespace where nspname = ?) as schema,
              (select count(*) from public.tenant where schema = ? and name = ?) as tenant`,
      [schema, schema, schema],
    );
    return { schema: Number(row.schema), tenant: Number(row.tenant) };
  }

  it('says the domain is taken when another session adds it after the check', async () => {
    const schema = uniqueName('race_dom');
    const host = `${schema.replaceAll('_', '-')}.test`;
    await session.query('begin');
    await session.query(`insert into public.domain (host, tenant_id, is_primary, created_at) values ($1, $2, false, now())`, [
      host,
      owner.id,
    ]);
    const { blocked, error } = (await createAgainstCommitted(schema, [host], 'insert into "public"."domain"%')) as {
      blocked: boolean;
      error: unknown;
    };
    expect(blocked).toBe(true);
    expect(error).toBeInstanceOf(DomainTakenError);
    expect(await leftovers(schema)).toEqual({ schema: 0, tenant: 0 });
  });

  it('says the tenant exists when another session registers the same schema after the check', async () => {
    const schema = uniqueName('race_row');
    await session.query('begin');
    await session.query(
      `insert into public.tenant (schema, name, status, created_at, updated_at) values ($1, 'other', 'active', now(), now())`,
      [schema],
    );
    const { blocked, error } = (await createAgainstCommitted(schema, [], 'insert into "public"."tenant"%')) as {
      blocked: boolean;
      error: unknown;
    };
    created.push(schema);
    expect(blocked).toBe(true);
    expect(error).toEqual(new TenantAlreadyExistsError(`A tenant or schema named "${schema}" already exists.`));
    expect(await leftovers(schema)).toEqual({ schema: 0, tenant: 0 });
  });

  it('says the schema exists when another session creates it after the check', async () => {
    const schema = uniqueName('race_nsp');
    // hold createTenant's look into pg_namespace once it has read it, create the schema meanwhile
    const migrationOrm = await app.get(SchemaMigrator).migrationOrm('tenant');
    const paused = await pauseStatements({ get: () => migrationOrm } as never, /from pg_namespace where nspname/);
    const creating = tenancy.createTenant({ schema }).then(
      () => 'created',
      (e: unknown) => e,
    );
    running.push(creating);
    await paused.blocked();
    await sql(app, `create schema "${schema}"`);
    await paused.release();
    expect(await creating).toEqual(new TenantAlreadyExistsError(`A tenant or schema named "${schema}" already exists.`));
    expect(await leftovers(schema)).toEqual({ schema: 1, tenant: 0 });
    await sql(app, `drop schema "${schema}"`);
  });

  it('logs each creation and deletion, saying whether the schema was dropped', async () => {
    const log = vi.spyOn(Logger.prototype, 'log');
    const [kept, dropped] = [uniqueName('log_keep'), uniqueName('log_drop')];
    await tenancy.createTenant({ schema: kept });
    await tenancy.createTenant({ schema: dropped });
    await tenancy.deleteTenant(kept);
    await tenancy.deleteTenant(dropped, { dropSchema: true });
    await tenancy.purgeDeletedTenants({ schemas: [kept], all: true });
    const messages = log.mock.calls.map(([message]) => String(message));
    expect(messages.filter((message) => message.includes(kept) || message.includes(dropped))).toEqual([
      expect.stringMatching(new RegExp(`^Created tenant "${kept}" in \\d+ ms\\.$`)),
      expect.stringMatching(new RegExp(`^Created tenant "${dropped}" in \\d+ ms\\.$`)),
      `Deleted tenant "${kept}"; its schema is kept for 2592000000 ms.`,
      `Deleted tenant "${dropped}" and dropped its schema.`,
      `Purged deleted tenant "${kept}".`,
    ]);
  });
});
