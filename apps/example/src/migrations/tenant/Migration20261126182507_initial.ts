import { Migration } from '@mikro-orm/migrations';

export class Migration20261126182507_initial extends Migration {

  override name = 'Migration20261126182507_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "project" ("id" serial primary key, "name" varchar(200) not null, "description" text null, "created_at" timestamptz not null default current_timestamp);`);

    this.addSql(`create table "task" ("id" serial primary key, "project_id" int not null, "title" varchar(500) not null, "done" boolean not null default false, "created_at" timestamptz not null default current_timestamp);`);

    this.addSql(`create index "task_project_id_index" on "task" ("project_id");`);

    this.addSql(`alter table "task" add constraint "task_project_id_foreign" foreign key ("project_id") references "project" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "task" drop constraint "task_project_id_foreign";`);

    this.addSql(`drop table if exists "project" cascade;`);
    this.addSql(`drop table if exists "task" cascade;`);
  }

}
