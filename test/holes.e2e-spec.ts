import { defineEntity, MikroORM, p } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DomainSchema,
  EntityKindError,
  NoTenantBoundError,
  TenancyModule,
  TenancyService,
  TenantSchema,
  type TenantDetails,
} from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { createTestApp, databaseUrl, sql, uniqueName } from './support/test-app.js';

// Tenant entities that reach the holes listed in MIKRO-ORM-NOTES.md: a many-to-many relation and
// a formula with a hand-written table name.
const TagSchema = defineEntity({
  name: 'HoleTag',
  tableName: 'hole_tag',
  schema: '*',
  properties: { id: p.integer().primary(), name: p.string() },
});
const BookSchema = defineEntity({
  name: 'HoleBook',
  tableName: 'hole_book',
  schema: '*',
  properties: {
    id: p.integer().primary(),
    title: p.string(),
    tags: () => p.manyToMany(TagSchema).pivotTable('hole_book_tags').joinColumn('book_id').inverseJoinColumn('tag_id'),
    tagCount: p.formula<number>('(select count(*) from hole_book_tags)').type('integer').nullable().lazy(),
  },
});

class HolesMigration extends Migration {
  override up(): void {
    this.addSql('create table "hole_tag" ("id" serial primary key, "name" varchar(255) not null)');
    this.addSql('create table "hole_book" ("id" serial primary key, "title" varchar(255) not null)');
    this.addSql(
      'create table "hole_book_tags" ("book_id" int not null references "hole_book" ("id") on delete cascade, "tag_id" int not null references "hole_tag" ("id") on delete cascade, primary key ("book_id", "tag_id"))',
    );
  }
}

const DECOYS = [
  'create table if not exists public.hole_tag (id int primary key, name text)',
  'create table if not exists public.hole_book (id int primary key, title text)',
  'create table if not exists public.hole_book_tags (book_id int, tag_id int)',
  `insert into public.hole_tag values (1, 'decoy'), (2, 'decoy2') on conflict do nothing`,
  `insert into public.hole_book values (1, 'decoy') on conflict do nothing`,
  'insert into public.hole_book_tags values (1, 1), (1, 2)',
];

describe('fail closed on the holes MikroORM leaves open', () => {
  let context: INestApplicationContext;
  let orm: MikroORM;
  let tenancy: TenancyService;
  let tenant: TenantDetails;

  beforeAll(async () => {
    await (await createTestApp()).close();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot({
          ...ormOptions(databaseUrl(), 4),
          entities: [TenantSchema, DomainSchema, TagSchema, BookSchema],
        }),
        TenancyModule.forRoot({
          migrations: {
            shared: migrations?.shared,
            tenant: { migrationsList: [{ name: 'HolesMigration', class: HolesMigration }] },
          },
        }),
      ],
    }).compile();
    context = await moduleRef.init();
    orm = context.get(MikroORM);
    tenancy = context.get(TenancyService);
    tenant = await createTestTenant(context, { schema: uniqueName('holes') });
    for (const statement of DECOYS) {
      await sql(context, statement);
    }
    await tenancy.run(tenant, async (em) => {
      const book = em.create(BookSchema, { title: 'real' });
      book.tags.add(em.create(TagSchema, { name: 'real-tag' }));
      await em.flush();
    });
  });

  afterAll(async () => {
    await sql(context, 'drop table if exists public.hole_book_tags, public.hole_book, public.hole_tag');
    await dropTestTenants(context, [tenant.schema]);
    await context.close();
  });

  it('loads many-to-many relations correctly when the tenant is bound (select-in and joined)', async () => {
    for (const strategy of ['select-in', 'joined'] as const) {
      const names = await tenancy.run(tenant, async (em) => {
        const [book] = await em.find(BookSchema, {}, { populate: ['tags'], strategy });
        return book.tags.getItems().map((tag) => tag.name);
      });
      expect(names).toEqual(['real-tag']);
    }
  });

  it('refuses Collection.matching() on a many-to-many without a schema, instead of reading public', async () => {
    await expect(
      tenancy.run(tenant, async (em) => {
        const book = await em.findOneOrFail(BookSchema, { title: 'real' });
        return book.tags.matching({});
      }),
    ).rejects.toThrow(NoTenantBoundError);
    const names = await tenancy.run(tenant, async (em) => {
      const book = await em.findOneOrFail(BookSchema, { title: 'real' });
      return (await book.tags.matching({ schema: em.schema })).map((tag) => tag.name);
    });
    expect(names).toEqual(['real-tag']);
  });

  it('refuses many-to-many loading through the dataloader', async () => {
    await expect(
      tenancy.run(tenant, async (em) => {
        const book = await em.findOneOrFail(BookSchema, { title: 'real' });
        await book.tags.load({ dataloader: true });
        return book.tags.getItems().map((tag) => tag.name);
      }),
    ).rejects.toThrow(NoTenantBoundError);
  });

  it('refuses raw SQL and formulas that name tenant tables unqualified', async () => {
    await expect(tenancy.run(tenant, (em) => em.getConnection().execute('select * from hole_book'))).rejects.toThrow(
      new NoTenantBoundError(
        'HoleBook is a tenant entity, but the query names table "hole_book" without the tenant\'s schema, so the query was refused. ' +
          'Bind a tenant: serve the route on a tenant host (not a @SharedRoute()), or wrap the code in ' +
          'TenancyService.run(tenant, fn). Hand-written SQL must qualify tenant tables with the bound schema.',
      ),
    );
    // a pivot table has no entity class of its own: the error names the relation's table
    await expect(tenancy.run(tenant, (em) => em.getConnection().execute('select * from hole_book_tags'))).rejects.toThrow(
      'The pivot table of a tenant relation (hole_book_tags) is a tenant entity, but the query names table "hole_book_tags"',
    );
    await expect(tenancy.run(tenant, (em) => em.find(BookSchema, {}, { populate: ['tagCount'] }))).rejects.toThrow(
      NoTenantBoundError,
    );
    const qualified = await tenancy.run(tenant, (em) =>
      em.getConnection().execute(`select title from "${tenant.schema}"."hole_book"`),
    );
    expect(qualified).toEqual([{ title: 'real' }]);
  });

  it('refuses every query of a fork with no tenant, and public keeps only its decoys', async () => {
    const em = orm.em.fork();
    await expect(em.find(BookSchema, {}, { populate: ['tags'] })).rejects.toThrow(NoTenantBoundError);
    await expect(em.findOne(TagSchema, { name: 'decoy' })).rejects.toThrow(NoTenantBoundError);
    em.create(TagSchema, { name: 'leak' });
    await expect(em.flush()).rejects.toThrow(NoTenantBoundError);
    const rows = await sql<{ name: string }>(context, 'select name from public.hole_tag order by id');
    expect(rows.map((row) => row.name)).toEqual(['decoy', 'decoy2']);
  });
});

describe('boot check of entity kinds', () => {
  const boot = (entities: unknown[]) =>
    Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot({ ...ormOptions(databaseUrl(), 1), entities: entities as never }),
        TenancyModule.forRoot({ migrations }),
      ],
    })
      .compile()
      .then(async (moduleRef) => {
        const app = await moduleRef.init();
        await app.close();
      });

  it('refuses an entity that says neither shared nor tenant, naming it', async () => {
    const Vague = defineEntity({ name: 'Vague', properties: { id: p.integer().primary() } });
    await expect(boot([TenantSchema, DomainSchema, Vague])).rejects.toThrow(EntityKindError);
    await expect(boot([TenantSchema, DomainSchema, Vague])).rejects.toThrow(/Entity Vague .*schema: '\*'/);
  });

  it('refuses a tenant entity whose table also exists in the shared schema', async () => {
    const SharedProject = defineEntity({
      name: 'SharedProject',
      tableName: 'dup_table',
      schema: 'public',
      properties: { id: p.integer().primary() },
    });
    const TenantProject = defineEntity({
      name: 'TenantProject',
      tableName: 'dup_table',
      schema: '*',
      properties: { id: p.integer().primary() },
    });
    await expect(boot([TenantSchema, DomainSchema, SharedProject, TenantProject])).rejects.toThrow(/dup_table/);
  });

  it('starts with explicit kinds', async () => {
    await expect(boot([TenantSchema, DomainSchema, TagSchema, BookSchema])).resolves.toBeUndefined();
  });
});
