import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built package as Node loads it in an app (no 'tenancy-source' condition): `npm test` builds first.
const root = fileURLToPath(new URL('..', import.meta.url));

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS'),
  );
  return spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8' });
}

describe('package entry points', () => {
  it('the main entry loads none of the CLI, the queue, GraphQL or WebSocket packages', () => {
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r; } });
      const tenancy = await import('nestjs-tenancy');
      console.log(JSON.stringify({ exports: Object.keys(tenancy), loaded }));`;
    const run = node(['--input-type=module', '-e', script]);
    expect(run.stderr).toBe('');
    const { exports, loaded } = JSON.parse(run.stdout) as { exports: string[]; loaded: string[] };
    expect(exports).toContain('TenancyModule');
    expect(loaded.some((url) => url.includes('/libs/tenancy/dist/index.js'))).toBe(true);
    const cli = loaded.filter((url) =>
      /node_modules\/(nest-commander|cli-table3|cli-progress|commander|inquirer|@inquirer|bullmq|@nestjs\/bullmq|ioredis|graphql|@nestjs\/graphql|@nestjs\/mercurius|mercurius|ws|@nestjs\/websockets|@nestjs\/platform-ws|socket\.io|@nestjs\/platform-socket\.io|@nestjs\/cache-manager|cache-manager|@nestjs\/microservices)\/|\/dist\/(cli|bullmq|websockets|socket-io|cache-manager|microservices)\//.test(
        url,
      ),
    );
    expect(cli).toEqual([]);
  });

  it('loads from CommonJS (require of the ESM package), each entry point', () => {
    const script = `
      const main = require('nestjs-tenancy');
      const testing = require('nestjs-tenancy/testing');
      const cli = require('nestjs-tenancy/cli');
      const bullmq = require('nestjs-tenancy/bullmq');
      const websockets = require('nestjs-tenancy/websockets');
      const socketIo = require('nestjs-tenancy/socket.io');
      const cache = require('nestjs-tenancy/cache-manager');
      const microservices = require('nestjs-tenancy/microservices');
      console.log([typeof main.TenancyModule, typeof testing.createTestTenant, typeof cli.defineTenancyConfig, typeof bullmq.TenantWorkerHost, typeof websockets.TenantWsAdapter, typeof socketIo.TenantIoAdapter, typeof cache.TenantCacheInterceptor, typeof microservices.TenantFromMessage].join(' '));`;
    const run = node(['-e', script]);
    expect(run.stdout.trim()).toBe('function function function function function function function function');
    expect(run.status).toBe(0);
  });
});
