import { Migration } from '@mikro-orm/migrations';

export class Migration20261203131520_tenant_suspension extends Migration {

  override name = 'Migration20261203131520_tenant_suspension';

  override up(): void | Promise<void> {
    this.addSql(`alter table "tenant" add "suspended_reason" text null, add "suspended_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "tenant" drop column "suspended_reason", drop column "suspended_at";`);
  }

}
