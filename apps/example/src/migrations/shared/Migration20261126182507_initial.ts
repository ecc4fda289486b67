import { Migration } from '@mikro-orm/migrations';

export class Migration20261126182507_initial extends Migration {

  override name = 'Migration20261126182507_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "tenant" ("id" serial primary key, "schema" varchar(63) not null, "name" varchar(200) not null, "status" text not null default 'active', "created_at" timestamptz not null default current_timestamp, "updated_at" timestamptz not null default current_timestamp);`);
    this.addSql(`alter table "tenant" add constraint "tenant_schema_unique" unique ("schema");`);

    this.addSql(`create table "domain" ("id" serial primary key, "host" varchar(253) not null, "tenant_id" int not null, "is_primary" boolean not null default false, "created_at" timestamptz not null default current_timestamp);`);
    this.addSql(`alter table "domain" add constraint "domain_host_unique" unique ("host");`);

    this.addSql(`alter table "tenant" add constraint "tenant_status_check" check ("status" in ('active', 'suspended', 'provisioning'));`);

    this.addSql(`alter table "domain" add constraint "domain_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id") on delete cascade;`);

    this.addSql(`create index "domain_tenant_id_index" on "domain" ("tenant_id");`);
    this.addSql(`create unique index "domain_primary_unique" on "domain" ("tenant_id") where "is_primary";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "domain" drop constraint "domain_tenant_id_foreign";`);

    this.addSql(`drop table if exists "tenant" cascade;`);
    this.addSql(`drop table if exists "domain" cascade;`);
  }

}
