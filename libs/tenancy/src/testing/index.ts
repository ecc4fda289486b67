import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { INestApplicationContext } from '@nestjs/common';
import { type MigrateAllReport, SchemaMigrator } from '../migrations/schema-migrator.js';
import type { TenantDetails } from '../provisioning/tenant.provisioner.js';
import { MigrationError } from '../tenancy.errors.js';
import { TenancyService } from '../tenancy.service.js';

/**
 * Applies the pending shared migrations, then every tenant's (`SchemaMigrator.migrateAll()`), so
 * that a test can start from an empty database; call it after `app.init()`. Throws a
 * `MigrationError` naming each schema that failed.
 *
 * @example
 * const app = moduleRef.createNestApplication(new FastifyAdapter());
 * await app.init();
 * await migrateTestDatabase(app);
 * const tenant = await createTestTenant(app);
 */
export async function migrateTestDatabase(app: INestApplicationContext): Promise<MigrateAllReport> {
  const report = await app.get(SchemaMigrator).migrateAll();
  if (report.failed.length > 0) {
    throw new MigrationError(
      `Migrating the test database failed: ${report.failed.map((result) => `${result.schema}: ${result.error}`).join('; ')}`,
    );
  }
  return report;
}

/** Options of {@link createTestTenant}. */
export interface TestTenantOptions {
  /** Schema; default `t_<random>`. */
  schema?: string;
  name?: string;
  /** Domains; default `<schema>.test`. */
  domains?: string[];
}

/**
 * Creates a tenant (schema, tables, domain) for a test, with unique defaults.
 *
 * @example const tenant = await createTestTenant(app); // t_1a2b3c4d at t_1a2b3c4d.test
 */
export function createTestTenant(app: INestApplicationContext, options: TestTenantOptions = {}): Promise<TenantDetails> {
  const schema = options.schema ?? `t_${randomBytes(4).toString('hex')}`;
  return app.get(TenancyService).createTenant({
    schema,
    name: options.name ?? schema,
    domains: options.domains ?? [`${schema.replaceAll('_', '-')}.test`],
  });
}

/** Runs `fn` as the tenant with this schema (see `TenancyService.run`). */
export function runAsTenant<T>(
  app: INestApplicationContext,
  schema: string,
  fn: (em: EntityManager) => Promise<T> | T,
): Promise<T> {
  return app.get(TenancyService).run(schema, fn);
}

/** Request options for a tenant's host, for `app.inject()` or supertest-like clients. */
export function tenantRequest(host: string): { headers: { host: string } } {
  return { headers: { host } };
}

/** Deletes test tenants and drops their schemas. */
export async function dropTestTenants(app: INestApplicationContext, schemas: string[]): Promise<void> {
  const tenancy = app.get(TenancyService);
  for (const schema of schemas) {
    await tenancy.deleteTenant(schema, { dropSchema: true }).catch(() => undefined);
  }
}
