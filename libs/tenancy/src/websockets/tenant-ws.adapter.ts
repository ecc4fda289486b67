import type { IncomingMessage } from 'node:http';
import type { HttpException, INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import { type ConnectionStamp, TenantConnections, type TenantConnection } from './tenant-connections.js';

/** The parts of a `ws` WebSocket the adapter uses. */
interface TenantSocket extends ConnectionStamp {
  readyState: number;
  close(code: number, reason: string): void;
}

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
  private readonly connections: TenantConnections;

  constructor(app: INestApplicationContext, options?: ConstructorParameters<typeof WsAdapter>[1]) {
    super(app, options);
    this.connections = new TenantConnections(app);
  }

  override create(port: number, options: Parameters<WsAdapter['create']>[1] = {}): ReturnType<WsAdapter['create']> {
    const own = options.verifyClient as VerifyClient | undefined;
    const verifyClient = (info: { req: IncomingMessage }, callback: VerifyCallback): void =>
      this.connections.admit(
        info.req,
        () => {
          if (!own) {
            callback(true);
          } else if (own.length >= 2) {
            (own as (info: { req: IncomingMessage }, callback: VerifyCallback) => void)(info, callback);
          } else {
            callback((own as (info: { req: IncomingMessage }) => boolean)(info));
          }
        },
        (refusal: HttpException) =>
          callback(false, refusal.getStatus(), JSON.stringify(refusal.getResponse()), { 'Content-Type': 'application/json' }),
      );
    return super.create(port, { ...options, verifyClient });
  }

  override bindClientConnect(
    server: { on(event: string, listener: (...args: never[]) => void): void },
    callback: (...args: unknown[]) => void,
  ): void {
    server.on('connection', (client: TenantSocket, request: IncomingMessage & TenantConnection) => {
      if (!this.connections.adopt(client, request)) {
        // a server the app made itself (the `server` option): the handshake was not ours to check
        client.close(1011, 'nestjs-tenancy: this connection was not verified by TenantWsAdapter.');
        return;
      }
      this.connections.runAsConnection(client, () => callback(client, request));
    });
  }

  override bindClientDisconnect(client: TenantSocket, callback: (...args: unknown[]) => void): void {
    // the tenant as last seen (it may be suspended by now): the gateway cleans up what is its own
    super.bindClientDisconnect(client, (...args: unknown[]) => this.connections.runAsConnection(client, () => callback(...args)));
  }

  override bindMessageHandlers(
    client: TenantSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const refuse = (refusal: HttpException): void => {
      if (client.readyState === OPEN) {
        client.close(CLOSE_CODE_BASE + refusal.getStatus(), closeReason(refusal.message));
      }
    };
    const bound = handlers.map((handler) => ({
      ...handler,
      callback: (...args: unknown[]) => Promise.resolve(this.connections.handle(client, () => handler.callback(...args), refuse)),
    }));
    super.bindMessageHandlers(client, bound, transform);
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
