import { defineEntity, p } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DomainSchema, TenancyChecker, TenancyModule, TenancyService, TenantSchema } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { createTestApp, databaseUrl, sql, uniqueName } from './support/test-app.js';

// `TenancyChecker.check()` compares each migration set's entities with what its migrations build
// (the diff `migration:create` writes), through the API: the CLI tests run the compiled dist/,
// which mutation testing does not reach.

/** A shared entity the shared migrations do not have. */
const AuditEntry = defineEntity({
  name: 'AuditEntry',
  tableName: 'entity_diff_audit_entry',
  schema: 'public',
  properties: { id: p.integer().primary(), message: p.text() },
});

/** The example app's tenant entities, with a column added to Project and an index to Task. */
const Project = defineEntity({
  name: 'Project',
  tableName: 'project',
  schema: '*',
  properties: {
    id: p.integer().primary(),
    name: p.string().length(200),
    description: p.text().nullable(),
    archivedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('current_timestamp'),
    tasks: () => p.oneToMany(Task).mappedBy('project'),
  },
});
const Task = defineEntity({
  name: 'Task',
  tableName: 'task',
  schema: '*',
  indexes: [{ name: 'task_project_id_index', properties: ['project'] }],
  properties: {
    id: p.integer().primary(),
    project: () => p.manyToOne(Project).deleteRule('cascade'),
    title: p.string().length(500),
    done: p.boolean().default(false),
    createdAt: p.datetime().defaultRaw('current_timestamp'),
  },
});

const ADD_COLUMN = 'alter table "project" add "archived_at" timestamptz null;';
const CREATE_AUDIT = 'create table "entity_diff_audit_entry" ("id" serial primary key, "message" text not null);';

describe('check: entities changed with no migration written for them (real PostgreSQL)', () => {
  let example: INestApplicationContext;
  let changed: INestApplicationContext;
  const schema = uniqueName('ent_diff');

  beforeAll(async () => {
    example = await createTestApp(); // the example's entities, in step with its migrations
    const moduleRef = await Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot({
          ...ormOptions(databaseUrl(), 2),
          entities: [TenantSchema, DomainSchema, AuditEntry, Project, Task],
        }),
        TenancyModule.forRoot({ migrations }),
      ],
    }).compile();
    changed = await moduleRef.init();
    await example.get(TenancyService).createTenant({ schema });
  });

  afterAll(async () => {
    await dropTestTenants(example, [schema]);
    await changed?.close();
    await example?.close();
  });

  it('reports the statements a new migration would hold, per set, as problems that fail the check', async () => {
    const report = await changed.get(TenancyChecker).check({ schemas: [schema], entities: true });
    expect(report.entities).toEqual({ tenant: [ADD_COLUMN], shared: [CREATE_AUDIT] });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      `The tenant entities differ from what the tenant migrations build (1 statement(s): ${ADD_COLUMN}): ` +
        'write a migration for the change (migration:create --tenant), then deploy and run it.',
      `The shared entities differ from what the shared migrations build (1 statement(s): ${CREATE_AUDIT}): ` +
        'write a migration for the change (migration:create --shared), then deploy and run it.',
    ]);
    // the tenant schema itself is what its migrations build: not the tenant's problem
    expect(report.tenants).toEqual([expect.objectContaining({ schema, status: 'ok', drift: [] })]);
    expect(report.summary).toMatchObject({ tenants: 1, ok: 1, needsAction: 0 });
    // read-only: the reference schema was rolled back, the shared table not created
    expect(await sql(changed, `select nspname from pg_namespace where nspname like '\\_\\_tenancy%'`)).toEqual([]);
    expect(await sql(changed, `select to_regclass('public.entity_diff_audit_entry') as audit`)).toEqual([{ audit: null }]);
  });

  it('without entities: true (the default) the sets are not compared, and nothing else fails the check', async () => {
    const report = await changed.get(TenancyChecker).check({ schemas: [schema] });
    expect(report).toMatchObject({ ok: true, entities: { tenant: null, shared: null }, problems: [] });
  });

  it("the example's own entities match its migrations: nothing to report in the tenant set", async () => {
    const report = await example.get(TenancyChecker).check({ schemas: [schema], entities: true });
    expect(report.entities.tenant).toEqual([]);
  });

  it('a shared table no entity maps is not counted: the shared set is compared with what entities map only', async () => {
    const unmapped = uniqueName('unmapped_table');
    await sql(example, `create table public.${unmapped} (id int)`);
    try {
      const report = await changed.get(TenancyChecker).check({ schemas: [schema], entities: true });
      expect(report.entities.shared).toEqual([CREATE_AUDIT]);
    } finally {
      await sql(example, `drop table public.${unmapped}`);
    }
  });

  it('many statements: the finding shows the first three, and says there are more', async () => {
    // three new tenant tables and the column added to Project: four statements
    const notes = ['note_a', 'note_b', 'note_c'].map((name) =>
      defineEntity({ name, tableName: name, schema: '*', properties: { id: p.integer().primary(), body: p.text() } }),
    );
    const moduleRef = await Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot({
          ...ormOptions(databaseUrl(), 2),
          entities: [TenantSchema, DomainSchema, Project, Task, ...notes],
        }),
        TenancyModule.forRoot({ migrations }),
      ],
    }).compile();
    const more = await moduleRef.init();
    try {
      const report = await more.get(TenancyChecker).check({ schemas: [schema], entities: true });
      expect(report.entities.tenant).toEqual([
        'create table "note_a" ("id" serial primary key, "body" text not null);',
        'create table "note_b" ("id" serial primary key, "body" text not null);',
        'create table "note_c" ("id" serial primary key, "body" text not null);',
        ADD_COLUMN,
      ]);
      expect(report.problems).toEqual([
        `The tenant entities differ from what the tenant migrations build (4 statement(s): ${report.entities.tenant!.slice(0, 3).join(' ')} ...): ` +
          'write a migration for the change (migration:create --tenant), then deploy and run it.',
      ]);
    } finally {
      await more.close();
    }
  });
});
