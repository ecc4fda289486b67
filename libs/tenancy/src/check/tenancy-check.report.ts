import type { CatalogObjectKind, CrossSchemaForeignKey } from './schema-catalog.js';

/** A difference between a tenant schema and what its applied migrations build. */
export interface SchemaDrift {
  /** `missing`: the migrations build it and the schema lacks it; `extra`: the reverse; `changed`: both have it, defined differently. */
  problem: 'missing' | 'extra' | 'changed';
  kind: CatalogObjectKind;
  /** `table`, `table.column`, `table.constraint`, `table.index`, `sequence` or `table.trigger`. */
  name: string;
  /** The definition the migrations give it (not for `extra`). */
  expected?: string;
  /** The definition the schema has (not for `missing`). */
  actual?: string;
}

/** The check of one tenant. */
export interface TenantCheck {
  schema: string;
  /** `ok`, or `needs-action` when any finding below calls for one. */
  status: 'ok' | 'needs-action';
  /** Whether the tenant's schema exists. */
  schemaPresent: boolean;
  /** Tenant migrations applied (count), pending (names), and applied but not in the app's set (names). */
  migrations: { applied: number; pending: string[]; unknown: string[] };
  /** Differences from a reference schema built by the migrations this tenant has applied. */
  drift: SchemaDrift[];
  /** Foreign keys from this tenant's tables to tables of other schemas (the shared one). */
  foreignKeysToShared: CrossSchemaForeignKey[];
  /** Each finding as a sentence that says what to do (empty when `ok`). */
  problems: string[];
}

/** What {@link TenancyChecker.check} found. */
export interface TenancyCheckReport {
  /** True when nothing needs action (the CLI exits 0). */
  ok: boolean;
  summary: {
    tenants: number;
    ok: number;
    needsAction: number;
    orphanSchemas: number;
    /** Wall time of the check, in ms. */
    durationMs: number;
  };
  /** The shared schema's migration state. */
  shared: { schema: string; pending: string[]; unknown: string[] };
  /** Every checked tenant, by schema name. */
  tenants: TenantCheck[];
  /** Schemas with no tenant row that are neither system, shared, nor ignored (not read with `schemas`). */
  orphanSchemas: string[];
  /**
   * Foreign keys to shared tables: whether they count as a problem (`citus`: the Citus extension
   * is installed, or the check was asked to assume it) and what to do about them.
   */
  foreignKeysToShared: { citus: boolean; inMigrations: CrossSchemaForeignKey[]; advice?: string };
  /**
   * Per migration set, the statements a new migration would hold to bring what the migrations
   * build to what the entities describe (empty: in step). `null` when not compared (without
   * `entities: true`, or, for the shared set, while shared migrations are pending).
   */
  entities: { tenant: string[] | null; shared: string[] | null };
  /** Findings that are not a tenant's, as sentences that say what to do. */
  problems: string[];
}
