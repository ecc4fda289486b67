import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createExampleApp } from './app.factory.js';
import { resolveDatabase } from './database/database-url.js';
import { resolveRedisUrl } from './jobs/redis-url.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Example');
  const database = await resolveDatabase();
  // LISTEN needs a direct session: DIRECT_DATABASE_URL when DATABASE_URL goes through a pooler
  const directDatabaseUrl = process.env.DIRECT_DATABASE_URL ?? (process.env.DATABASE_URL ? undefined : database.url);
  const port = Number(process.env.PORT ?? 3000);
  let app: Awaited<ReturnType<typeof createExampleApp>> | undefined;
  let redisUrl: string | undefined;
  try {
    redisUrl = await resolveRedisUrl();
    if (!redisUrl) {
      logger.warn('Queued jobs are off: no Redis at REDIS_URL or on 127.0.0.1:6379 (POST /projects/:id/summary answers 404).');
    }
    app = await createExampleApp({ databaseUrl: database.url, redisUrl, graphql: true, tenancy: { directDatabaseUrl } });
    await app.listen(port, process.env.HOST ?? '0.0.0.0');
  } catch (error) {
    // a failed start stops what it started, so that the process ends (with exit code 1, below)
    await app?.close().catch(() => undefined);
    await database.stop();
    throw error;
  }
  const started = app;
  logger.log(`Example app on http://localhost:${port} (try: curl -H 'Host: acme.localhost' localhost:${port}/projects)`);
  logger.log(
    `GraphQL on http://localhost:${port}/graphql (try: curl -H 'Host: acme.localhost' -H 'content-type: application/json' -d '{"query":"{ projectList { name tasks { title } } }"}' localhost:${port}/graphql)`,
  );
  if (redisUrl) {
    logger.log(`Queued jobs on ${redisUrl} (try: curl -X POST -H 'Host: acme.localhost' localhost:${port}/projects/1/summary)`);
  }
  const stop = async (): Promise<void> => {
    logger.log('Shutting down');
    await started.close();
    await database.stop();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

void bootstrap().catch((error: unknown) => {
  new Logger('Example').error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
