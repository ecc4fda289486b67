import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, waitForBlockedStatement } from './support/database-session.js';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

describe("provisioning holds the schema's advisory lock", () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  let session: pg.Client;
  // provisioning calls still running when a test fails: awaited before cleaning up
  const running: Promise<unknown>[] = [];
  const schema = uniqueName('lock');
  const host = (label: string) => `${label}.${schema.replaceAll('_', '-')}.test`;

  beforeAll(async () => {
    app = await createTestApp(3);
    tenancy = app.get(TenancyService);
    session = await openSession();
  });

  afterAll(async () => {
    await session.query('rollback').catch(() => undefined);
    await session.end();
    await Promise.all(running);
    await dropTestTenants(app, [schema]);
    await app.close();
  });

  it('createTenant waits for a deleteTenant of the same schema in progress, then creates it afresh', async () => {
    const old = await tenancy.createTenant({ schema, domains: [host('old')] });
    await sql(app, `insert into "${schema}"."project" ("name") values ('from the deleted tenant')`);

    // hold the deletion half-way: after it took the schema's lock, before it committed
    await session.query('begin');
    await session.query('select 1 from public.domain where tenant_id = $1 for update', [old.id]);
    const deleting = tenancy.deleteTenant(schema, { dropSchema: true });
    running.push(deleting.catch(() => undefined));
    await waitForBlockedStatement(session, 'delete from "public"."domain"%');

    let settled = false;
    const creating = tenancy.createTenant({ schema, domains: [host('new')] }).finally(() => (settled = true));
    running.push(creating.catch(() => undefined));
    const outcome = creating.then(
      (tenant) => ({ created: tenant.domains.map((domain) => domain.host) }),
      (error: unknown) => ({ refused: String(error) }),
    );
    // the creation must queue behind the deletion (a refusal here means it did not wait)
    await waitForBlockedStatement(session, '%pg_advisory_xact_lock%', { waitEvent: 'advisory', until: () => settled });
    await session.query('commit');

    await deleting;
    expect(await outcome).toEqual({ created: [host('new')] });
    expect(await sql(app, `select count(*)::int as n from "${schema}"."project"`)).toEqual([{ n: 0 }]);
  });
});
