import { randomInt } from 'node:crypto';
import { MikroORM } from '@mikro-orm/core';
import type { INestApplicationContext } from '@nestjs/common';
import { openSession, waitForBlockedStatement } from './database-session.js';

/** Namespace (first key) of the advisory locks that hold paused statements. */
const PAUSE_NAMESPACE = 74_119_900;

/** SELECTs held half-way by {@link pauseStatements}. */
export interface PausedStatements {
  /** Resolves once a matching statement has started (its snapshot taken) and waits. */
  blocked(): Promise<void>;
  /** Lets the held statements finish, and stops holding new ones. */
  release(): Promise<void>;
}

/**
 * Holds every SELECT matching `pattern` that the app's ORM sends from now on: the statement starts
 * in PostgreSQL (so it reads the data as of then) and waits on an advisory lock this helper holds
 * until `release()`. Lets a test run something else at a chosen moment of a race.
 */
export async function pauseStatements(app: Pick<INestApplicationContext, 'get'>, pattern: RegExp): Promise<PausedStatements> {
  const config = app.get(MikroORM).config;
  const previous = config.get('onQuery');
  const key = randomInt(1, 2 ** 31 - 1);
  const session = await openSession();
  await session.query('select pg_advisory_lock($1, $2)', [PAUSE_NAMESPACE, key]);
  config.set('onQuery', (sql: string, params: readonly unknown[]) => {
    const checked = previous(sql, params);
    return pattern.test(checked)
      ? `select * from (${checked}) as paused_statement where (select true from pg_advisory_xact_lock_shared(${PAUSE_NAMESPACE}, ${key}))`
      : checked;
  });
  return {
    blocked: async () => {
      await waitForBlockedStatement(session, '%paused_statement%', { waitEvent: 'advisory' });
    },
    release: async () => {
      config.set('onQuery', previous);
      await session.end();
    },
  };
}
