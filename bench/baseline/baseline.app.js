import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/**
 * The baseline of the request-overhead benchmark: a plain Nest + Fastify + MikroORM app with no
 * tenancy. It serves the example app's own ProjectsController and ProjectsService (so the handler
 * code is identical) from one fixed schema: the ORM's default `schema` qualifies the example's
 * wildcard entities with it, so the SQL has the same shape as the tenant app's
 * (`"bench_baseline"."project"`). Same ORM options and pool size as the example app.
 */
export class BaselineModule {
  static register({ dist, databaseUrl, poolSize, schema }) {
    return {
      module: BaselineModule,
      imports: [
        MikroOrmModule.forRoot({
          ...dist.ormOptions(databaseUrl, poolSize),
          entities: [dist.ProjectSchema, dist.TaskSchema],
          schema,
        }),
      ],
      controllers: [dist.ProjectsController],
      providers: [dist.ProjectsService],
    };
  }
}
Module({})(BaselineModule);

/** Creates and initialises the baseline app (not listening), with the example app's error filter. */
export async function createBaselineApp({ dist, databaseUrl, poolSize, schema, logger = ['error', 'warn'] }) {
  const app = await NestFactory.create(BaselineModule.register({ dist, databaseUrl, poolSize, schema }), new FastifyAdapter(), {
    logger,
  });
  app.useGlobalFilters(new dist.AppErrorFilter(app.get(HttpAdapterHost)));
  await app.init();
  return app;
}
