import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MigrationStatusReport } from 'nestjs-tenancy/cli';
import { createTestTenant, migrateTestDatabase, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../apps/example/src/app.module.js';
import { ensureCliBuilt, parseJson, runCli } from './support/cli.js';
import { createScratchDatabase, type ScratchDatabase } from './support/scratch-database.js';

/** Keeps what the app logs at warn level. */
function warnings(): LoggerService & { warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => undefined;
  return {
    warnings,
    log: ignore,
    error: ignore,
    debug: ignore,
    verbose: ignore,
    warn: (message: unknown) => warnings.push(String(message)),
  };
}

const RUN_SHARED = /npx tenancy migrate --shared/;

describe('a database whose shared migrations have not run', () => {
  let database: ScratchDatabase;
  let app: NestFastifyApplication;
  const logger = warnings();

  beforeAll(async () => {
    await ensureCliBuilt();
    database = await createScratchDatabase('unmigrated');
    // the example app's module, without the example's start-up migrations and error filter
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.register({ databaseUrl: database.url, poolSize: 2 }),
      new FastifyAdapter(),
      {
        logger,
      },
    );
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('logs one warning at boot that says to run the shared migrations', async () => {
    for (let i = 0; i < 3; i++) {
      await app.inject({ method: 'GET', url: '/whoami', ...tenantRequest('acme.localhost') });
    }
    const registry = logger.warnings.filter((message) => /registry/.test(message));
    expect(registry).toHaveLength(1);
    expect(registry[0]).toMatch(RUN_SHARED);
  });

  it('answers tenant requests 503 JSON saying to run the shared migrations', async () => {
    const response = await app.inject({ method: 'GET', url: '/projects', ...tenantRequest('acme.localhost') });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.stringMatching(RUN_SHARED),
    });
  });

  it('answers a signup (TenancyService.createTenant) 503 with the same message', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/signup',
      payload: { schema: 'early', name: 'Early', domain: 'early.test' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json().message).toMatch(RUN_SHARED);
  });

  it('migrate:status lists the pending shared migrations and no tenant, exit 0', async () => {
    const env = { DATABASE_URL: database.url };
    const plain = await runCli(['migrate:status'], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(
      /^public \(shared\): 0 applied, 3 pending: Migration20261126182507_initial, Migration20261203131520_tenant_suspension, Migration20261203133222_tenant_deletion\n/,
    );
    expect(plain.stdout).toMatch(RUN_SHARED);
    const json = await runCli(['migrate:status', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(parseJson<MigrationStatusReport>(json).schemas).toEqual([
      {
        schema: 'public',
        set: 'shared',
        applied: [],
        pending: [
          'Migration20261126182507_initial',
          'Migration20261203131520_tenant_suspension',
          'Migration20261203133222_tenant_deletion',
        ],
      },
    ]);
  });

  it('tenant and domain commands say to run the shared migrations, not "relation does not exist"', async () => {
    const env = { DATABASE_URL: database.url };
    const runs = await Promise.all([
      runCli(['tenant:list'], env),
      runCli(['tenant:suspend', 'acme'], env),
      runCli(['domain:add', 'acme', 'www.acme.test'], env),
      runCli(['domain:remove', 'www.acme.test'], env),
      runCli(['migrate', '--tenants'], env),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(RUN_SHARED);
      expect(run.stderr).not.toMatch(/relation .* does not exist/);
    }
  });

  it('migrateTestDatabase (nestjs-tenancy/testing) migrates it, after which tenants are served', async () => {
    const report = await migrateTestDatabase(app);
    expect(report.shared).toMatchObject({
      status: 'migrated',
      migrations: [
        'Migration20261126182507_initial',
        'Migration20261203131520_tenant_suspension',
        'Migration20261203133222_tenant_deletion',
      ],
    });
    const tenant = await createTestTenant(app);
    const response = await app.inject({ method: 'GET', url: '/whoami', ...tenantRequest(tenant.domains[0].host) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ tenant: { schema: tenant.schema } });
  });
});
