import { MikroOrmModule } from '@mikro-orm/nestjs';
import { type DynamicModule, Module } from '@nestjs/common';
import { TenancyModule, type TenancyModuleOptions } from 'nestjs-tenancy';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { AppController } from './app.controller.js';
import { HealthResolver, ProjectsResolver } from './graphql/projects.resolver.js';
import { JobsModule } from './jobs/jobs.module.js';
import { migrations, ormOptions } from './orm.config.js';
import { ProjectsController } from './projects/projects.controller.js';
import { ProjectsService } from './projects/projects.service.js';

/** Options of the example app's module. */
export interface ExampleAppOptions {
  databaseUrl: string;
  /** Connection pool size. @default 10 */
  poolSize?: number;
  /** Options for `pg`'s Pool, passed through MikroORM's `driverOptions` (e.g. `{ maxUses: 10_000 }`). */
  driverOptions?: Record<string, unknown>;
  /** Serve the GraphQL API at `/graphql` (mercurius). @default false (`npm start` turns it on) */
  graphql?: boolean;
  /** Redis for the queued jobs (`POST /projects/:id/summary`); without it, those routes do not exist. */
  redisUrl?: string;
  /** Further TenancyModule options (cache, known-hosts filter ...); the migration sets are the app's own. */
  tenancy?: Omit<TenancyModuleOptions, 'migrations'>;
}

/** The example SaaS: projects and tasks per tenant, tenants resolved by host. */
@Module({})
export class AppModule {
  static register(options: ExampleAppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        MikroOrmModule.forRoot(ormOptions(options.databaseUrl, options.poolSize, options.driverOptions)),
        TenancyModule.forRoot({ ...options.tenancy, migrations }),
        ...(options.graphql
          ? [GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true, graphiql: false })]
          : []),
        ...(options.redisUrl
          ? [JobsModule.register(options.redisUrl, `tenancy-example:${new URL(options.databaseUrl).pathname.slice(1)}`)]
          : []),
      ],
      controllers: [AppController, ProjectsController],
      providers: [ProjectsService, ...(options.graphql ? [ProjectsResolver, HealthResolver] : [])],
    };
  }
}
