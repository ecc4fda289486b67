import { createServer, connect, type Server, type Socket } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

/** A TCP proxy to the test database that can be cut, to take the database away from the app. */
async function startProxy(target: URL): Promise<{ url: string; cut: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: url.href,
    cut: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) {
          socket.destroy();
        }
      });
    },
  };
}

describe('while the database is down', () => {
  let app: NestFastifyApplication;
  const schema = uniqueName('down');
  const host = `${schema.replaceAll('_', '-')}.example.test`;

  beforeAll(async () => {
    const proxy = await startProxy(new URL(databaseUrl()));
    app = await createExampleApp({ databaseUrl: proxy.url, seed: false, logger: false, poolSize: 2 });
    // two domains: only the first is looked up (cached) before the database goes away
    await app.get(TenancyService).createTenant({ schema, domains: [host, `www.${host}`] });
    expect((await app.inject({ method: 'GET', url: '/projects', headers: { host } })).statusCode).toBe(200);
    await proxy.cut();
  });

  afterAll(async () => {
    await app.close().catch(() => undefined);
    const cleanup = await createExampleApp({ databaseUrl: databaseUrl(), seed: false, logger: false, poolSize: 1 });
    await cleanup.get(TenancyService).deleteTenant(schema, { dropSchema: true });
    await cleanup.close();
  });

  it.each([
    ['GET', '/projects', host],
    ['POST', '/projects', host],
    ['GET', '/whoami', `www.${host}`],
    ['GET', '/health', 'any.example.test'],
  ] as const)('answers %s %s (%s) with 503 JSON', async (method, url, requestHost) => {
    const response = await app.inject({
      method,
      url,
      headers: { host: requestHost },
      ...(method === 'POST' ? { payload: { name: 'x' } } : {}),
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.any(String) });
  });

  it('answers a signup with 503 JSON', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/signup',
      payload: { schema: uniqueName('nodb'), name: 'No DB', domain: 'nodb.example.test' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
  });
});
