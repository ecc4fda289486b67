import { Migration } from '@mikro-orm/migrations';

/**
 * The `index`-th new tenant migration of the benchmark: a typical small change (a column with a
 * default, and an index on it). Named so that it sorts after every real migration.
 */
export function benchMigration(index) {
  const name = `Migration29991231${String(index).padStart(6, '0')}_bench_flag_${index}`;
  class BenchMigration extends Migration {
    name = name;

    up() {
      this.addSql(`alter table "project" add column "bench_flag_${index}" boolean not null default false;`);
      this.addSql(`create index "project_bench_flag_${index}_index" on "project" ("bench_flag_${index}");`);
    }
  }
  return { name, class: BenchMigration };
}
