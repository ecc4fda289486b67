import { Migration } from '@mikro-orm/migrations';

export class Migration20261203133222_tenant_deletion extends Migration {

  override name = 'Migration20261203133222_tenant_deletion';

  override up(): void | Promise<void> {
    this.addSql(`alter table "tenant" drop constraint "tenant_status_check";`);
    this.addSql(`alter table "tenant" add "deleted_at" timestamptz null, add "deleted_schema" varchar(63) null, add "deleted_domains" text[] null;`);
    this.addSql(`alter table "tenant" add constraint "tenant_status_check" check ("status" in ('active', 'suspended', 'provisioning', 'deleted'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "tenant" drop constraint "tenant_status_check";`);
    this.addSql(`alter table "tenant" drop column "deleted_at", drop column "deleted_schema", drop column "deleted_domains";`);
    this.addSql(`alter table "tenant" add constraint "tenant_status_check" check ("status" in ('active', 'suspended', 'provisioning'));`);
  }

}
