import { EntityManager } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type OnGatewayConnection, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { CurrentTenant, TenancyModule, TenancyService, type TenantRecord } from 'nestjs-tenancy';
import { TenantIoAdapter } from 'nestjs-tenancy/socket.io';
import { dropTestTenants, migrateTestDatabase, runAsTenant } from 'nestjs-tenancy/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

@WebSocketGateway()
class ProjectsGateway implements OnGatewayConnection {
  constructor(
    private readonly em: EntityManager,
    private readonly tenancy: TenancyService,
  ) {}

  async handleConnection(client: { emit(event: string, data: unknown): void }): Promise<void> {
    client.emit('welcome', { tenant: this.tenancy.current()?.schema, projects: await this.em.count(Project) });
  }

  @SubscribeMessage('projects')
  async projects(@CurrentTenant() tenant: TenantRecord | undefined) {
    const projects = await this.em.find(Project, {}, { orderBy: { id: 'asc' } });
    return { tenant: tenant?.schema, bound: this.tenancy.current()?.schema, names: projects.map((p) => p.name) };
  }
}

@WebSocketGateway({ path: '/public-io' })
class PublicGateway {
  constructor(private readonly tenancy: TenancyService) {}

  @SubscribeMessage('ping')
  ping() {
    return { unbound: this.tenancy.current() === undefined };
  }
}

@Module({
  imports: [
    MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)),
    TenancyModule.forRoot({ migrations, sharedPaths: ['/public-io'] }),
  ],
  providers: [ProjectsGateway, PublicGateway],
})
class SocketIoTestModule {}

describe('socket.io through TenantIoAdapter', () => {
  let app: NestFastifyApplication;
  let port: number;
  let tenancy: TenancyService;
  const prefix = uniqueName('sio');
  const [a, b, later, suspended] = ['a', 'b', 'l', 'z'].map((suffix) => `${prefix}_${suffix}`);
  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.sio.test`;
  const sockets: Socket[] = [];
  const open = (host: string, path?: string): Socket => {
    const socket = io(`http://127.0.0.1:${port}`, {
      path,
      transports: ['websocket'],
      extraHeaders: { host },
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    return socket;
  };
  const once = <T>(socket: Socket, event: string) => new Promise<T>((resolve) => socket.once(event, resolve));

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(SocketIoTestModule, new FastifyAdapter(), { logger: false });
    app.useWebSocketAdapter(new TenantIoAdapter(app));
    await app.init();
    await migrateTestDatabase(app);
    tenancy = app.get(TenancyService);
    for (const schema of [a, b, later, suspended]) {
      await tenancy.createTenant({ schema, domains: [hostOf(schema)] });
      await runAsTenant(app, schema, async (em) => {
        em.create(Project, { name: `${schema} first` });
        if (schema === a) em.create(Project, { name: `${schema} second` });
        await em.flush();
      });
    }
    await tenancy.suspend(suspended);
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  afterAll(async () => {
    sockets.forEach((socket) => socket.close());
    await dropTestTenants(app, [a, b, later, suspended]);
    await app.close();
  });

  it('binds every event of a connection to the tenant of its handshake: each sees only its rows', async () => {
    const [ofA, ofB] = [open(hostOf(a)), open(hostOf(b))];
    const welcomes = await Promise.all([once(ofA, 'welcome'), once(ofB, 'welcome')]);
    expect(welcomes).toEqual([
      { tenant: a, projects: 2 },
      { tenant: b, projects: 1 },
    ]);
    const answers = await Promise.all([ofA, ofB, ofA, ofB].map((socket) => socket.emitWithAck('projects')));
    const expected = {
      [a]: { tenant: a, bound: a, names: [`${a} first`, `${a} second`] },
      [b]: { tenant: b, bound: b, names: [`${b} first`] },
    };
    expect(answers).toEqual([expected[a], expected[b], expected[a], expected[b]]);
  });

  it.each([
    ['an unknown host', 'nobody.sio.test', 404, 'NOT_FOUND', /No tenant is served at host "nobody.sio.test"/],
    ['a malformed host', 'bad_host!.sio.test', 400, 'BAD_REQUEST', /host/i],
    ['a suspended tenant', hostOf(suspended), 403, 'FORBIDDEN', /is suspended/],
  ])('%s: the connection is refused with connect_error carrying the status', async (_case, host, statusCode, code, message) => {
    const error = await once<Error & { data?: unknown }>(open(host), 'connect_error');
    expect(error.message).toMatch(message);
    expect(error.data).toEqual({ code, statusCode, message: expect.stringMatching(message) });
  });

  it('a tenant suspended after the handshake gets an exception event on its next event, and is disconnected', async () => {
    const socket = open(hostOf(later));
    await once(socket, 'welcome');
    expect(await socket.emitWithAck('projects')).toMatchObject({ bound: later });
    await tenancy.suspend(later);
    const exception = once(socket, 'exception');
    const disconnected = once<string>(socket, 'disconnect');
    socket.emit('projects');
    expect(await exception).toEqual({ code: 'FORBIDDEN', statusCode: 403, message: `Tenant "${later}" is suspended.` });
    expect(await disconnected).toBe('io server disconnect');
  });

  it('a server path in sharedPaths accepts any host and handles its events unbound', async () => {
    for (const host of ['nobody.sio.test', hostOf(a)]) {
      expect(await open(host, '/public-io').emitWithAck('ping')).toEqual({ unbound: true });
    }
  });
});
