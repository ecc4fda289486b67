import { defineTenancyConfig } from 'nestjs-tenancy/cli';
import { ormOptions } from '../../example/src/orm.config.js';
import { resolveCliDatabase } from './cli-database.js';
import { cliMigrations } from './cli-migrations.js';

/**
 * The example app's tenancy config, for the package's `tenancy` bin: `npm run cli -- <command>`
 * runs `tenancy --config <this file, compiled>`. The database is DATABASE_URL, or the example's
 * embedded PostgreSQL (started for the command when it is not running, and stopped after it).
 */
export default defineTenancyConfig(async () => {
  const database = await resolveCliDatabase();
  return {
    orm: ormOptions(database.url, 2),
    migrations: cliMigrations(),
    close: () => database.stop(),
  };
});
