import { randomBytes } from 'node:crypto';
import { raw, sql as sqlTag } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService, TenantIsolationError, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants } from 'nestjs-tenancy/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { HOSTILE_STATEMENTS, HOSTILE_TEMPLATES, LEGITIMATE_STATEMENTS, projectSpellings } from './support/hostile-sql.corpus.js';
import { createTestApp, databaseUrl, uniqueName } from './support/test-app.js';

describe('SQL check against a hostile corpus (PostgreSQL parser)', () => {
  let app: NestFastifyApplication;
  let own: TenantDetails;
  let other: TenantDetails;
  let client: pg.Client;
  let hostile: { group: string; statement: string }[];

  const fill = (statement: string) =>
    statement
      .replaceAll('{own}', own.schema)
      .replaceAll('{other}', other.schema)
      .replaceAll('{rand}', randomBytes(3).toString('hex'));

  beforeAll(async () => {
    app = await createTestApp();
    own = await createTestTenant(app, { schema: uniqueName('own') });
    other = await createTestTenant(app, { schema: uniqueName('other') });
    client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    await client.query(`insert into "${other.schema}"."project" (name, created_at) values ('secret of the other tenant', now())`);
    hostile = [
      ...Object.entries(HOSTILE_TEMPLATES).flatMap(([group, templates]) =>
        templates.flatMap((template) =>
          projectSpellings(other.schema).map((spelling) => ({
            group,
            statement: fill(template.replaceAll('{project}', spelling)),
          })),
        ),
      ),
      ...Object.entries(HOSTILE_STATEMENTS).flatMap(([group, statements]) =>
        statements.map((statement) => ({ group, statement: fill(statement) })),
      ),
    ];
  });

  afterAll(async () => {
    await client.end();
    await dropTestTenants(app, [own.schema, other.schema]);
    await app.close();
  });

  /** Runs a statement on PostgreSQL directly (no library), in a transaction that is rolled back. */
  async function runDirectly(statement: string): Promise<string | undefined> {
    await client.query('begin');
    try {
      await client.query(statement);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    } finally {
      await client.query('rollback');
      await client.query('deallocate all');
    }
  }

  it('holds more than 100 hostile statements, each run by PostgreSQL when sent without the library', async () => {
    expect(hostile.length).toBeGreaterThan(100);
    const failures: string[] = [];
    for (const { statement } of hostile) {
      const error = await runDirectly(statement);
      if (error !== undefined) {
        failures.push(`${statement}: ${error}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses every one of them while a tenant is bound, and none reaches the other tenant', async () => {
    const tenancy = app.get(TenancyService);
    const passed: string[] = [];
    for (const { group, statement } of hostile) {
      const outcome = await tenancy
        .run(own.schema, (em) => (em as EntityManager).execute(statement))
        .then(
          () => 'ran',
          (error: unknown) => (error instanceof TenantIsolationError ? 'refused' : `failed: ${(error as Error).message}`),
        );
      if (outcome !== 'refused') {
        passed.push(`[${group}] ${statement} → ${outcome}`);
      }
    }
    expect(passed).toEqual([]);
    const [row] = (await client.query(`select count(*)::int as n from "${other.schema}"."project"`)).rows;
    expect(row.n).toBe(1);
  });

  it('refuses SQL carried in parameters: sql templates, raw fragments, named parameters, query-builder conditions, identifiers', async () => {
    const tenancy = app.get(TenancyService);
    const target = `${other.schema}.project`;
    const attempts: [string, (em: EntityManager) => Promise<unknown>][] = [
      ['sql template', (em) => em.getConnection().execute(sqlTag`select name from ${raw(target)}`)],
      ['raw() parameter', (em) => em.getConnection().execute('select * from ?', [raw(target)])],
      ['named raw() parameter', (em) => em.getConnection().execute('select name from :t', { t: raw(target) })],
      ['?? identifier', (em) => em.execute('select name from ??', [target])],
      [
        'query builder condition',
        (em) =>
          em
            .createQueryBuilder(Project, 'p')
            .where(`p.id in (?)`, [raw(`select id from ${target}`)])
            .getResult(),
      ],
    ];
    for (const [name, attempt] of attempts) {
      const error = await tenancy.run(own.schema, (em) => attempt(em as EntityManager)).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(TenantIsolationError);
    }
  });

  it('passes at least 30 legitimate statements: own tables, shared and system schemas, CTEs and temp tables named like tenant tables', async () => {
    expect(LEGITIMATE_STATEMENTS.length).toBeGreaterThanOrEqual(30);
    const tenancy = app.get(TenancyService);
    const refused: string[] = [];
    await tenancy.run(own.schema, (em) =>
      (em as EntityManager).transactional(async (tx) => {
        for (const statement of LEGITIMATE_STATEMENTS.map(fill)) {
          await tx.execute(statement).catch((error: unknown) => {
            refused.push(`${statement}: ${(error as Error).message}`);
          });
        }
      }),
    );
    expect(refused).toEqual([]);
  });
});
