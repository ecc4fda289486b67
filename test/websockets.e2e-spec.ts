import { EntityManager } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConnectedSocket, MessageBody, type OnGatewayConnection, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  CurrentTenant,
  HeaderTenantResolver,
  HostTenantResolver,
  TenancyModule,
  TenancyService,
  type TenantRecord,
} from 'nestjs-tenancy';
import { dropTestTenants, migrateTestDatabase, runAsTenant } from 'nestjs-tenancy/testing';
import { TenantWsAdapter } from 'nestjs-tenancy/websockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

const LAST_LOADED = Symbol('last loaded project');

@WebSocketGateway({ path: '/ws' })
class ProjectsGateway implements OnGatewayConnection {
  constructor(
    private readonly em: EntityManager,
    private readonly tenancy: TenancyService,
  ) {}

  /** Runs bound too: greets the client with its tenant's project count. */
  async handleConnection(client: WebSocket): Promise<void> {
    const count = await this.em.count(Project);
    client.send(JSON.stringify({ event: 'welcome', data: { tenant: this.tenancy.current()?.schema, projects: count } }));
  }

  @SubscribeMessage('projects')
  async projects(@CurrentTenant() tenant: TenantRecord | undefined) {
    const projects = await this.em.find(Project, {}, { orderBy: { id: 'asc' } });
    return {
      event: 'projects',
      data: { tenant: tenant?.schema, bound: this.tenancy.current()?.schema, names: projects.map((p) => p.name) },
    };
  }

  @SubscribeMessage('create')
  async create(@MessageBody() name: string) {
    const project = this.em.create(Project, { name });
    await this.em.flush();
    return { event: 'created', data: { id: project.id } };
  }

  /** Whether this message's EntityManager hands back the entity the previous message loaded (it must not: one context per message). */
  @SubscribeMessage('identity')
  async identity(@ConnectedSocket() client: WebSocket & { [LAST_LOADED]?: Project }) {
    const project = await this.em.findOneOrFail(Project, { id: { $gt: 0 } }, { orderBy: { id: 'asc' } });
    const previous = client[LAST_LOADED];
    client[LAST_LOADED] = project;
    return { event: 'identity', data: { sameAsPrevious: previous === undefined ? null : previous === project } };
  }
}

/** On a path listed in `sharedPaths`: any host connects, and messages run unbound. */
@WebSocketGateway({ path: '/public' })
class PublicGateway {
  constructor(private readonly tenancy: TenancyService) {}

  @SubscribeMessage('ping')
  ping() {
    return { event: 'pong', data: { unbound: this.tenancy.current() === undefined } };
  }
}

@Module({
  imports: [
    MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)),
    TenancyModule.forRoot({ migrations, sharedPaths: ['/public'] }),
  ],
  providers: [ProjectsGateway, PublicGateway],
})
class WebSocketTestModule {}

/** The same gateway behind an ordered chain of resolvers: the X-Tenant header first, then the Host. */
@Module({
  imports: [
    MikroOrmModule.forRoot(ormOptions(databaseUrl(), 2)),
    TenancyModule.forRoot({ migrations, resolvers: [new HeaderTenantResolver('x-tenant'), new HostTenantResolver()] }),
  ],
  providers: [ProjectsGateway],
})
class HeaderResolverTestModule {}

interface Message {
  event: string;
  data: Record<string, unknown>;
}

/** A real `ws` client with an explicit Host header, that queues what the server sends. */
class Client {
  readonly socket: WebSocket;
  private readonly received: Message[] = [];
  private readonly waiting: ((message: Message) => void)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(port: number, host: string, path = '/ws', headers: Record<string, string> = {}) {
    this.socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { ...headers, host } });
    this.socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as Message;
      const waiter = this.waiting.shift();
      if (waiter) waiter(message);
      else this.received.push(message);
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  next(): Promise<Message> {
    const message = this.received.shift();
    return message ? Promise.resolve(message) : new Promise((resolve) => this.waiting.push(resolve));
  }

  async ask(event: string, data?: unknown): Promise<Message> {
    this.socket.send(JSON.stringify({ event, data }));
    return this.next();
  }

  close(): void {
    this.socket.close();
  }
}

/** The HTTP answer to a refused upgrade, as the `ws` client reports it. */
function refusedHandshake(
  port: number,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { ...headers, host } });
    socket.once('open', () => reject(new Error(`the connection to ${host} was accepted`)));
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
    });
    socket.once('error', () => undefined);
  });
}

describe('WebSockets (platform-ws) through TenantWsAdapter', () => {
  let app: NestFastifyApplication;
  let port: number;
  let tenancy: TenancyService;
  const prefix = uniqueName('ws');
  const [a, b, later, suspended, deleted] = ['a', 'b', 'l', 'z', 'd'].map((suffix) => `${prefix}_${suffix}`);
  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.ws.test`;
  const clients: Client[] = [];
  const connect = async (host: string, path?: string) => {
    const client = new Client(port, host, path);
    clients.push(client);
    await client.opened;
    return client;
  };

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(WebSocketTestModule, new FastifyAdapter(), { logger: false });
    app.useWebSocketAdapter(new TenantWsAdapter(app));
    await app.init();
    await migrateTestDatabase(app);
    tenancy = app.get(TenancyService);
    for (const schema of [a, b, later, suspended, deleted]) {
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
    clients.forEach((client) => client.close());
    await dropTestTenants(app, [a, b, later, suspended, deleted]);
    await app.close();
  });

  it("binds every message of a connection to the tenant of its handshake's host: each sees only its rows", async () => {
    const [ofA, ofB] = await Promise.all([connect(hostOf(a)), connect(hostOf(b))]);
    expect(await ofA.next()).toEqual({ event: 'welcome', data: { tenant: a, projects: 2 } });
    expect(await ofB.next()).toEqual({ event: 'welcome', data: { tenant: b, projects: 1 } });
    const answers = await Promise.all([ofA.ask('projects'), ofB.ask('projects'), ofA.ask('projects'), ofB.ask('projects')]);
    const expected = {
      [a]: { event: 'projects', data: { tenant: a, bound: a, names: [`${a} first`, `${a} second`] } },
      [b]: { event: 'projects', data: { tenant: b, bound: b, names: [`${b} first`] } },
    };
    expect(answers).toEqual([expected[a], expected[b], expected[a], expected[b]]);
  });

  it("writes land in the connection tenant's schema", async () => {
    const ofB = await connect(hostOf(b));
    await ofB.next();
    const created = await ofB.ask('create', `${b} from ws`);
    expect(created.data.id).toEqual(expect.any(Number));
    const names = await runAsTenant(app, b, async (em) => (await em.find(Project, {})).map((p) => p.name));
    expect(names).toContain(`${b} from ws`);
    const namesOfA = await runAsTenant(app, a, async (em) => (await em.find(Project, {})).map((p) => p.name));
    expect(namesOfA).not.toContain(`${b} from ws`);
  });

  it('each message runs in a MikroORM context of its own (a fresh identity map)', async () => {
    const ofA = await connect(hostOf(a));
    await ofA.next();
    expect((await ofA.ask('identity')).data).toEqual({ sameAsPrevious: null });
    expect((await ofA.ask('identity')).data).toEqual({ sameAsPrevious: false });
  });

  it.each([
    ['an unknown host', 'nobody.ws.test', 404, /No tenant is served at host "nobody.ws.test"/],
    ['a malformed host', 'bad_host!.ws.test', 400, /host/i],
    ['a suspended tenant', hostOf(suspended), 403, /is suspended/],
  ])('%s: the handshake is refused with the HTTP status and JSON body of a route', async (_case, host, status, message) => {
    const refused = await refusedHandshake(port, host);
    // a suspension's answer also says why and since when (null: suspended with no reason)
    const suspension = status === 403 ? { reason: null, suspendedAt: expect.any(String) } : {};
    expect(refused).toEqual({
      status,
      body: { statusCode: status, error: expect.any(String), message: expect.stringMatching(message), ...suspension },
    });
  });

  it('a tenant suspended after the handshake is refused on its next message: the socket closes with 4403 and the reason', async () => {
    const client = await connect(hostOf(later));
    expect((await client.next()).data).toEqual({ tenant: later, projects: 1 });
    expect((await client.ask('projects')).data).toMatchObject({ bound: later });
    await tenancy.suspend(later);
    client.socket.send(JSON.stringify({ event: 'projects' }));
    expect(await client.closed).toEqual({ code: 4403, reason: `Tenant "${later}" is suspended.` });
  });

  it('a tenant deleted after the handshake is refused on its next message: 4404', async () => {
    const client = await connect(hostOf(deleted));
    expect((await client.next()).data).toEqual({ tenant: deleted, projects: 1 });
    await tenancy.deleteTenant(deleted, { dropSchema: true });
    client.socket.send(JSON.stringify({ event: 'projects' }));
    expect(await client.closed).toEqual({ code: 4404, reason: `No tenant is served at host "${hostOf(deleted)}".` });
  });

  it('a path in sharedPaths accepts any host and handles its messages unbound', async () => {
    for (const host of ['nobody.ws.test', hostOf(a)]) {
      const client = await connect(host, '/public');
      expect(await client.ask('ping')).toEqual({ event: 'pong', data: { unbound: true } });
    }
  });
});

describe('WebSockets: the handshake goes through the configured resolvers, in order', () => {
  let app: NestFastifyApplication;
  let port: number;
  const prefix = uniqueName('wsh');
  const [a, b] = ['a', 'b'].map((suffix) => `${prefix}_${suffix}`);
  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.wsh.test`;
  const clients: Client[] = [];

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(HeaderResolverTestModule, new FastifyAdapter(), { logger: false });
    app.useWebSocketAdapter(new TenantWsAdapter(app));
    await app.init();
    await migrateTestDatabase(app);
    const tenancy = app.get(TenancyService);
    for (const schema of [a, b]) {
      await tenancy.createTenant({ schema, domains: [hostOf(schema)] });
      await runAsTenant(app, schema, async (em) => {
        em.create(Project, { name: `${schema} only` });
        await em.flush();
      });
    }
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  afterAll(async () => {
    clients.forEach((client) => client.close());
    await dropTestTenants(app, [a, b]);
    await app.close();
  });

  it("the header names the tenant before the host does; without it the host's tenant is bound", async () => {
    const byHeader = new Client(port, hostOf(a), '/ws', { 'x-tenant': b });
    const byHost = new Client(port, hostOf(a));
    clients.push(byHeader, byHost);
    await Promise.all([byHeader.opened, byHost.opened]);
    expect(await byHeader.next()).toEqual({ event: 'welcome', data: { tenant: b, projects: 1 } });
    expect(await byHost.next()).toEqual({ event: 'welcome', data: { tenant: a, projects: 1 } });
    expect((await byHeader.ask('projects')).data).toEqual({ tenant: b, bound: b, names: [`${b} only`] });
    expect((await byHost.ask('projects')).data).toEqual({ tenant: a, bound: a, names: [`${a} only`] });
  });

  it('a header naming no tenant refuses the handshake, even on a known host', async () => {
    const refused = await refusedHandshake(port, hostOf(a), { 'x-tenant': 'no_such_tenant' });
    expect(refused.status).toBe(404);
    expect(refused.body).toMatchObject({ statusCode: 404, message: expect.stringMatching(/no_such_tenant/) });
  });
});
