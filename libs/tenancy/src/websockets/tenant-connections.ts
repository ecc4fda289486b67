import type { IncomingMessage } from 'node:http';
import { MikroORM, RequestContext } from '@mikro-orm/core';
import { HttpException, type INestApplicationContext, Logger } from '@nestjs/common';
import { TENANT_REQUEST_KEY, type TenantAwareRequest } from '../context/current-tenant.decorator.js';
import type { TenantCarrier } from '../context/tenant-carrier.js';
import { TenantContext } from '../context/tenant-context.js';
import type { TenantRecord } from '../context/tenant-record.js';
import { RequestTenantFinder } from '../resolution/request-tenant.finder.js';
import type { TenantLookup } from '../resolution/tenant.resolver.js';

/** What the handshake decided for a connection: the tenant's lookup (re-checked per message), or shared. */
export const CONNECTION_TENANCY: unique symbol = Symbol('nestjs-tenancy:ws-connection');

export type ConnectionTenancy = { shared: true } | { shared: false; lookup: TenantLookup; tenant: TenantRecord };

/** A client socket (or its handshake request), stamped with what the handshake decided. */
export type ConnectionStamp = TenantAwareRequest & { [CONNECTION_TENANCY]?: ConnectionTenancy };

/** A handshake request, stamped with what it decided. */
export type TenantConnection = TenantCarrier & ConnectionStamp;

/**
 * What the WebSocket adapters share: the handshake's decision (the same resolvers, cache and
 * refusals as the HTTP guard), the per-message re-check, and running handlers in a MikroORM context
 * of their own bound to the connection's tenant.
 */
export class TenantConnections {
  private readonly logger = new Logger('TenantConnections');
  private readonly finder: RequestTenantFinder;
  private readonly tenantContext: TenantContext;
  private readonly orm: MikroORM;

  constructor(app: INestApplicationContext) {
    this.finder = app.get(RequestTenantFinder);
    this.tenantContext = app.get(TenantContext);
    this.orm = app.get(MikroORM);
  }

  /**
   * Decides a handshake: stamps the request and calls `accept`, or calls `refuse` with the
   * `HttpException` (400, 404, 403, 503) a route would have answered.
   */
  admit(request: IncomingMessage & TenantConnection, accept: () => void, refuse: (refusal: HttpException) => void): void {
    if (this.finder.isSharedPath(request)) {
      request[CONNECTION_TENANCY] = { shared: true };
      accept();
      return;
    }
    const admitted = (lookup: TenantLookup, tenant: TenantRecord): void => {
      request[CONNECTION_TENANCY] = { shared: false, lookup, tenant };
      request[TENANT_REQUEST_KEY] = tenant;
      accept();
    };
    const refused = (error: unknown): void => refuse(this.asRefusal(error));
    let lookup: TenantLookup;
    let found: TenantRecord | Promise<TenantRecord>;
    try {
      lookup = this.finder.lookupOf(request);
      found = this.finder.find(lookup);
    } catch (error) {
      refused(error);
      return;
    }
    if (found instanceof Promise) {
      found.then((tenant) => admitted(lookup, tenant), refused);
    } else {
      admitted(lookup, found);
    }
  }

  /** Copies the handshake's decision onto the client socket; `false` when the handshake was not ours. */
  adopt(client: ConnectionStamp, request: ConnectionStamp): boolean {
    const tenancy = request[CONNECTION_TENANCY];
    if (!tenancy) {
      return false;
    }
    client[CONNECTION_TENANCY] = tenancy;
    client[TENANT_REQUEST_KEY] = request[TENANT_REQUEST_KEY];
    return true;
  }

  /**
   * Runs a message handler: the connection's tenant is read again (cache), then the handler runs
   * in a fresh context bound to it; a tenant no longer servable goes to `refuse` instead.
   */
  handle<T>(client: ConnectionStamp, handle: () => T, refuse: (refusal: HttpException) => void): T | Promise<T | undefined> {
    const tenancy = client[CONNECTION_TENANCY];
    if (!tenancy || tenancy.shared) {
      return this.runAs(undefined, handle);
    }
    const refused = (error: unknown): undefined => {
      refuse(this.asRefusal(error));
      return undefined;
    };
    let found: TenantRecord | Promise<TenantRecord>;
    try {
      found = this.finder.find(tenancy.lookup);
    } catch (error) {
      return Promise.resolve(refused(error));
    }
    const run = (tenant: TenantRecord): T => {
      tenancy.tenant = tenant;
      client[TENANT_REQUEST_KEY] = tenant;
      return this.runAs(tenant, handle);
    };
    return found instanceof Promise ? found.then(run, refused) : run(found);
  }

  /** Runs `fn` in a MikroORM context of its own, bound to the connection's tenant as last seen (connect, disconnect). */
  runAsConnection<T>(client: ConnectionStamp, fn: () => T): T {
    const tenancy = client[CONNECTION_TENANCY];
    return this.runAs(tenancy && !tenancy.shared ? tenancy.tenant : undefined, fn);
  }

  private runAs<T>(tenant: TenantRecord | undefined, fn: () => T): T {
    return RequestContext.create(this.orm.em, () => {
      if (tenant) {
        this.tenantContext.bind(tenant);
      }
      return fn();
    });
  }

  private asRefusal(error: unknown): HttpException {
    if (error instanceof HttpException) {
      return error;
    }
    this.logger.error(error);
    return new HttpException({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' }, 500);
  }
}
