import { Agent, request as httpRequest } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { Task } from '../apps/example/src/entities/task.entity.js';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { createGraphqlApp } from './support/graphql-app.js';
import { databaseUrl, sql, uniqueName } from './support/test-app.js';

const TENANTS = 20;
const REQUESTS = 1200;
const CONCURRENCY = 40;
const WS_MESSAGES = 20;
/** Queued jobs (BullMQ on Redis, the example app's project summaries), added while the rest runs. */
const JOBS = 100;

/** A WebSocket connection to `host` that asks for its projects `count` times, one message after the other. */
async function askOverWebSocket(port: number, host: string, count: number): Promise<{ bound: string; names: string[] }[]> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host } });
  const replies: { bound: string; names: string[] }[] = [];
  try {
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    for (let i = 0; i < count; i++) {
      const reply = new Promise<{ bound: string; names: string[] }>((resolve) =>
        socket.once('message', (raw) => resolve((JSON.parse(String(raw)) as { data: { bound: string; names: string[] } }).data)),
      );
      socket.send(JSON.stringify({ event: 'projects' }));
      replies.push(await reply);
    }
  } finally {
    socket.close();
  }
  return replies;
}

/** One HTTP request with an explicit Host header (fetch does not allow setting it). */
function send(agent: Agent, port: number, host: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: body === undefined ? 'GET' : 'POST',
        path,
        headers: { host, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

interface GraphqlProjects {
  data?: { projects: { name: string; boundTenant: string; taskCount: number }[] } | null;
  errors?: unknown[];
}

describe('HTTP, GraphQL, WebSockets and queued jobs at once, over real connections, many tenants', () => {
  let app: NestFastifyApplication;
  /** The example app with its queue and worker, on the same database. */
  let jobsApp: NestFastifyApplication;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const run = uniqueName('mixed');
  const schemas = Array.from({ length: TENANTS }, (_, i) => `${run}_${i}`);
  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.mixed.test`;

  beforeAll(async () => {
    app = await createGraphqlApp(databaseUrl(), { poolSize: 8, websockets: true });
    const tenancy = app.get(TenancyService);
    for (const [i, schema] of schemas.entries()) {
      await tenancy.createTenant({ schema, domains: [hostOf(schema)] });
      await tenancy.run(schema, async (em) => {
        for (let p = 0; p < 3; p++) {
          const project = em.create(Project, { name: `${schema}:seed${p}` });
          // tenant i has i tasks on its first project: taskCount tells the tenants apart
          for (let t = 0; p === 0 && t < i; t++) {
            em.create(Task, { project, title: `${schema}:task${t}` });
          }
        }
        await em.flush();
      });
    }
    jobsApp = await createExampleApp({
      databaseUrl: databaseUrl(),
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      seed: false,
      logger: false,
      poolSize: 4,
    });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  afterAll(async () => {
    agent.destroy();
    await jobsApp?.close();
    await dropTestTenants(app, schemas);
    await app.close();
  });

  it(`${REQUESTS} requests (REST reads, GraphQL queries with field resolvers and a DataLoader, GraphQL mutations) at concurrency ${CONCURRENCY}, ${WS_MESSAGES} WebSocket messages on a connection per tenant and ${JOBS} queued jobs, over ${TENANTS} tenants: 0 rows of another tenant`, async () => {
    let next = 0;
    let wrongRows = 0;
    let checkedRows = 0;
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      while (next < REQUESTS) {
        const n = next++;
        const index = n % TENANTS;
        const schema = schemas[index];
        const prefix = `${schema}:`;
        const host = hostOf(schema);
        if (n % 6 === 0) {
          const response = await send(agent, port, host, '/graphql', {
            query: 'mutation ($name: String!) { createProject(name: $name) { name } }',
            variables: { name: `${prefix}gql${n}` },
          });
          if (response.status !== 200 || JSON.parse(response.body).errors) failures.push(response.body);
        } else if (n % 2 === 0) {
          const response = await send(agent, port, host, '/graphql', { query: '{ projects { name boundTenant taskCount } }' });
          const body = JSON.parse(response.body) as GraphqlProjects;
          if (response.status !== 200 || body.errors || !body.data) {
            failures.push(response.body);
            continue;
          }
          checkedRows += body.data.projects.length;
          wrongRows += body.data.projects.filter(
            (project) =>
              !project.name.startsWith(prefix) ||
              project.boundTenant !== schema ||
              project.taskCount !== (project.name === `${prefix}seed0` ? index : 0),
          ).length;
        } else {
          const response = await send(agent, port, host, '/projects');
          if (response.status !== 200) {
            failures.push(response.body);
            continue;
          }
          const rows = JSON.parse(response.body) as { name: string }[];
          checkedRows += rows.length;
          wrongRows += rows.filter((row) => !row.name.startsWith(prefix)).length;
        }
      }
    };
    const sockets = schemas.map(async (schema) => {
      for (const reply of await askOverWebSocket(port, hostOf(schema), WS_MESSAGES)) {
        checkedRows += reply.names.length;
        wrongRows += reply.names.filter((name) => !name.startsWith(`${schema}:`)).length + (reply.bound === schema ? 0 : 1);
      }
    });
    // each job summarises the tenant's first project, which has as many tasks as the tenant's index
    const jobs = Array.from({ length: JOBS }, async (_, n) => {
      const index = n % TENANTS;
      const host = hostOf(schemas[index]);
      const queued = await jobsApp.inject({ method: 'POST', url: '/projects/1/summary', headers: { host } });
      if (queued.statusCode !== 202) {
        failures.push(queued.body);
        return;
      }
      const { jobId } = queued.json<{ jobId: string }>();
      for (;;) {
        const job = (await jobsApp.inject({ method: 'GET', url: `/jobs/${jobId}`, headers: { host } })).json<{
          state: string;
          result?: { tenant: string; tasks: number };
          failedReason?: string;
        }>();
        if (job.state === 'failed') {
          failures.push(job.failedReason ?? 'failed');
          return;
        }
        if (job.state === 'completed') {
          checkedRows += 1;
          wrongRows += job.result?.tenant === schemas[index] && job.result.tasks === index ? 0 : 1;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    });
    await Promise.all([...Array.from({ length: CONCURRENCY }, worker), ...sockets, ...jobs]);
    expect(failures).toEqual([]);
    expect(wrongRows).toBe(0);
    expect(checkedRows).toBeGreaterThan((REQUESTS + TENANTS * WS_MESSAGES) * 3 * 0.8 + JOBS);

    // and in the database: every schema holds only its own rows, every GraphQL write landed
    let stored = 0;
    for (const schema of schemas) {
      const rows = await sql<{ name: string }>(app, `select name from "${schema}"."project"`);
      stored += rows.length;
      expect(rows.filter((row) => !row.name.startsWith(`${schema}:`))).toEqual([]);
    }
    expect(stored).toBe(TENANTS * 3 + REQUESTS / 6);
  });
});
