import { randomBytes } from 'node:crypto';
import { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SchemaMigrator } from 'nestjs-tenancy';
import { inject } from 'vitest';
import { createExampleApp } from '../../apps/example/src/app.factory.js';
import type { ExampleAppOptions } from '../../apps/example/src/app.module.js';

/** The database URL provided by the global setup. */
export const databaseUrl = (): string => inject('databaseUrl');

/** A name no other test run uses: `prefix_<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** The example app on the test database, migrated, not seeded, not listening. */
export function createTestApp(poolSize = 10, tenancy?: ExampleAppOptions['tenancy']): Promise<NestFastifyApplication> {
  return createExampleApp({ databaseUrl: databaseUrl(), seed: false, logger: false, poolSize, tenancy });
}

/** Counts every SQL statement the app's ORM sends from now on. */
export function countQueries(app: NestFastifyApplication): { readonly count: number; readonly statements: string[] } {
  const config = app.get(MikroORM).config;
  const previous = config.get('onQuery');
  const counter = { count: 0, statements: [] as string[] };
  config.set('onQuery', (sql: string, params: readonly unknown[]) => {
    counter.count++;
    counter.statements.push(sql);
    return previous(sql, params);
  });
  return counter;
}

/**
 * Runs hand-written SQL on the app's database and returns the rows, through the library's
 * migration connection (which the tenant SQL guard does not watch), so tests can inspect any schema.
 */
export async function sql<T extends object = Record<string, unknown>>(
  app: Pick<INestApplicationContext, 'get'>,
  query: string,
  params: unknown[] = [],
): Promise<T[]> {
  const orm = await app.get(SchemaMigrator).migrationOrm('tenant');
  return (orm.em.fork() as SqlEntityManager).execute<T[]>(query, params);
}
