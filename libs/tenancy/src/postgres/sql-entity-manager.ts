import type { EntityManager } from '@mikro-orm/core';
import { SqlEntityManager } from '@mikro-orm/postgresql';
import { TenancyConfigError } from '../tenancy.errors.js';

/** The SQL EntityManager behind `em`; the library needs MikroORM's PostgreSQL driver. */
export function sqlEntityManager(em: EntityManager): SqlEntityManager {
  if (!(em instanceof SqlEntityManager)) {
    throw new TenancyConfigError('nestjs-tenancy needs MikroORM with the PostgreSQL driver (@mikro-orm/postgresql).');
  }
  return em;
}
