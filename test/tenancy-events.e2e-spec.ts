import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  SchemaMigrator,
  TENANCY_EVENTS,
  TenancyModule,
  TenancyService,
  type TenantCreatedEvent,
  type TenantDeletedEvent,
} from 'nestjs-tenancy';
import { dropTestTenants, migrateTestDatabase } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl, sql, uniqueName } from './support/test-app.js';

const received: { event: string; payload: unknown; schemaInDatabase?: boolean }[] = [];

@Injectable()
class Listeners {
  constructor(private readonly tenancy: TenancyService) {}

  @OnEvent('tenancy.**')
  record(payload: unknown) {
    received.push({ event: 'any', payload });
  }

  @OnEvent(TENANCY_EVENTS.tenantCreated, { suppressErrors: false })
  async created(event: TenantCreatedEvent) {
    // after commit: the tenant is in the database, and can be bound
    const seen = await this.tenancy.run(event.tenant.schema, () => this.tenancy.current()?.schema);
    received.push({ event: TENANCY_EVENTS.tenantCreated, payload: event, schemaInDatabase: seen === event.tenant.schema });
  }

  @OnEvent(TENANCY_EVENTS.tenantCreated, { suppressErrors: false })
  failing(event: TenantCreatedEvent) {
    if (event.tenant.schema.includes('fail')) {
      throw new Error('this listener fails');
    }
  }

  @OnEvent(TENANCY_EVENTS.tenantDeleted)
  deleted(event: TenantDeletedEvent) {
    received.push({ event: TENANCY_EVENTS.tenantDeleted, payload: event });
  }
}

@Module({
  imports: [
    MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)),
    TenancyModule.forRoot({ migrations }),
    EventEmitterModule.forRoot({ wildcard: true }),
  ],
  providers: [Listeners],
})
class EventsTestModule {}

describe('lifecycle events (@nestjs/event-emitter)', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  const schema = uniqueName('ev');
  const failing = uniqueName('ev_fail');
  const host = `${schema.replaceAll('_', '-')}.events.test`;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(EventsTestModule, { logger: false });
    await app.init();
    await migrateTestDatabase(app);
    tenancy = app.get(TenancyService);
  });

  afterAll(async () => {
    await dropTestTenants(app, [schema, failing]);
    await app.close();
  });

  const payloads = () => received.filter((entry) => entry.event === 'any').map((entry) => entry.payload);

  it('emits each change once, after it committed, with typed payloads', async () => {
    received.length = 0;
    const created = await tenancy.createTenant({ schema, domains: [host] });
    expect(received.find((entry) => entry.event === TENANCY_EVENTS.tenantCreated)).toMatchObject({
      payload: { tenant: { schema, domains: [{ host, isPrimary: true }] } },
      schemaInDatabase: true,
    });
    await tenancy.addDomain(schema, `Second.${host}`);
    await tenancy.removeDomain(`second.${host}`);
    await tenancy.suspend(schema);
    await tenancy.resume(schema);
    expect(payloads()).toEqual([
      { tenant: expect.objectContaining({ schema, id: created.id }) },
      { schema, host: `second.${host}`, primary: false },
      { host: `second.${host}` },
      { tenant: expect.objectContaining({ schema, status: 'suspended' }) },
      { tenant: expect.objectContaining({ schema, status: 'active' }) },
    ]);
  });

  it('a failing listener of "created" is logged and does not undo the tenant', async () => {
    const tenant = await tenancy.createTenant({ schema: failing, domains: [`${failing.replaceAll('_', '-')}.events.test`] });
    expect(tenant.schema).toBe(failing);
    const [row] = await sql<{ status: string }>(app, 'select status from public.tenant where schema = ?', [failing]);
    expect(row).toEqual({ status: 'active' });
    // the other listeners ran
    expect(
      received.some(
        (entry) =>
          entry.event === TENANCY_EVENTS.tenantCreated && (entry.payload as TenantCreatedEvent).tenant.schema === failing,
      ),
    ).toBe(true);
  });

  it('emits "migrated" for a tenant schema that got migrations', async () => {
    // take the tenant's last migration back, then migrate again
    const migrator = app.get(SchemaMigrator);
    const reverted = await migrator.revert('tenant', schema);
    expect(reverted.migrations).toHaveLength(1);
    received.length = 0;
    await migrator.migrateAll({ schemas: [schema], shared: false });
    expect(payloads()).toEqual([{ schema, migrations: reverted.migrations }]);
  });

  it('emits "deleted" with the schema and whether it was dropped', async () => {
    received.length = 0;
    const id = (await tenancy.getTenant(failing)).id;
    await tenancy.deleteTenant(failing, { dropSchema: true });
    expect(received.filter((entry) => entry.event === TENANCY_EVENTS.tenantDeleted).map((entry) => entry.payload)).toEqual([
      { tenantId: id, schema: failing, schemaDropped: true },
    ]);
  });
});
