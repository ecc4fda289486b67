import pg from 'pg';
import { databaseUrl, uniqueName } from './test-app.js';

/** A database of its own on the test server, empty (no migration has run), dropped by `drop()`. */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database next to the test database. */
export async function createScratchDatabase(prefix = 'scratch'): Promise<ScratchDatabase> {
  const name = uniqueName(`tenancy_${prefix}`);
  const server = databaseUrl();
  await admin(server, `create database "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => admin(server, `drop database if exists "${name}" with (force)`) };
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
