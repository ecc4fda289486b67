import { Redis } from 'ioredis';

const clients: Redis[] = [];

/**
 * A client of the Redis the queue tests use: REDIS_URL (set by `npm test`, which finds or starts
 * one), else 127.0.0.1:6379. BullMQ 6 in ESM takes client instances, not connection options;
 * {@link closeRedisClients} closes them.
 */
export function redisConnection(): Redis {
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  clients.push(client);
  return client;
}

/** Closes every client made by {@link redisConnection}. */
export async function closeRedisClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
}
