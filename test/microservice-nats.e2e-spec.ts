import { randomBytes } from 'node:crypto';
import { EntityManager } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type ClientProxy,
  ClientProxyFactory,
  MessagePattern,
  type MicroserviceOptions,
  NatsRecordBuilder,
  Payload,
  Transport,
} from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { TenancyModule, TenancyService } from 'nestjs-tenancy';
import { TenantFromMessage } from 'nestjs-tenancy/microservices';
import { dropTestTenants, migrateTestDatabase } from 'nestjs-tenancy/testing';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

const natsUrl = () => process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const prefix = `tenancy-${randomBytes(4).toString('hex')}`;

@Controller()
class ProjectsMessages {
  constructor(
    private readonly em: EntityManager,
    private readonly tenancy: TenancyService,
  ) {}

  @TenantFromMessage()
  @MessagePattern(`${prefix}.projects.list`)
  async list(@Payload() data: { tenant?: string }) {
    const names = (await this.em.find(Project, {}, { orderBy: { id: 'asc' } })).map((project) => project.name);
    return { asked: data.tenant, bound: this.tenancy.current()?.schema, names };
  }

  @TenantFromMessage({ header: 'x-tenant' })
  @MessagePattern(`${prefix}.projects.create`)
  async create(@Payload() data: { name: string }) {
    const project = this.em.create(Project, { name: data.name });
    await this.em.flush();
    return { bound: this.tenancy.current()?.schema, id: project.id };
  }
}

@Module({
  imports: [MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)), TenancyModule.forRoot({ migrations })],
  controllers: [ProjectsMessages],
})
class NatsTestModule {}

describe('microservice handlers bound to the tenant their message names (NATS)', () => {
  let app: NestFastifyApplication;
  let client: ClientProxy;
  let tenancy: TenancyService;
  const acme = uniqueName('msg_a');
  const globex = uniqueName('msg_g');

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(NatsTestModule, new FastifyAdapter(), { logger: false });
    app.connectMicroservice<MicroserviceOptions>({ transport: Transport.NATS, options: { servers: [natsUrl()] } });
    await app.startAllMicroservices();
    await app.init();
    await migrateTestDatabase(app);
    tenancy = app.get(TenancyService);
    for (const schema of [acme, globex]) {
      await tenancy.createTenant({ schema, domains: [`${schema.replaceAll('_', '-')}.msg.test`] });
      await tenancy.run(schema, async (em) => {
        em.create(Project, { name: `${schema} project` });
        await em.flush();
      });
    }
    client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [natsUrl()] } });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await dropTestTenants(app, [acme, globex]);
    await app?.close();
  });

  const send = <T>(pattern: string, data: unknown) => lastValueFrom(client.send<T>(`${prefix}.${pattern}`, data));

  it('a tenant named in the payload: the handler sees that tenant rows only', async () => {
    const [a, g] = await Promise.all([send('projects.list', { tenant: acme }), send('projects.list', { tenant: globex })]);
    expect(a).toEqual({ asked: acme, bound: acme, names: [`${acme} project`] });
    expect(g).toEqual({ asked: globex, bound: globex, names: [`${globex} project`] });
  });

  it('a tenant named in a NATS header', async () => {
    const headers = natsHeaders();
    headers.set('x-tenant', globex);
    const record = new NatsRecordBuilder({ name: 'by-header' }).setHeaders(headers).build();
    expect(await send('projects.create', record)).toMatchObject({ bound: globex });
    expect(await tenancy.run(globex, (em) => em.count(Project, { name: 'by-header' }))).toBe(1);
    expect(await tenancy.run(acme, (em) => em.count(Project, { name: 'by-header' }))).toBe(0);
  });

  it('an unknown or suspended tenant is refused with its status; no tenant fails closed', async () => {
    await expect(send('projects.list', { tenant: 'no_such_tenant' })).rejects.toMatchObject({ statusCode: 404 });
    await expect(send('projects.list', { tenant: 42 })).rejects.toMatchObject({ statusCode: 400 });
    await tenancy.suspend(globex);
    try {
      await expect(send('projects.list', { tenant: globex })).rejects.toMatchObject({ statusCode: 403 });
    } finally {
      await tenancy.resume(globex);
    }
    // unbound: the tenant entity query is refused (an internal error for the caller)
    await expect(send('projects.list', {})).rejects.toMatchObject({ status: 'error' });
  });
});
