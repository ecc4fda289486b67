import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { eventually } from './support/eventually.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

describe('registry changes reach other processes (LISTEN/NOTIFY on a direct URL)', () => {
  let writer: NestFastifyApplication;
  let reader: NestFastifyApplication;
  const schema = uniqueName('xproc');
  const host = `${schema.replaceAll('_', '-')}.example.test`;

  beforeAll(async () => {
    const options = { databaseUrl: databaseUrl(), seed: false, logger: false as const, poolSize: 3 };
    writer = await createExampleApp({ ...options, tenancy: { directDatabaseUrl: databaseUrl() } });
    // long TTLs: without the notification the reader would keep its cached answers for minutes, so
    // the test fails unless LISTEN/NOTIFY carries the changes
    reader = await createExampleApp({
      ...options,
      tenancy: {
        directDatabaseUrl: databaseUrl(),
        cache: { ttl: 600_000, negativeTtl: 600_000 },
        knownHosts: { refreshInterval: 600_000 },
      },
    });
  });

  afterAll(async () => {
    await dropTestTenants(writer, [schema]);
    await reader.close();
    await writer.close();
  });

  const status =
    (app: NestFastifyApplication, url = '/whoami') =>
    async () =>
      (await app.inject({ method: 'GET', url, headers: { host } })).statusCode;

  it('serves a tenant created by another process, and follows its suspension and deletion', async () => {
    expect(await status(reader)()).toBe(404);
    await writer.get(TenancyService).createTenant({ schema, domains: [host] });
    expect(await eventually(status(reader), 200)).toBe(200);

    await writer.get(TenancyService).suspend(schema);
    expect(await eventually(status(reader), 403)).toBe(403);
    await writer.get(TenancyService).resume(schema);
    expect(await eventually(status(reader), 200)).toBe(200);

    await writer.get(TenancyService).deleteTenant(schema, { dropSchema: true });
    expect(await eventually(status(reader), 404)).toBe(404);
  });
});
