import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

/**
 * The README's bound on PostgreSQL backend memory: `driverOptions: { maxUses }` in the MikroORM
 * options reaches pg's Pool, which then closes a connection after that many checkouts, so that no
 * backend keeps the catalog caches of every tenant it has served. With a pool of one connection,
 * every statement runs on the same backend until the pool replaces it.
 */
describe('connections are recycled after maxUses (driverOptions reach pg.Pool)', () => {
  const schema = uniqueName('recycle');
  const host = `${schema.replaceAll('_', '-')}.recycle.test`;
  let bounded: NestFastifyApplication;
  let unbounded: NestFastifyApplication;

  const appWith = (driverOptions?: Record<string, unknown>) =>
    createExampleApp({ databaseUrl: databaseUrl(), seed: false, logger: false, poolSize: 1, driverOptions });
  const backendPid = async (app: NestFastifyApplication): Promise<number> =>
    app.get(TenancyService).run(schema, async (em) => {
      const [row] = await (em as EntityManager).execute<{ pid: number }[]>('select pg_backend_pid() as pid');
      return row.pid;
    });
  const pool = async (app: NestFastifyApplication): Promise<Pool> =>
    (await app.get(MikroORM).em.getDriver().getConnection().getNativeClient()) as Pool;

  beforeAll(async () => {
    bounded = await appWith({ maxUses: 3 });
    await bounded.get(TenancyService).createTenant({ schema, domains: [host] });
    await bounded.get(TenancyService).run(schema, async (em) => {
      em.create(Project, { name: 'Recycled', createdAt: new Date() });
      await em.flush();
    });
    // booted after the tenant exists: its known-hosts filter loads the host
    unbounded = await appWith();
  });

  afterAll(async () => {
    await dropTestTenants(bounded, [schema]);
    await Promise.all([bounded?.close(), unbounded?.close()]);
  });

  it('the option reaches the pool MikroORM creates', async () => {
    expect((await pool(bounded)).options.maxUses).toBe(3);
    expect((await pool(unbounded)).options.maxUses).toBe(Infinity);
  });

  it('with maxUses 3, every third checkout gets a new backend; tenant requests keep answering on the new ones', async () => {
    const pids: number[] = [];
    for (let i = 0; i < 9; i++) {
      pids.push(await backendPid(bounded));
      const response = await bounded.inject({ method: 'GET', url: '/projects', headers: { host } });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<{ name: string }[]>().map((project) => project.name)).toEqual(['Recycled']);
    }
    // each iteration checks out twice (the pid, the request's query): at least 5 backends over 18 uses
    expect(new Set(pids).size).toBeGreaterThanOrEqual(5);
  });

  it('without it, one connection keeps its backend', async () => {
    const pids: number[] = [];
    for (let i = 0; i < 9; i++) {
      pids.push(await backendPid(unbounded));
      const response = await unbounded.inject({ method: 'GET', url: '/projects', headers: { host } });
      expect(response.statusCode, response.body).toBe(200);
    }
    expect(new Set(pids).size).toBe(1);
  });
});
