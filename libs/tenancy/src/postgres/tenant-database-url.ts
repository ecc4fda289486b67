import type { MikroORM } from '@mikro-orm/core';
import { quoteIdentifier } from './schema-name.js';

/**
 * A PostgreSQL URL of the ORM's database whose sessions start with `search_path` set to the
 * tenant's schema, then the shared schema (the libpq `options=-c search_path=...` parameter, which
 * psql, node-postgres and most drivers read). For a process of its own (`tenancy exec`): this is
 * session state, so the URL must reach PostgreSQL directly; PgBouncer in transaction mode refuses
 * or ignores the parameter. `schema` must be a validated schema name.
 *
 * @example await tenantDatabaseUrl(orm, 'acme', 'public') // postgresql://…/app?options=-c%20search_path%3D%22acme%22%2C%22public%22
 */
export async function tenantDatabaseUrl(orm: MikroORM, schema: string, sharedSchema: string): Promise<string> {
  const config = orm.config;
  const clientUrl = config.get('clientUrl');
  const url = new URL(clientUrl ?? 'postgresql://localhost');
  if (!clientUrl) {
    url.hostname = config.get('host') ?? 'localhost';
    url.port = String(config.get('port') ?? 5432);
    url.username = encodeURIComponent(config.get('user') ?? '');
    const password = config.get('password');
    url.password = encodeURIComponent((typeof password === 'function' ? await password() : password) ?? '');
    url.pathname = `/${encodeURIComponent(config.get('dbName') ?? '')}`;
  }
  const path = `-c search_path=${quoteIdentifier(schema)},${quoteIdentifier(sharedSchema)}`;
  const existing = url.searchParams.get('options');
  url.searchParams.set('options', existing ? `${existing} ${path}` : path);
  // libpq decodes %20 but not the + that URLSearchParams writes for a space (a literal + is %2B)
  url.search = url.searchParams.toString().replaceAll('+', '%20');
  return url.href;
}
