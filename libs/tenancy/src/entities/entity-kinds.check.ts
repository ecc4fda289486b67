import type { EntityMetadata, MetadataStorage } from '@mikro-orm/core';
import { EntityKindError } from '../tenancy.errors.js';

/** How the library sees the ORM's entities once they have been checked. */
export interface EntityKinds {
  /** Table names of the tenant entities (pivot tables included). */
  tenantTables: ReadonlySet<string>;
  /** Class names of the tenant entities. */
  tenantEntities: ReadonlySet<string>;
  /** Table names of the shared entities. */
  sharedTables: ReadonlySet<string>;
}

/**
 * Checks that every entity says explicitly where it lives: in the shared schema (`schema:
 * sharedSchema`) or in every tenant schema (`schema: '*'`), and that a table name is never both.
 * Throws {@link EntityKindError} naming the entity otherwise.
 */
export function checkEntityKinds(metadata: MetadataStorage, sharedSchema: string): EntityKinds {
  const tenantTables = new Set<string>();
  const tenantEntities = new Set<string>();
  const sharedTables = new Set<string>();
  const all: EntityMetadata[] = [...metadata];
  for (const meta of all) {
    if (meta.embeddable || meta.virtual || meta.abstract) {
      continue;
    }
    const table = meta.tableName ?? meta.collection;
    if (meta.schema === '*') {
      tenantTables.add(table);
      tenantEntities.add(meta.className);
    } else if (meta.schema === sharedSchema) {
      sharedTables.add(table);
    } else if (!meta.pivotTable) {
      throw new EntityKindError(
        `Entity ${meta.className} does not say where it lives: declare it with schema: '*' for a tenant entity ` +
          `or schema: '${sharedSchema}' for a shared entity (it has ${meta.schema === undefined ? 'no schema' : `schema '${meta.schema}'`}).`,
      );
    }
  }
  for (const meta of all) {
    const table = meta.tableName ?? meta.collection;
    if (!meta.pivotTable || meta.schema === sharedSchema || tenantTables.has(table)) {
      continue;
    }
    const owners = all.filter((m) => Object.values(m.properties).some((prop) => prop.pivotTable === table));
    const tenantSide = owners.some((m) => m.schema === '*');
    (tenantSide ? tenantTables : sharedTables).add(table);
  }
  for (const table of tenantTables) {
    if (sharedTables.has(table)) {
      throw new EntityKindError(
        `Table "${table}" is declared both as a tenant table and in the shared schema '${sharedSchema}': ` +
          `a tenant entity must not also exist in the shared schema. Rename one of them.`,
      );
    }
  }
  return { tenantTables, tenantEntities, sharedTables };
}
