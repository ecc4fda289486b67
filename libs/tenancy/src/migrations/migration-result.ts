/** What happened to one schema in a migration run. */
export type SchemaMigrationStatus = 'migrated' | 'up-to-date' | 'failed' | 'planned' | 'skipped' | 'reverted';

/** The result of a migration run for one schema. */
export interface SchemaMigrationResult {
  /** The schema (the shared schema or a tenant's). */
  schema: string;
  /** Which set ran there. */
  set: 'shared' | 'tenant';
  status: SchemaMigrationStatus;
  /** Migrations applied (or reverted, or planned with `dryRun`), in order. */
  migrations: string[];
  /** Wall time in ms. */
  durationMs: number;
  /** True when another runner held this schema's lock and this run waited for it. */
  waitedForLock?: boolean;
  /** The error, when `status` is `failed`. */
  error?: string;
}

/** Applied and pending migrations of one schema. */
export interface SchemaMigrationState {
  schema: string;
  set: 'shared' | 'tenant';
  applied: string[];
  pending: string[];
}
