import type { EntityManager } from '@mikro-orm/core';
import { sqlEntityManager } from './sql-entity-manager.js';

/**
 * What a lock protects. Each purpose is its own namespace (the first key of PostgreSQL's two-key
 * advisory locks), so the library's locks never meet each other's or the app's one-key locks.
 * - `tenant`: the tenant's registry row and schema (create, delete, status, domains);
 * - `migration`: a migration run over one schema.
 */
export type AdvisoryLockPurpose = 'tenant' | 'migration';

const NAMESPACES: Record<AdvisoryLockPurpose, number> = { migration: 74_119_001, tenant: 74_119_002 };

/**
 * Takes the advisory lock of `schema` for `purpose` until the end of `em`'s transaction (never a
 * session lock: safe behind PgBouncer in transaction mode). Waits while another transaction holds
 * it, and says whether it had to.
 */
export async function lockSchemaForTransaction(
  em: EntityManager,
  purpose: AdvisoryLockPurpose,
  schema: string,
): Promise<boolean> {
  const sql = sqlEntityManager(em);
  const namespace = NAMESPACES[purpose];
  const [free] = await sql.execute<{ ok: boolean }[]>('select pg_try_advisory_xact_lock(?, hashtext(?)) as ok', [
    namespace,
    schema,
  ]);
  if (free?.ok) {
    return false;
  }
  await sql.execute('select pg_advisory_xact_lock(?, hashtext(?))', [namespace, schema]);
  return true;
}
