import { Agent, request as httpRequest } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

const TENANTS = 24;
const REQUESTS = 2400;
const CONCURRENCY = 60;

/** One HTTP request with an explicit Host header (fetch does not allow setting it). */
function send(
  agent: Agent,
  port: number,
  options: { method: string; path: string; host: string; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: { host: options.host, ...(options.body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('isolation under concurrent load over real HTTP', () => {
  let app: NestFastifyApplication;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let tenants: TenantDetails[];
  const run = uniqueName('load');

  beforeAll(async () => {
    app = await createTestApp(10);
    tenants = [];
    for (let i = 0; i < TENANTS; i++) {
      const tenant = await createTestTenant(app, { schema: `${run}_${i}` });
      tenants.push(tenant);
      await app.get(TenancyService).run(tenant, async (em) => {
        for (let p = 0; p < 3; p++) {
          em.create(Project, { name: `${tenant.schema}:seed${p}`, createdAt: new Date() });
        }
        await em.flush();
      });
    }
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  afterAll(async () => {
    agent.destroy();
    await dropTestTenants(
      app,
      tenants.map((t) => t.schema),
    );
    await app.close();
  });

  it(`serves ${REQUESTS} mixed requests at concurrency ${CONCURRENCY} over ${TENANTS} tenants with no row of another tenant`, async () => {
    let next = 0;
    let wrongRows = 0;
    let badStatus = 0;
    let checkedRows = 0;
    const worker = async (): Promise<void> => {
      while (next < REQUESTS) {
        const n = next++;
        const tenant = tenants[n % TENANTS];
        const host = tenant.domains[0].host;
        const prefix = `${tenant.schema}:`;
        if (n % 5 === 0) {
          const response = await send(agent, port, {
            method: 'POST',
            path: '/projects',
            host,
            body: JSON.stringify({ name: `${prefix}w${n}` }),
          });
          if (response.status !== 201) badStatus++;
        } else {
          const response = await send(agent, port, { method: 'GET', path: '/projects?limit=100', host });
          if (response.status !== 200) {
            badStatus++;
            continue;
          }
          const rows = JSON.parse(response.body) as { name: string }[];
          checkedRows += rows.length;
          wrongRows += rows.filter((row) => !row.name.startsWith(prefix)).length;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(badStatus).toBe(0);
    expect(wrongRows).toBe(0);
    expect(checkedRows).toBeGreaterThan(REQUESTS * 3 * 0.8);

    // and in the database: every schema holds only its own rows, all the writes landed
    let stored = 0;
    for (const tenant of tenants) {
      const rows = await sql<{ name: string }>(app, `select name from "${tenant.schema}"."project"`);
      stored += rows.length;
      expect(rows.filter((row) => !row.name.startsWith(`${tenant.schema}:`))).toEqual([]);
    }
    expect(stored).toBe(TENANTS * 3 + REQUESTS / 5);
  });
});
