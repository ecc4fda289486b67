import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TenancyConfigError } from '../tenancy.errors.js';
import type { TenancyConfig, TenancyConfigInput } from './tenancy.config.js';

/** Config files the bin looks for in the working directory, first found wins. */
export const TENANCY_CONFIG_FILES = [
  'tenancy.config.ts',
  'tenancy.config.mts',
  'tenancy.config.mjs',
  'tenancy.config.js',
  'tenancy.config.cjs',
] as const;

/** The config file to use: `explicitPath` when given, else the first of {@link TENANCY_CONFIG_FILES} in `cwd`. */
export function findTenancyConfig(cwd: string, explicitPath?: string): string {
  if (explicitPath !== undefined) {
    const path = resolve(cwd, explicitPath);
    if (!existsSync(path)) {
      throw new TenancyConfigError(`--config ${explicitPath}: no such file.`);
    }
    return path;
  }
  const found = TENANCY_CONFIG_FILES.map((file) => resolve(cwd, file)).find((path) => existsSync(path));
  if (!found) {
    throw new TenancyConfigError(
      `No tenancy config in ${cwd}: create tenancy.config.mjs (or .ts, .mts, .js, .cjs) whose default export is ` +
        `defineTenancyConfig({ orm, migrations }) from 'nestjs-tenancy/cli', or pass --config PATH.`,
    );
  }
  return found;
}

/** Imports a config file and returns its default export, validated. */
export async function loadTenancyConfig(path: string): Promise<TenancyConfigInput> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (
      /\.[mc]?ts$/.test(path) &&
      (code === 'ERR_UNKNOWN_FILE_EXTENSION' || code === 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING')
    ) {
      throw new TenancyConfigError(
        `${basename(path)}: this Node.js (${process.version}) cannot load TypeScript. Use Node.js 22.18 or later ` +
          `(type stripping on by default), run with NODE_OPTIONS=--experimental-strip-types, or write tenancy.config.mjs.`,
        { cause: error },
      );
    }
    throw new TenancyConfigError(`${basename(path)} failed to load: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  // a CommonJS file compiled from `export default` puts the config under a second `default`
  let config = module.default;
  if (isRecord(config) && !('orm' in config) && 'default' in config) {
    config = config.default;
  }
  if (typeof config !== 'function' && !isRecord(config)) {
    throw new TenancyConfigError(
      `${basename(path)} has no default export: export default defineTenancyConfig({ orm, migrations }).`,
    );
  }
  return config as TenancyConfigInput;
}

/** The config itself (calling a config function), checked for the parts the CLI cannot do without. */
export async function resolveTenancyConfig(input: TenancyConfigInput, source = 'the tenancy config'): Promise<TenancyConfig> {
  const config = typeof input === 'function' ? await input() : input;
  if (!isRecord(config) || !isRecord(config.orm)) {
    throw new TenancyConfigError(
      `${source}: \`orm\` is missing: give the MikroORM options of your app (entities, clientUrl ...).`,
    );
  }
  if (!isRecord(config.migrations) || (!config.migrations.shared && !config.migrations.tenant)) {
    throw new TenancyConfigError(
      `${source}: \`migrations\` is missing: give { shared: { path, pathTs }, tenant: { path, pathTs } }.`,
    );
  }
  return config;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
