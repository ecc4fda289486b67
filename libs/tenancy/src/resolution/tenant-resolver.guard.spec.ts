import { type ExecutionContext, HttpException, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TENANT_REQUEST_KEY } from '../context/current-tenant.decorator.js';
import type { TenantContext } from '../context/tenant-context.js';
import type { TenantRecord } from '../context/tenant-record.js';
import type { TenantRegistry } from '../registry/tenant.registry.js';
import { SHARED_ROUTE_METADATA } from '../tenancy.constants.js';
import { RegistryNotMigratedError } from '../tenancy.errors.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { HeaderTenantResolver } from './header-tenant.resolver.js';
import { RequestTenantFinder } from './request-tenant.finder.js';
import { TenantResolverGuard } from './tenant-resolver.guard.js';
import type { TenancyRequest } from './tenant.resolver.js';

// The guard's decisions that no HTTP test of the example app reaches: other kinds of context,
// resolvers that find nothing, a registry that fails, and what it logs then. The registry is a
// stand-in here (what it reads from PostgreSQL is tested end to end); the guard only sees answers.

const acme: TenantRecord = { id: 1, schema: 'acme', name: 'Acme', status: 'active' };

/** The guard, with a registry that answers `lookup` and a context that records what it binds. */
function guardWith(lookup: TenantRegistry['lookup'], options: Partial<ResolvedTenancyOptions> = {}) {
  const registry = { lookup: vi.fn(lookup) };
  const bound: TenantRecord[] = [];
  const context = { bind: (tenant: TenantRecord) => bound.push(tenant) };
  const finder = new RequestTenantFinder(
    registry as unknown as TenantRegistry,
    {
      trustProxy: false,
      sharedPaths: [],
      suspendedStatus: 403,
      ...options,
    } as ResolvedTenancyOptions,
  );
  const guard = new TenantResolverGuard(new Reflector(), finder, context as unknown as TenantContext);
  return { guard, registry, bound };
}

/** An execution context of `type` for a handler with no metadata, around `request`. */
function contextOf(request: TenancyRequest | undefined, type = 'http', handler: () => void = () => undefined): ExecutionContext {
  class Controller {}
  return {
    getType: () => type,
    getHandler: () => handler,
    getClass: () => Controller,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

/** What `canActivate` answered: `true`, or the HTTP status and body it threw. */
async function answer(result: () => boolean | Promise<boolean>): Promise<true | { status: number; body: unknown }> {
  try {
    return (await result()) as true;
  } catch (error) {
    if (error instanceof HttpException) {
      return { status: error.getStatus(), body: error.getResponse() };
    }
    throw error;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('TenantResolverGuard', () => {
  it('lets RPC and WebSocket contexts through without resolving a tenant', async () => {
    const { guard, registry } = guardWith(() => acme);
    expect(guard.canActivate(contextOf(undefined, 'rpc'))).toBe(true);
    expect(guard.canActivate(contextOf(undefined, 'ws'))).toBe(true);
    expect(registry.lookup).not.toHaveBeenCalled();
  });

  it('binds the tenant an HTTP request resolves to, and leaves it on the request', async () => {
    const { guard, registry, bound } = guardWith(() => acme);
    const request: TenancyRequest = { headers: { host: 'Acme.localhost:3000' } };
    expect(guard.canActivate(contextOf(request))).toBe(true);
    expect(registry.lookup).toHaveBeenCalledWith({ host: 'acme.localhost' });
    expect(bound).toEqual([acme]);
    expect((request as { [TENANT_REQUEST_KEY]?: TenantRecord })[TENANT_REQUEST_KEY]).toBe(acme);
  });

  it('lets a @SharedRoute() handler through unbound', async () => {
    const { guard, registry } = guardWith(() => acme);
    const handler = () => undefined;
    Reflect.defineMetadata(SHARED_ROUTE_METADATA, true, handler);
    expect(guard.canActivate(contextOf({ headers: { host: 'acme.localhost' } }, 'http', handler))).toBe(true);
    expect(registry.lookup).not.toHaveBeenCalled();
  });

  it('answers 404 when no resolver determines a tenant', async () => {
    const { guard, registry } = guardWith(() => acme, { resolvers: [new HeaderTenantResolver('x-org')] });
    expect(await answer(() => guard.canActivate(contextOf({ headers: { host: 'acme.localhost' } })))).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'No tenant could be determined for this request.' },
    });
    expect(registry.lookup).not.toHaveBeenCalled();
  });

  it('rethrows what a resolver throws other than InvalidHostError', async () => {
    const failure = new TypeError('resolver bug');
    const { guard } = guardWith(() => acme, {
      resolvers: [
        {
          resolve: () => {
            throw failure;
          },
        },
      ],
    });
    expect(() => guard.canActivate(contextOf({ headers: {} }))).toThrow(failure);
  });

  it.each([
    ['rejects', () => Promise.reject(new Error('connection refused'))],
    [
      'throws',
      () => {
        throw new Error('connection refused');
      },
    ],
  ])('answers 503 when the registry lookup %s, and warns with the cause', async (_how, lookup) => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { guard } = guardWith(lookup as TenantRegistry['lookup']);
    expect(await answer(() => guard.canActivate(contextOf({ headers: { host: 'acme.localhost' } })))).toEqual({
      status: 503,
      body: { statusCode: 503, error: 'Service Unavailable', message: 'The tenant registry is unavailable; try again shortly.' },
    });
    expect(warn).toHaveBeenCalledWith('Tenant lookup failed: connection refused');
  });

  it('warns with a thrown value that is not an Error', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { guard } = guardWith(() => Promise.reject('socket hang up'));
    expect(await answer(() => guard.canActivate(contextOf({ headers: { host: 'acme.localhost' } })))).toMatchObject({
      status: 503,
    });
    expect(warn).toHaveBeenCalledWith('Tenant lookup failed: socket hang up');
  });

  it('answers 503 with what to run when the registry is not migrated, at debug level only', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const debug = vi.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const notMigrated = RegistryNotMigratedError.inSchema('public');
    const { guard } = guardWith(() => Promise.reject(notMigrated));
    expect(await answer(() => guard.canActivate(contextOf({ headers: { host: 'acme.localhost' } })))).toEqual({
      status: 503,
      body: { statusCode: 503, error: 'Service Unavailable', message: notMigrated.message },
    });
    expect(debug).toHaveBeenCalledWith(notMigrated.message);
    expect(warn).not.toHaveBeenCalled();
  });

  describe('with sharedPaths', () => {
    const paths = { sharedPaths: ['/health', '/status/', /^\/metrics\//] };
    const through = (guard: TenantResolverGuard, url: string | undefined) =>
      guard.canActivate(contextOf({ headers: { host: 'nobody.localhost' }, url }));

    it('lets listed paths through unbound: with or without a trailing slash, a query or a fragment', async () => {
      const { guard, registry } = guardWith(() => undefined, paths);
      for (const url of ['/health', '/health/', '/health?deep=1', '/health#x', '/status', '/status/?a=/b', '/metrics/cpu']) {
        expect(through(guard, url), url).toBe(true);
      }
      expect(registry.lookup).not.toHaveBeenCalled();
    });

    it('resolves a tenant for every other path', async () => {
      const { guard, registry } = guardWith(() => undefined, paths);
      for (const url of ['/healthz', '/api/health', '/x?/health', '/metrics', undefined, '/']) {
        expect(await answer(() => through(guard, url)), String(url)).toMatchObject({ status: 404 });
      }
      expect(registry.lookup).toHaveBeenCalledTimes(6);
    });

    it('takes patterns alone (any of them), and the root path', async () => {
      const patterns = guardWith(() => undefined, { sharedPaths: [/^\/metrics\//, /^\/probes\//] }).guard;
      expect(through(patterns, '/metrics/cpu')).toBe(true);
      expect(through(patterns, '/probes/live')).toBe(true);
      expect(through(guardWith(() => undefined, { sharedPaths: ['/'] }).guard, '/')).toBe(true);
      expect(through(guardWith(() => undefined, { sharedPaths: ['/'] }).guard, '/?x')).toBe(true);
    });
  });
});
