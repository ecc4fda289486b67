import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SchemaMigrator, TenancyService, TenantConsoleLogger } from 'nestjs-tenancy';
import { type ExampleAppOptions, AppModule } from './app.module.js';
import { AppErrorFilter } from './app-error.filter.js';
import { Project } from './entities/project.entity.js';
import type { LogLevel } from '@nestjs/common';

/** Options of {@link createExampleApp}. */
export interface CreateExampleAppOptions extends ExampleAppOptions {
  /** Seed the demo tenants `acme` and `globex` when there are no tenants. @default true */
  seed?: boolean;
  logger?: LogLevel[] | false;
}

/**
 * Node's HTTP server options: two Host lines become one malformed value (answered 400 by the
 * tenant guard, as RFC 9112 asks, instead of serving the first line's tenant), and a request
 * with no Host reaches the guard, which answers it 400 JSON (Node would answer an empty 400).
 */
function serverOptions(): ConstructorParameters<typeof FastifyAdapter>[0] {
  return { http: { joinDuplicateHeaders: true, requireHostHeader: false } } as ConstructorParameters<typeof FastifyAdapter>[0];
}

/** Demo tenants seeded on an empty registry. */
export const DEMO_TENANTS = [
  { schema: 'acme', name: 'Acme Corporation', domains: ['acme.localhost'] },
  { schema: 'globex', name: 'Globex Corporation', domains: ['globex.localhost'] },
];

/**
 * Builds the example app, applies the shared migrations and every tenant's pending migrations,
 * and seeds the demo tenants when there are none. The app is initialised but not listening.
 */
export async function createExampleApp(options: CreateExampleAppOptions): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(options), new FastifyAdapter(serverOptions()), {
    // every line written while a tenant is bound names it: [Projects] [tenant acme] ...
    logger: options.logger === false ? false : new TenantConsoleLogger({ logLevels: options.logger ?? ['log', 'warn', 'error'] }),
  });
  app.useGlobalFilters(new AppErrorFilter(app.get(HttpAdapterHost)));
  await app.init();

  try {
    await prepareDatabase(app, options.seed !== false);
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/** Applies pending migrations (shared, then every tenant) and seeds the demo tenants on an empty registry. */
async function prepareDatabase(app: NestFastifyApplication, seed: boolean): Promise<void> {
  const { failed } = await app.get(SchemaMigrator).migrateAll();
  if (failed.length > 0) {
    throw new Error(`Migrations failed: ${failed.map((result) => `${result.schema}: ${result.error}`).join('; ')}`);
  }
  const tenancy = app.get(TenancyService);
  if (seed && (await tenancy.listTenants()).length === 0) {
    for (const demo of DEMO_TENANTS) {
      await tenancy.createTenant(demo);
      await tenancy.run(demo.schema, async (em) => {
        em.create(Project, { name: `${demo.name} website`, description: 'Seeded demo project', createdAt: new Date() });
        await em.flush();
      });
    }
  }
}
