import { defineEntity, p } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DomainSchema,
  MigrationError,
  TenancyChecker,
  TenancyModule,
  type TenancyModuleOptions,
  TenancyService,
  TenantSchema,
} from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migration20261126182507_initial as SharedInitial } from '../apps/example/src/migrations/shared/Migration20261126182507_initial.js';
import { Migration20261203131520_tenant_suspension as SharedSuspension } from '../apps/example/src/migrations/shared/Migration20261203131520_tenant_suspension.js';
import { Migration20261203133222_tenant_deletion as SharedDeletion } from '../apps/example/src/migrations/shared/Migration20261203133222_tenant_deletion.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { EntityDiff } from '../libs/tenancy/src/migrations/entity-diff.js';
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

/** A migration never applied: the shared set it is added to has one pending. */
class PendingSharedMigration extends Migration {
  override async up(): Promise<void> {
    this.addSql('select 1');
  }
}

describe('EntityDiff.diff(): the statements migration:create writes (real PostgreSQL)', () => {
  const motto = 'a;\nb'; // a default holding the statement separator: one statement all the same
  const MottoProject = defineEntity({
    name: 'Project',
    tableName: 'project',
    schema: '*',
    properties: {
      id: p.integer().primary(),
      name: p.string().length(200),
      description: p.text().nullable(),
      motto: p.string().default(motto),
      createdAt: p.datetime().defaultRaw('current_timestamp'),
      tasks: () => p.oneToMany(PlainTask).mappedBy('project'),
    },
  });
  /** The example's Task without the index its migration creates. */
  const PlainTask = defineEntity({
    name: 'Task',
    tableName: 'task',
    schema: '*',
    properties: {
      id: p.integer().primary(),
      project: () => p.manyToOne(MottoProject).deleteRule('cascade'),
      title: p.string().length(500),
      done: p.boolean().default(false),
      createdAt: p.datetime().defaultRaw('current_timestamp'),
    },
  });
  const Note = defineEntity({
    name: 'Note',
    tableName: 'note',
    schema: '*',
    properties: { id: p.integer().primary(), body: p.text() },
  });
  const [unmapped, skipped, skippedByPattern, view, skippedView] = [
    uniqueName('diff_unmapped'),
    uniqueName('diff_skipped'),
    uniqueName('diff_rx'),
    uniqueName('diff_view'),
    uniqueName('diff_view_skipped'),
  ];
  const contexts: INestApplicationContext[] = [];

  async function contextWith(tenancyMigrations: TenancyModuleOptions['migrations']): Promise<INestApplicationContext> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot({
          ...ormOptions(databaseUrl(), 2),
          entities: [TenantSchema, DomainSchema, MottoProject, PlainTask, Note],
          schemaGenerator: {
            skipTables: [skipped.toUpperCase(), new RegExp(`^${skippedByPattern}`)],
            skipViews: [skippedView],
          },
        }),
        TenancyModule.forRoot({ migrations: tenancyMigrations }),
      ],
    }).compile();
    const context = await moduleRef.init();
    contexts.push(context);
    return context;
  }
  const referenceSchemas = (context: INestApplicationContext): Promise<unknown[]> =>
    sql(context, `select nspname from pg_namespace where nspname like '\\_\\_tenancy%'`);

  beforeAll(async () => {
    const example = await createTestApp(); // the shared schema, migrated
    contexts.push(example);
    await sql(
      example,
      `create table public.${unmapped} (id int); create table public.${skipped} (id int); ` +
        `create table public.${skippedByPattern}_1 (id int); create view public.${view} as select 1 as one; ` +
        `create view public.${skippedView} as select 1 as one`,
    );
  });

  afterAll(async () => {
    await sql(
      contexts[0],
      `drop view if exists public.${view}, public.${skippedView}; ` +
        `drop table if exists public.${unmapped}, public.${skipped}, public.${skippedByPattern}_1`,
    );
    for (const context of contexts.reverse()) {
      await context.close();
    }
  });

  it("tenant set: what the entities add to the migrations' schema, unqualified, with its down; nothing left behind", async () => {
    const context = await contextWith(migrations);
    const diff = await context.get(EntityDiff).diff('tenant');
    expect(diff).toEqual({
      up: [
        'create table "note" ("id" serial primary key, "body" text not null);',
        '',
        `alter table "project" add "motto" varchar(255) not null default '${motto}';`,
        '',
        'drop index "task_project_id_index";',
      ],
      down: [
        'drop table if exists "note" cascade;',
        '',
        'alter table "project" drop column "motto";',
        '',
        'create index "task_project_id_index" on "task" ("project_id");',
      ],
    });
    expect(await referenceSchemas(context)).toEqual([]);
  });

  it('tenant set with no migrations: the whole schema, without the reference schema itself, no stray separator', async () => {
    const context = await contextWith({ shared: migrations!.shared, tenant: { migrationsList: [] } });
    const diff = await context.get(EntityDiff).diff('tenant');
    expect(diff).toEqual({ up: expect.any(Array), down: expect.any(Array) });
    expect(diff.up.filter((statement) => statement !== '').map((statement) => statement.split(' (')[0])).toEqual([
      'create table "note"',
      'create table "project"',
      'create table "task"',
      'alter table "task" add constraint "task_project_id_foreign" foreign key',
    ]);
    expect(diff.down.filter((statement) => statement !== '')).toEqual([
      'alter table "task" drop constraint "task_project_id_foreign";',
      'drop table if exists "note" cascade;',
      'drop table if exists "project" cascade;',
      'drop table if exists "task" cascade;',
    ]);
    for (const statements of [diff.up, diff.down]) {
      expect(statements.at(0)).not.toBe('');
      expect(statements.at(-1)).not.toBe('');
      expect(statements.some((statement, i) => statement === '' && statements[i + 1] === '')).toBe(false);
      expect(statements.join(' ')).not.toMatch(/schema|__tenancy/);
    }
    expect(await referenceSchemas(context)).toEqual([]);
  });

  it('shared set: a table or view no entity maps is dropped (created again in down) unless skipTables/skipViews name it', async () => {
    const context = await contextWith(migrations);
    const diff = await context.get(EntityDiff).diff('shared');
    const ours = (statements: string[]): string[] => statements.filter((statement) => statement.includes('diff_'));
    expect(ours(diff.up)).toEqual([`drop view if exists "${view}" cascade;`, `drop table if exists "${unmapped}" cascade;`]);
    expect(ours(diff.down)).toEqual([
      `create table "${unmapped}" ("id" int4 null);`,
      `create view "${view}" as SELECT 1 AS one;`,
    ]);
  });

  it('shared set, onlyMapped: tables and views no entity maps are left out of up and down', async () => {
    const context = await contextWith(migrations);
    const diff = await context.get(EntityDiff).diff('shared', { onlyMapped: true });
    expect(diff).toEqual({ up: [], down: [] });
  });

  it('a shared set with a pending migration is refused: the diff would hold it again', async () => {
    const listed = [SharedInitial, SharedSuspension, SharedDeletion].map((migration) => ({
      name: migration.name,
      class: migration,
    }));
    const context = await contextWith({
      shared: { migrationsList: [...listed, { name: 'Migration29990101000000_pending', class: PendingSharedMigration }] },
      tenant: migrations!.tenant,
    });
    await expect(context.get(EntityDiff).diff('shared')).rejects.toThrow(
      new MigrationError(
        'The shared schema "public" has pending shared migrations (Migration29990101000000_pending): apply them first ' +
          '(migrate --shared), so that the new migration holds only the change.',
      ),
    );
    await expect(context.get(EntityDiff).diff('shared', { onlyMapped: true })).rejects.toThrow(MigrationError);
  });
});
