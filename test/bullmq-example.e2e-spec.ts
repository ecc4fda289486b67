import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

describe('example app: a queued job per tenant (POST /projects/:id/summary, GET /jobs/:id)', () => {
  let app: NestFastifyApplication;
  const schemas = [uniqueName('exjob_a'), uniqueName('exjob_g')];
  const hosts: string[] = [];

  beforeAll(async () => {
    app = await createExampleApp({
      databaseUrl: databaseUrl(),
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      seed: false,
      logger: false,
      poolSize: 4,
    });
    for (const schema of schemas) {
      hosts.push((await createTestTenant(app, { schema })).domains[0].host);
    }
  });

  afterAll(async () => {
    await dropTestTenants(app, schemas);
    await app.close();
  });

  const call = (host: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, payload, ...tenantRequest(host) });

  async function finished(host: string, jobId: string) {
    for (;;) {
      const response = await call(host, 'GET', `/jobs/${jobId}`);
      expect(response.statusCode, response.body).toBe(200);
      const job = response.json<{ state: string; result?: unknown; failedReason?: string }>();
      if (job.state === 'completed' || job.state === 'failed') {
        return job;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('a job runs as the tenant that queued it, and only that tenant can read it', async () => {
    const [acme, globex] = hosts;
    const project = (await call(acme, 'POST', '/projects', { name: 'p' })).json<{ id: number }>();
    await call(acme, 'POST', `/projects/${project.id}/tasks`, { title: 't1' });
    await call(acme, 'POST', `/projects/${project.id}/tasks`, { title: 't2' });
    const queued = await call(acme, 'POST', `/projects/${project.id}/summary`);
    expect(queued.statusCode, queued.body).toBe(202);
    const { jobId } = queued.json<{ jobId: string }>();
    expect(await finished(acme, jobId)).toEqual({
      id: jobId,
      state: 'completed',
      result: { tenant: schemas[0], projectId: project.id, tasks: 2, done: 0 },
    });
    // another tenant neither reads the job nor summarises a project id it does not have
    expect((await call(globex, 'GET', `/jobs/${jobId}`)).statusCode).toBe(404);
    expect((await call(globex, 'POST', `/projects/${project.id}/summary`)).statusCode).toBe(404);
    expect((await call(acme, 'GET', '/jobs/not-a-number')).json()).toMatchObject({ statusCode: 404 });
  });
});
