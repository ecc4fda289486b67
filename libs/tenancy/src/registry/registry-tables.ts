import { InvalidFieldNameException, type MikroORM, TableNotFoundException } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { Domain } from '../entities/domain.entity.js';
import { Tenant } from '../entities/tenant.entity.js';
import { quoteIdentifier } from '../postgres/schema-name.js';
import { RegistryNotMigratedError } from '../tenancy.errors.js';

/**
 * The registry's two tables (tenants, domains) as the library's SQL names them (quoted and
 * qualified with the shared schema), and what it means when they are missing: the shared
 * migrations have not run.
 */
export class RegistryTables {
  /** `"public"."tenant"` */
  readonly tenant: string;
  /** `"public"."domain"` */
  readonly domain: string;

  constructor(
    orm: MikroORM,
    private readonly sharedSchema: string,
  ) {
    const schema = quoteIdentifier(sharedSchema);
    this.tenant = `${schema}.${quoteIdentifier(orm.getMetadata(Tenant).tableName)}`;
    this.domain = `${schema}.${quoteIdentifier(orm.getMetadata(Domain).tableName)}`;
  }

  /**
   * The error to throw for a failed query on the registry: a {@link RegistryNotMigratedError} when
   * a table is missing (the registry's queries name no other table) or lacks a column of this
   * version (a shared migration is pending), the error itself otherwise.
   */
  explain(error: unknown): unknown {
    if (error instanceof TableNotFoundException) {
      return RegistryNotMigratedError.inSchema(this.sharedSchema, { cause: error });
    }
    if (error instanceof InvalidFieldNameException) {
      return RegistryNotMigratedError.outdated(this.sharedSchema, { cause: error });
    }
    return error;
  }

  /** Whether both tables exist. */
  async exist(em: SqlEntityManager): Promise<boolean> {
    const [row] = await em.execute<{ tenant: string | null; domain: string | null }[]>(
      'select to_regclass(?)::text as tenant, to_regclass(?)::text as domain',
      [this.tenant, this.domain],
    );
    return row.tenant !== null && row.domain !== null;
  }
}
