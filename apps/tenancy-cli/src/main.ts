import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { CommandFactory } from 'nest-commander';
import { errorMessage, tenancyCliRunOptions } from 'nestjs-tenancy';
import { CliAppModule } from './cli-app.module.js';
import { resolveCliDatabase } from './cli-database.js';
import { cliMigrations } from './cli-migrations.js';

/** `npm run cli -- <command>`: the tenancy CLI on DATABASE_URL (or the embedded database). */
async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const database = await resolveCliDatabase();
  try {
    await CommandFactory.run(
      CliAppModule.register({ databaseUrl: database.url, migrations: cliMigrations() }),
      tenancyCliRunOptions(),
    );
  } finally {
    await database.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
