import { randomBytes } from 'node:crypto';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrations, ormOptions } from '../../../../apps/example/src/orm.config.js';
import { createTestApp, databaseUrl, sql } from '../../../../test/support/test-app.js';
import { TENANCY_CHANNEL } from '../tenancy.constants.js';
import { TenancyModule } from '../tenancy.module.js';
import { TenantChangeNotifier } from './tenant-change.notifier.js';
import { type TenantChange, TenantRegistry } from './tenant.registry.js';

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
    expect(notifier.isListening()).toBe(true);
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
    await sql(context, 'select pg_notify(?, ?)', [TENANCY_CHANNEL, JSON.stringify({ origin: 'another-process', hosts: theirs })]);
    await vi.waitFor(() => expect(appliedHosts()).toContainEqual(theirs), { timeout: 5_000 });

    expect(appliedHosts()).toEqual([ours, theirs]);
  });
});
