#!/usr/bin/env node
// The `tenancy` bin: `npx tenancy <command> [flags]` in an app's folder. Reads the app's
// tenancy.config.* (or --config PATH) and runs the command; a failure is one line and exit code 1.
import 'reflect-metadata';
import { errorMessage } from '../migrations/schema-migrator.js';
import { findTenancyConfig, loadTenancyConfig } from './tenancy-config.loader.js';
import { runTenancyCli } from './tenancy-cli.runner.js';

const USAGE = 'Usage: tenancy [--config PATH] <command> [options] (tenancy --help lists the commands)';

/** `--config PATH` / `--config=PATH`, taken out of argv (the commands do not know it). */
function takeConfigOption(argv: string[]): { path?: string; argv: string[] } {
  const rest: string[] = [];
  let path: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--config' || arg.startsWith('--config=')) {
      path = arg === '--config' ? argv[++i] : arg.slice('--config='.length);
      if (!path || path.startsWith('-')) {
        throw new Error(`--config needs a path.\n${USAGE}`);
      }
    } else {
      rest.push(arg);
    }
  }
  return { path, argv: rest };
}

async function main(): Promise<void> {
  const { path, argv } = takeConfigOption(process.argv.slice(2));
  process.argv = [...process.argv.slice(0, 2), ...argv];
  const config = await loadTenancyConfig(findTenancyConfig(process.cwd(), path));
  await runTenancyCli({ config });
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
