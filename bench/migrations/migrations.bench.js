import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { performance } from 'node:perf_hooks';
import { spread } from '../support/statistics.js';
import { benchMigration } from './bench-migration.js';

/** A TenancyModule app context whose tenant migration set is the given list. */
class MigrationBenchModule {
  static register({ dist, databaseUrl, migrationsList }) {
    return {
      module: MigrationBenchModule,
      imports: [
        MikroOrmModule.forRoot(dist.ormOptions(databaseUrl, 4)),
        dist.tenancy.TenancyModule.forRoot({ migrations: { shared: dist.migrations.shared, tenant: { migrationsList } } }),
      ],
    };
  }
}
Module({})(MigrationBenchModule);

/**
 * Tenant migrations at scale: `schemas` tenants, each round adding one new tenant migration and
 * timing `SchemaMigrator.migrateTenants` over all of them, at each concurrency in turn (the order
 * flips every round); then runs with nothing to apply. Every round builds a fresh app whose tenant
 * set is the real set plus the new migrations (`migrationsList`). The dedicated migration ORM is
 * created before the clock starts. `firstIndex` numbers the new migrations after those of an earlier
 * call on the same schemas.
 */
export async function measureMigrations({
  dist,
  databaseUrl,
  baseMigrations,
  schemas,
  concurrencies,
  rounds,
  idleRuns,
  firstIndex = 0,
  log,
}) {
  const list = baseMigrations.map((migration) => ({ name: migration.name, class: migration.class }));
  const run = async (concurrency, expectedStatus) => {
    const app = await NestFactory.createApplicationContext(
      MigrationBenchModule.register({ dist, databaseUrl, migrationsList: list }),
      {
        logger: ['error'],
      },
    );
    try {
      const migrator = app.get(dist.tenancy.SchemaMigrator);
      await migrator.migrationOrm('tenant', concurrency + 1);
      const started = performance.now();
      const results = await migrator.migrateTenants(schemas, { concurrency });
      const seconds = (performance.now() - started) / 1000;
      const wrong = results.filter((result) => result.status !== expectedStatus);
      if (wrong.length > 0) {
        throw new Error(`${wrong.length} schemas ended ${wrong[0].status} instead of ${expectedStatus}: ${wrong[0].error ?? ''}`);
      }
      return Number(seconds.toFixed(2));
    } finally {
      await app.close();
    }
  };

  const timings = Object.fromEntries(concurrencies.map((c) => [c, []]));
  let added = 0;
  // bench migrations already applied by an earlier run in the same database keep their numbers
  const next = () => firstIndex + ++added;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? concurrencies : [...concurrencies].reverse();
    for (const concurrency of order) {
      list.push(benchMigration(next()));
      const seconds = await run(concurrency, 'migrated');
      timings[concurrency].push(seconds);
      log(
        `  round ${round + 1}/${rounds}: one new migration over ${schemas.length} schemas at concurrency ${concurrency}: ${seconds} s`,
      );
    }
  }
  const idle = [];
  for (let i = 0; i < idleRuns; i++) {
    idle.push(await run(concurrencies.at(-1), 'up-to-date'));
  }
  log(`  nothing to apply over ${schemas.length} schemas (concurrency ${concurrencies.at(-1)}): ${idle.join(', ')} s`);
  return {
    schemas: schemas.length,
    newMigrations: added,
    byConcurrency: Object.fromEntries(
      Object.entries(timings).map(([c, values]) => [c, { seconds: spread(values, 2), runs: values }]),
    ),
    nothingToApply: { concurrency: concurrencies.at(-1), seconds: spread(idle, 2), runs: idle },
  };
}
