import type { IncomingMessage } from 'node:http';
import { MikroORM, RequestContext } from '@mikro-orm/core';
import { HttpException, type INestApplicationContext, Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import { TENANT_REQUEST_KEY } from '../context/current-tenant.decorator.js';
import type { TenantCarrier } from '../context/tenant-carrier.js';
import { TenantContext } from '../context/tenant-context.js';
import type { TenantRecord } from '../context/tenant-record.js';
import { RequestTenantFinder } from '../resolution/request-tenant.finder.js';
import type { TenantLookup } from '../resolution/tenant.resolver.js';

/** What the handshake decided for a connection: the tenant's lookup (re-checked per message), or shared. */
const CONNECTION_TENANCY: unique symbol = Symbol('nestjs-tenancy:ws-connection');

type ConnectionTenancy = { shared: true } | { shared: false; lookup: TenantLookup; tenant: TenantRecord };

type Stamped = TenantCarrier & { [CONNECTION_TENANCY]?: ConnectionTenancy };

/** The parts of a `ws` WebSocket the adapter uses. */
interface TenantSocket extends Stamped {
  readyState: number;
  close(code: number, reason: string): void;
}

type HandlerResult = ReturnType<MessageMappingProperties['callback']>;

type VerifyCallback = (verified: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;
type VerifyClient =
  ((info: { req: IncomingMessage }) => boolean) | ((info: { req: IncomingMessage }, callback: VerifyCallback) => void);

/** Close codes of refused messages: 4000 + the HTTP status the same refusal answers (4403, 4404, 4503). */
const CLOSE_CODE_BASE = 4000;
/** A WebSocket close reason is at most 123 bytes. */
const MAX_REASON_BYTES = 123;
const OPEN = 1;

/**
 * `@nestjs/platform-ws`'s `WsAdapter` with the tenant of each connection bound for its gateways.
 *
 * - **Handshake**: the tenant is resolved from the upgrade request with the app's resolvers (Host by
 *   default) and the registry's cache. A malformed, unknown or suspended host, or an unreadable
 *   registry, refuses the connection: the HTTP upgrade is answered 400, 404, 403 (`suspendedStatus`)
 *   or 503 with the same JSON body as an HTTP route, and no WebSocket is opened. Paths in the
 *   `sharedPaths` option are shared: accepted on any host, handled unbound.
 * - **Each message** (and `handleConnection` / `handleDisconnect`) runs in a MikroORM context of its
 *   own (a fresh identity map) bound to the connection's tenant, so gateways inject `EntityManager`,
 *   `TenancyService` and `@CurrentTenant()` as controllers do. Before each message the tenant is read
 *   again from the registry's cache (synchronous on a hit): a tenant suspended or deleted since the
 *   handshake has the message refused and the connection closed with code 4000 + status (4403,
 *   4404, 4503) and the reason as text.
 *
 * @example
 * const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter());
 * app.useWebSocketAdapter(new TenantWsAdapter(app));
 */
export class TenantWsAdapter extends WsAdapter {
  private readonly tenantLogger = new Logger(TenantWsAdapter.name);
  private readonly finder: RequestTenantFinder;
  private readonly tenantContext: TenantContext;
  private readonly orm: MikroORM;

  constructor(app: INestApplicationContext, options?: ConstructorParameters<typeof WsAdapter>[1]) {
    super(app, options);
    this.finder = app.get(RequestTenantFinder);
    this.tenantContext = app.get(TenantContext);
    this.orm = app.get(MikroORM);
  }

  override create(port: number, options: Parameters<WsAdapter['create']>[1] = {}): ReturnType<WsAdapter['create']> {
    const own = options.verifyClient as VerifyClient | undefined;
    const verifyClient = (info: { req: IncomingMessage }, callback: VerifyCallback): void =>
      this.verify(info.req as IncomingMessage & Stamped, (verified, ...refusal) => {
        if (!verified || !own) {
          callback(verified, ...refusal);
        } else if (own.length >= 2) {
          (own as (info: { req: IncomingMessage }, callback: VerifyCallback) => void)(info, callback);
        } else {
          callback((own as (info: { req: IncomingMessage }) => boolean)(info));
        }
      });
    return super.create(port, { ...options, verifyClient });
  }

  override bindClientConnect(
    server: { on(event: string, listener: (...args: never[]) => void): void },
    callback: (...args: unknown[]) => void,
  ): void {
    server.on('connection', (client: TenantSocket, request: IncomingMessage & Stamped) => {
      const tenancy = request[CONNECTION_TENANCY];
      if (!tenancy) {
        // a server the app made itself (the `server` option): the handshake was not ours to check
        client.close(1011, 'nestjs-tenancy: this connection was not verified by TenantWsAdapter.');
        return;
      }
      client[CONNECTION_TENANCY] = tenancy;
      client[TENANT_REQUEST_KEY] = request[TENANT_REQUEST_KEY];
      this.runAs(tenancy.shared ? undefined : tenancy.tenant, () => callback(client, request));
    });
  }

  override bindClientDisconnect(client: TenantSocket, callback: (...args: unknown[]) => void): void {
    super.bindClientDisconnect(client, (...args: unknown[]) => {
      const tenancy = client[CONNECTION_TENANCY];
      // the tenant as last seen (it may be suspended by now): the gateway cleans up what is its own
      this.runAs(tenancy && !tenancy.shared ? tenancy.tenant : undefined, () => callback(...args));
    });
  }

  override bindMessageHandlers(
    client: TenantSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const bound = handlers.map((handler) => ({
      ...handler,
      callback: (...args: unknown[]) => this.handleAsTenant(client, () => handler.callback(...args)),
    }));
    super.bindMessageHandlers(client, bound, transform);
  }

  /** Re-reads the connection's tenant (cache), then runs the handler in a fresh context bound to it. */
  private handleAsTenant(client: TenantSocket, handle: () => HandlerResult): HandlerResult {
    const tenancy = client[CONNECTION_TENANCY];
    if (!tenancy || tenancy.shared) {
      return this.runAs(undefined, handle);
    }
    let found: TenantRecord | Promise<TenantRecord>;
    try {
      found = this.finder.find(tenancy.lookup);
    } catch (error) {
      return Promise.resolve(this.refuse(client, error));
    }
    const run = (tenant: TenantRecord): HandlerResult => {
      tenancy.tenant = tenant;
      client[TENANT_REQUEST_KEY] = tenant;
      return this.runAs(tenant, handle);
    };
    return found instanceof Promise ? found.then(run, (error: unknown) => this.refuse(client, error)) : run(found);
  }

  private runAs<T>(tenant: TenantRecord | undefined, fn: () => T): T {
    return RequestContext.create(this.orm.em, () => {
      if (tenant) {
        this.tenantContext.bind(tenant);
      }
      return fn();
    });
  }

  private verify(request: IncomingMessage & Stamped, callback: VerifyCallback): void {
    if (this.finder.isSharedPath(request)) {
      request[CONNECTION_TENANCY] = { shared: true };
      callback(true);
      return;
    }
    let lookup: TenantLookup;
    let found: TenantRecord | Promise<TenantRecord>;
    try {
      lookup = this.finder.lookupOf(request);
      found = this.finder.find(lookup);
    } catch (error) {
      this.refuseHandshake(error, callback);
      return;
    }
    const accept = (tenant: TenantRecord): void => {
      request[CONNECTION_TENANCY] = { shared: false, lookup, tenant };
      request[TENANT_REQUEST_KEY] = tenant;
      callback(true);
    };
    if (found instanceof Promise) {
      found.then(accept, (error: unknown) => this.refuseHandshake(error, callback));
    } else {
      accept(found);
    }
  }

  private refuseHandshake(error: unknown, callback: VerifyCallback): void {
    if (!(error instanceof HttpException)) {
      this.tenantLogger.error(error);
      callback(false, 500);
      return;
    }
    callback(false, error.getStatus(), JSON.stringify(error.getResponse()), { 'Content-Type': 'application/json' });
  }

  private refuse(client: TenantSocket, error: unknown): undefined {
    if (!(error instanceof HttpException)) {
      this.tenantLogger.error(error);
    }
    if (client.readyState === OPEN) {
      const status = error instanceof HttpException ? error.getStatus() : 500;
      client.close(CLOSE_CODE_BASE + status, closeReason(error instanceof HttpException ? error.message : 'Internal error'));
    }
    return undefined;
  }
}

/** The reason cut to the 123 bytes a close frame allows, on a character boundary. */
function closeReason(reason: string): string {
  let text = reason;
  while (Buffer.byteLength(text) > MAX_REASON_BYTES) {
    text = text.slice(0, -2) + '…';
  }
  return text;
}
