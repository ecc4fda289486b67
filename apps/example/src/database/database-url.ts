import { type Database, startEmbeddedDatabase } from './embedded-database.js';

/** `DATABASE_URL` when set; otherwise the embedded PostgreSQL, started now. */
export async function resolveDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, stop: async () => undefined };
  }
  return startEmbeddedDatabase({ port: env.EMBEDDED_PG_PORT ? Number(env.EMBEDDED_PG_PORT) : undefined });
}
