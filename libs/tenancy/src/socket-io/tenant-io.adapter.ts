import type { IncomingMessage } from 'node:http';
import type { HttpException, INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import { errorExtensions, type TenancyErrorExtensions } from '../http/error-extensions.js';
import { type ConnectionStamp, TenantConnections, type TenantConnection } from '../websockets/tenant-connections.js';

type IoServer = ReturnType<IoAdapter['create']>;
type IoSocket = Parameters<IoAdapter['bindMessageHandlers']>[0];
type TenantIoSocket = IoSocket & ConnectionStamp;

/** What a refused client receives: the `data` of its `connect_error`, and of the `exception` event before a disconnect. */
export interface TenantIoRefusal extends TenancyErrorExtensions {
  readonly message: string;
}

/**
 * `@nestjs/platform-socket.io`'s `IoAdapter` with the tenant of each connection bound for its
 * gateways, like `TenantWsAdapter` for `ws`:
 *
 * - **Handshake** (a socket.io middleware of every namespace a gateway opens): the tenant is
 *   resolved from the handshake request with the app's resolvers (Host by default). A refused
 *   connection gets `connect_error` whose `message` says why and whose `data` is
 *   `{ code, statusCode, message }` (400, 404, 403 — `suspendedStatus` — or 503).
 *   `sharedPaths` apply to the server's `path` (`/socket.io` by default).
 * - **Each event handler** (and `handleConnection` / `handleDisconnect`) runs in a MikroORM context
 *   of its own bound to the connection's tenant. Before each event the tenant is read again from
 *   the cache: a tenant suspended or deleted since gets an `exception` event with the same `data`
 *   and is disconnected.
 *
 * @example
 * app.useWebSocketAdapter(new TenantIoAdapter(app));
 */
export class TenantIoAdapter extends IoAdapter {
  private readonly connections: TenantConnections;

  constructor(app: INestApplicationContext) {
    super(app);
    this.connections = new TenantConnections(app);
  }

  override create(port: number, options?: Parameters<IoAdapter['create']>[1]): IoServer {
    const server = super.create(port, options);
    server.use((socket, next) => {
      const request = socket.request as IncomingMessage & TenantConnection;
      this.connections.admit(
        request,
        () => {
          this.connections.adopt(socket as TenantIoSocket, request);
          next();
        },
        (refusal) => next(Object.assign(new Error(refusal.message), { data: refusalOf(refusal) })),
      );
    });
    return server;
  }

  override bindClientConnect(server: IoServer, callback: (...args: unknown[]) => void): void {
    server.on('connection', (socket: TenantIoSocket) => this.connections.runAsConnection(socket, () => callback(socket)));
  }

  override bindClientDisconnect(client: TenantIoSocket, callback: (...args: unknown[]) => void): void {
    super.bindClientDisconnect(client, (...args: unknown[]) => this.connections.runAsConnection(client, () => callback(...args)));
  }

  override bindMessageHandlers(
    socket: TenantIoSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const refuse = (refusal: HttpException): void => {
      if (socket.connected) {
        socket.emit('exception', refusalOf(refusal));
        socket.disconnect(true);
      }
    };
    const bound = handlers.map((handler) => ({
      ...handler,
      callback: (...args: unknown[]) => Promise.resolve(this.connections.handle(socket, () => handler.callback(...args), refuse)),
    }));
    super.bindMessageHandlers(socket, bound, transform);
  }
}

function refusalOf(refusal: HttpException): TenantIoRefusal {
  return { ...errorExtensions(refusal.getStatus()), message: refusal.message };
}
