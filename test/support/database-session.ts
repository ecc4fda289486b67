import pg from 'pg';
import { databaseUrl } from './test-app.js';

/** A connection of the test's own (its own session and transactions), to hold locks against the app. */
export async function openSession(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  return client;
}

/**
 * Waits until another session is blocked on a lock (`waitEvent`: `tuple`, `transactionid`,
 * `advisory` ... or any) in a statement matching the SQL `LIKE` pattern, or until `until()` turns
 * true. Returns whether such a statement was seen waiting.
 */
export async function waitForBlockedStatement(
  session: pg.Client,
  like: string,
  options: { waitEvent?: string; until?: () => boolean; timeoutMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    // inside a transaction, pg_stat_activity would keep showing its first reading
    await session.query('select pg_stat_clear_snapshot()');
    const { rows } = await session.query(
      `select 1 from pg_stat_activity
        where pid <> pg_backend_pid() and wait_event_type = 'Lock' and ($2::text is null or wait_event = $2) and query like $1`,
      [like, options.waitEvent ?? null],
    );
    if (rows.length > 0) {
      return true;
    }
    if (options.until?.()) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`No statement like ${JSON.stringify(like)} was seen waiting for a lock.`);
}
