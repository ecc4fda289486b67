import { randomBytes, randomUUID } from 'node:crypto';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { migrations, ormOptions } from '../../../../apps/example/src/orm.config.js';
import { createTestApp, databaseUrl, sql } from '../../../../test/support/test-app.js';
import { TENANCY_CHANNEL } from '../tenancy.constants.js';
import { TenancyModule } from '../tenancy.module.js';
import { TenantChangeNotifier } from './tenant-change.notifier.js';
import { MAX_MESSAGE_HOSTS } from './tenant-change.message.js';
import { type TenantChange, TenantRegistry } from './tenant.registry.js';

// Any database session can NOTIFY the channel: what arrives there must never crash or flood an
// instance. The registry is internal, so this is tested beside the code, on the real database.
describe('TenantChangeNotifier with notifications it did not send', () => {
  let app: NestFastifyApplication;
  let registry: TenantRegistry;
  let client: pg.Client;

  beforeAll(async () => {
    app = await createTestApp(2, { directDatabaseUrl: databaseUrl() });
    registry = app.get(TenantRegistry);
    client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await app.close();
  });

  /** Sends payloads in one transaction (delivered together, as one burst) and waits for them. */
  async function notify(
    payloads: string[],
    apply: MockInstance<TenantRegistry['apply']>,
    forgetAll: MockInstance<TenantRegistry['forgetAll']>,
  ): Promise<void> {
    await client.query('begin');
    try {
      for (const payload of payloads) {
        await client.query('select pg_notify($1, $2)', [TENANCY_CHANNEL, payload]);
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    }
    // a valid change after them: once it is applied (alone, or in one batch with them), everything
    // before it was read
    const marker = `marker-${randomUUID()}.test`;
    await client.query('select pg_notify($1, $2)', [TENANCY_CHANNEL, JSON.stringify({ origin: randomUUID(), hosts: [marker] })]);
    const deadline = Date.now() + 10_000;
    while (!apply.mock.calls.some(([change]) => change.hosts?.includes(marker)) && forgetAll.mock.calls.length === 0) {
      if (Date.now() > deadline) {
        throw new Error('the marker notification was not applied within 10 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('ignores hostile payloads without throwing, and applies none of them', async () => {
    const apply = vi.spyOn(registry, 'apply');
    const forgetAll = vi.spyOn(registry, 'forgetAll');
    const origin = randomUUID();
    await notify(
      [
        'null',
        '42',
        '[]',
        '"x"',
        '{',
        '{}',
        JSON.stringify({ origin: null, tenantId: 1 }),
        JSON.stringify({ origin, tenantId: '1' }),
        JSON.stringify({ origin, hosts: [1, 2] }),
        JSON.stringify({ origin, hosts: Array.from({ length: MAX_MESSAGE_HOSTS + 1 }, (_, i) => `h${i}.test`) }),
        JSON.stringify({ origin, schema: 'x; drop schema public' }),
        JSON.stringify({ origin, tenantId: 1, extra: true }),
      ],
      apply,
      forgetAll,
    );
    // the marker only
    expect(apply).toHaveBeenCalledTimes(1);
    expect(forgetAll).not.toHaveBeenCalled();
    apply.mockRestore();
    forgetAll.mockRestore();
    const health = await app.inject({ method: 'GET', url: '/health', headers: { host: 'localhost' } });
    expect(health.statusCode).toBe(200);
  });

  it('applies a burst of changes as one cache clear', async () => {
    const apply = vi.spyOn(registry, 'apply');
    const forgetAll = vi.spyOn(registry, 'forgetAll');
    const origin = randomUUID();
    await notify(
      Array.from({ length: 200 }, (_, i) => JSON.stringify({ origin, tenantId: i + 1 })),
      apply,
      forgetAll,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(forgetAll).toHaveBeenCalledTimes(1);
    expect(apply.mock.calls.length).toBeLessThanOrEqual(1); // the marker at most
    apply.mockRestore();
    forgetAll.mockRestore();
  });
});

// The notifier is internal: this test reaches it beside the code, on the real database.
describe('TenantChangeNotifier in the process that made the change', () => {
  let context: INestApplicationContext;

  beforeAll(async () => {
    await (await createTestApp()).close();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot(ormOptions(databaseUrl(), 2)),
        TenancyModule.forRoot({ migrations, directDatabaseUrl: databaseUrl() }),
      ],
    }).compile();
    context = await moduleRef.init();
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await context.close();
  });

  it('applies a change once: at once, and not again when its own notification comes back', async () => {
    const notifier = context.get(TenantChangeNotifier);
    const registry = context.get(TenantRegistry);
    const apply = vi.spyOn(registry, 'apply');
    const ours = [`own-${randomBytes(4).toString('hex')}.test`];
    const theirs = [`other-${randomBytes(4).toString('hex')}.test`];
    const appliedHosts = () =>
      apply.mock.calls
        .map(([change]: [TenantChange]) => change.hosts)
        .filter((hosts) => hosts?.[0] === ours[0] || hosts?.[0] === theirs[0]);

    await notifier.changed({ hosts: ours });
    // another process's change, announced after ours: notifications arrive in commit order, so
    // once it is applied, our own notification has come back too
    await sql(context, 'select pg_notify(?, ?)', [TENANCY_CHANNEL, JSON.stringify({ origin: randomUUID(), hosts: theirs })]);
    await vi.waitFor(() => expect(appliedHosts()).toContainEqual(theirs), { timeout: 5_000 });

    expect(appliedHosts()).toEqual([ours, theirs]);
  });
});
