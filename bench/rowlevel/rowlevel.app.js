import { EntityManager, MikroORM, RequestContext, defineEntity, p } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  Post,
  Query,
  RequestMethod,
} from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { exampleFile } from '../support/dist.js';

/**
 * The row-level baseline of issue 11: the example app's projects and tasks in ONE shared table
 * each, with a `tenant_id` column, indexed the way a row-level app would index them, scoped by a
 * default MikroORM filter (`tenant`, with its parameter set per request), the tenant resolved from
 * the Host header through a map loaded at boot (host → tenant id, the registry's ids). Same routes
 * as the example app for the three operations measured (list, single row, create), same input
 * checks, same views (without `tenant_id`).
 */
export const ROWLEVEL_SCHEMA = 'bench_rowlevel';

export const RlProjectSchema = defineEntity({
  name: 'RlProject',
  tableName: 'project',
  properties: {
    id: p.integer().primary(),
    tenantId: p.integer(),
    name: p.string().length(200),
    description: p.text().nullable(),
    createdAt: p
      .datetime()
      .defaultRaw('current_timestamp')
      .onCreate(() => new Date()),
  },
});
export class RlProject extends RlProjectSchema.class {}
RlProjectSchema.setClass(RlProject);

export const RlTaskSchema = defineEntity({
  name: 'RlTask',
  tableName: 'task',
  properties: {
    id: p.integer().primary(),
    tenantId: p.integer(),
    project: () => p.manyToOne(RlProject).deleteRule('cascade'),
    title: p.string().length(500),
    done: p.boolean().default(false),
    createdAt: p
      .datetime()
      .defaultRaw('current_timestamp')
      .onCreate(() => new Date()),
  },
});
export class RlTask extends RlTaskSchema.class {}
RlTaskSchema.setClass(RlTask);

/** DDL of the shared tables: tenant-leading indexes for the list reads, global serial ids. */
export const ROWLEVEL_DDL = (schema = ROWLEVEL_SCHEMA) => [
  `create schema if not exists "${schema}"`,
  `create table if not exists "${schema}"."project" ("id" serial primary key, "tenant_id" int not null, "name" varchar(200) not null, ` +
    `"description" text null, "created_at" timestamptz not null default current_timestamp)`,
  `create index if not exists "project_tenant_created_index" on "${schema}"."project" ("tenant_id", "created_at" desc, "id" desc)`,
  `create table if not exists "${schema}"."task" ("id" serial primary key, "tenant_id" int not null, "project_id" int not null ` +
    `references "${schema}"."project" ("id") on delete cascade, "title" varchar(500) not null, "done" boolean not null default false, ` +
    `"created_at" timestamptz not null default current_timestamp)`,
  `create index if not exists "task_tenant_project_index" on "${schema}"."task" ("tenant_id", "project_id", "created_at" desc, "id" desc)`,
];

/**
 * Gives every registry tenant that has none yet the same `rows` projects as the fixtures give each
 * tenant schema (same names, descriptions, timestamps), then analyzes the table (a real app's
 * autovacuum would have). Returns the number of tenants that got rows.
 */
export async function growRowLevel(db, rows, schema = ROWLEVEL_SCHEMA) {
  for (const sql of ROWLEVEL_DDL(schema)) {
    await db.pool.query(sql);
  }
  const { rowCount } = await db.pool.query(
    `insert into "${schema}"."project" ("tenant_id", "name", "description", "created_at")
     select t."id", 'Project ' || g, 'Seeded by the benchmark', timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute'
       from "public"."tenant" t cross join generate_series(1, ${rows}) g
      where not exists (select 1 from "${schema}"."project" x where x."tenant_id" = t."id")
      order by t."id", g`,
  );
  await db.pool.query(`analyze "${schema}"."project"`);
  await db.pool.query(`analyze "${schema}"."task"`);
  return rowCount / rows;
}

/** schema → ids of that tenant's seeded projects, in seed order ('Project 1' first). */
export async function rowLevelIds(db, rows, schema = ROWLEVEL_SCHEMA) {
  const result = await db.pool.query(
    `select t."schema", array_agg(p."id" order by p."created_at") as ids
       from "${schema}"."project" p join "public"."tenant" t on t."id" = p."tenant_id"
      where p."description" = 'Seeded by the benchmark' group by t."schema"`,
  );
  return new Map(result.rows.map((row) => [row.schema, row.ids.slice(0, rows)]));
}

/** host → value, loaded once at boot (a real row-level app caches its tenants' hosts so). */
async function loadHostMap(orm, column) {
  const rows = await orm.em
    .getConnection()
    .execute(
      `select d."host", t."${column}" as "value" from "public"."domain" d join "public"."tenant" t on t."id" = d."tenant_id"`,
    );
  return new Map(rows.map((row) => [row.host, row.value]));
}

const hostOf = (req) => {
  const host = req.headers.host ?? '';
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
};

const notFound = (res) => {
  res.statusCode = 404;
  res.setHeader('content-type', 'application/json');
  res.end('{"statusCode":404,"message":"Unknown tenant"}');
};

const HOST_MAP = 'BENCH_HOST_MAP';
const hostMapProvider = (column) => ({ provide: HOST_MAP, useFactory: (orm) => loadHostMap(orm, column), inject: [MikroORM] });

/** Row-level resolution: Host → tenant id from the boot-time map; request fork with the filter's parameter. */
export class RowLevelTenantMiddleware {
  constructor(orm, hosts) {
    this.orm = orm;
    this.hosts = hosts;
  }

  use(req, res, next) {
    const tenantId = this.hosts.get(hostOf(req));
    if (tenantId === undefined) {
      return notFound(res);
    }
    RequestContext.create(this.orm.em, () => {
      RequestContext.getEntityManager().setFilterParams('tenant', { id: tenantId });
      next();
    });
  }
}
Injectable()(RowLevelTenantMiddleware);
Inject(MikroORM)(RowLevelTenantMiddleware, undefined, 0);
Inject(HOST_MAP)(RowLevelTenantMiddleware, undefined, 1);

/** Hand-rolled schema rotation, no library: Host → schema from the boot-time map; request fork with `{ schema }`. */
export class SchemaTenantMiddleware {
  constructor(orm, hosts) {
    this.orm = orm;
    this.hosts = hosts;
  }

  use(req, res, next) {
    const schema = this.hosts.get(hostOf(req));
    if (schema === undefined) {
      return notFound(res);
    }
    RequestContext.create(this.orm.em, next, { schema });
  }
}
Injectable()(SchemaTenantMiddleware);
Inject(MikroORM)(SchemaTenantMiddleware, undefined, 0);
Inject(HOST_MAP)(SchemaTenantMiddleware, undefined, 1);

const projectView = (project) => ({
  id: project.id,
  name: project.name,
  ...(project.description != null ? { description: project.description } : {}),
  createdAt: project.createdAt,
});

/** The example's ProjectsService for the three measured operations, on the shared tables. */
export class RlProjectsService {
  constructor(em) {
    this.em = em;
  }

  async list(limit) {
    const projects = await this.em.find(RlProject, {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
    return projects.map(projectView);
  }

  async get(id) {
    const project = await this.em.findOne(RlProject, { id });
    if (!project) {
      throw new NotFoundException(`Project ${id} not found.`);
    }
    return projectView(project);
  }

  async tasks(projectId, limit) {
    await this.get(projectId);
    const tasks = await this.em.find(RlTask, { project: projectId }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
    return tasks.map((task) => ({
      id: task.id,
      projectId: task.project.id,
      title: task.title,
      done: task.done,
      createdAt: task.createdAt,
    }));
  }

  async create(input) {
    const { id: tenantId } = this.em.getFilterParams('tenant');
    const project = this.em.create(RlProject, {
      tenantId,
      name: input.name,
      description: input.description ?? null,
      createdAt: new Date(),
    });
    await this.em.flush();
    return projectView(project);
  }
}
Injectable()(RlProjectsService);
Inject(EntityManager)(RlProjectsService, undefined, 0);

/** Loads the example app's input checks (compiled) so both apps validate alike. */
async function inputChecks() {
  return import(exampleFile('projects/project.input.js'));
}

function rowLevelController(input) {
  class RlProjectsController {
    constructor(projects) {
      this.projects = projects;
    }

    list(limit) {
      return this.projects.list(input.limitParam(limit));
    }

    create(body) {
      const fields = input.objectBody(body);
      return this.projects.create({
        name: input.stringField(fields, 'name', 200, true),
        description: input.stringField(fields, 'description', 10_000, false),
      });
    }

    get(id) {
      return this.projects.get(input.idParam(id));
    }

    tasks(id, limit) {
      return this.projects.tasks(input.idParam(id), input.limitParam(limit));
    }
  }
  Controller()(RlProjectsController);
  Inject(RlProjectsService)(RlProjectsController, undefined, 0);
  const route = (name, decorator, params) => {
    const descriptor = Object.getOwnPropertyDescriptor(RlProjectsController.prototype, name);
    decorator(RlProjectsController.prototype, name, descriptor);
    params.forEach((param, index) => param(RlProjectsController.prototype, name, index));
  };
  route('list', Get('projects'), [Query('limit')]);
  route('create', Post('projects'), [Body()]);
  route('get', Get('projects/:id'), [Param('id')]);
  route('tasks', Get('projects/:id/tasks'), [Param('id'), Query('limit')]);
  HttpCode(201)(
    RlProjectsController.prototype,
    'create',
    Object.getOwnPropertyDescriptor(RlProjectsController.prototype, 'create'),
  );
  return RlProjectsController;
}

const middlewareModule = (name, middleware, moduleOptions) => {
  const Mod = { [name]: class {} }[name];
  Mod.prototype.configure = function configure(consumer) {
    consumer.apply(middleware).forRoutes({ path: '{*all}', method: RequestMethod.ALL });
  };
  Module(moduleOptions)(Mod);
  return Mod;
};

/**
 * Creates and initialises one of the comparison apps (not listening):
 * - `rowlevel`: shared tables, `tenant_id`, default filter;
 * - `handrolled`: the example's own controller and service over the tenant schemas, the schema
 *   bound by plain MikroORM (`RequestContext.create(em, next, { schema })`), no library.
 * Same ORM options and pool size as the example app; `driverOptions` are passed to the ORM.
 */
export async function createComparisonApp({ kind, dist, databaseUrl, poolSize, driverOptions, logger = ['error', 'warn'] }) {
  const base = {
    ...dist.ormOptions(databaseUrl, poolSize),
    registerRequestContext: false,
    ...(driverOptions ? { driverOptions } : {}),
  };
  let module;
  if (kind === 'rowlevel') {
    const controller = rowLevelController(await inputChecks());
    module = middlewareModule('RowLevelModule', RowLevelTenantMiddleware, {
      imports: [
        MikroOrmModule.forRoot({
          ...base,
          entities: [RlProjectSchema, RlTaskSchema],
          schema: ROWLEVEL_SCHEMA,
          filters: { tenant: { cond: (args) => ({ tenantId: args.id }), entity: ['RlProject', 'RlTask'], default: true } },
        }),
      ],
      controllers: [controller],
      providers: [RlProjectsService, hostMapProvider('id')],
    });
  } else if (kind === 'handrolled') {
    module = middlewareModule('HandRolledModule', SchemaTenantMiddleware, {
      imports: [MikroOrmModule.forRoot({ ...base, entities: [dist.ProjectSchema, dist.TaskSchema] })],
      controllers: [dist.ProjectsController],
      providers: [dist.ProjectsService, hostMapProvider('schema')],
    });
  } else {
    throw new Error(`unknown comparison app ${kind}`);
  }
  const app = await NestFactory.create(module, new FastifyAdapter(), { logger });
  app.useGlobalFilters(new dist.AppErrorFilter(app.get(HttpAdapterHost)));
  await app.init();
  return app;
}
