import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Injectable,
  type NestInterceptor,
  SetMetadata,
  UseInterceptors,
  applyDecorators,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RpcException } from '@nestjs/microservices';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { TenancyService } from '../tenancy.service.js';
import { InvalidTenantInputError } from '../tenancy.errors.js';

/** Where a message carries its tenant's schema. */
export type TenantMessageSource =
  /** A field of the payload (default `{ field: 'tenant' }`). */
  | { field: string }
  /** A header of the message (NATS, RabbitMQ, Kafka, MQTT 5: the transport's context `getHeaders()`). */
  | { header: string }
  /** Anything else: read it yourself. */
  | ((data: unknown, context: unknown) => string | undefined);

const SOURCE = Symbol('nestjs-tenancy:tenant-message-source');

/**
 * Runs a microservice handler (`@MessagePattern`, `@EventPattern`) bound to the tenant its message
 * names, like a tenant request: a fresh MikroORM context bound to the tenant (suspended tenants
 * refused). A message that names no tenant runs unbound, where tenant entities fail closed; one
 * naming an unknown, invalid or suspended tenant is refused with an `RpcException` whose error is
 * `{ statusCode, error, message }` (404, 400, 403), which the caller receives.
 *
 * @example
 * \@TenantFromMessage({ header: 'x-tenant' })
 * \@MessagePattern('projects.list')
 * list() { return this.projects.list(20); }
 */
export function TenantFromMessage(source: TenantMessageSource = { field: 'tenant' }): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(SOURCE, source), UseInterceptors(TenantMessageInterceptor));
}

/** The interceptor behind {@link TenantFromMessage}. */
@Injectable()
export class TenantMessageInterceptor implements NestInterceptor {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const source =
      this.reflector.getAllAndOverride<TenantMessageSource | undefined>(SOURCE, [context.getHandler(), context.getClass()]) ??
      ({ field: 'tenant' } as const);
    const rpc = context.switchToRpc();
    const schema = tenantOfMessage(source, rpc.getData(), rpc.getContext());
    if (schema === undefined) {
      return next.handle();
    }
    return from(
      this.tenancy
        .run(schema, () => lastValueFrom(next.handle(), { defaultValue: undefined }))
        .catch((error: unknown) => {
          throw error instanceof HttpException ? new RpcException(error.getResponse() as object) : error;
        }),
    );
  }
}

function tenantOfMessage(source: TenantMessageSource, data: unknown, context: unknown): string | undefined {
  let value: unknown;
  if (typeof source === 'function') {
    value = source(data, context);
  } else if ('field' in source) {
    value = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[source.field] : undefined;
  } else {
    const headers = (context as { getHeaders?: () => unknown } | undefined)?.getHeaders?.();
    value = readHeader(headers, source.header);
  }
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new RpcException(
      new InvalidTenantInputError(
        `The message names its tenant with a ${typeof value}, not a schema name.`,
      ).getResponse() as object,
    );
  }
  return value;
}

/** A header from the transport's headers: NATS `MsgHdrs` (`get()`), or a plain object. */
function readHeader(headers: unknown, name: string): unknown {
  if (!headers || typeof headers !== 'object') {
    return undefined;
  }
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(key: string): string }).get(name) || undefined;
  }
  const value = (headers as Record<string, unknown>)[name] ?? (headers as Record<string, unknown>)[name.toLowerCase()];
  return Buffer.isBuffer(value) ? value.toString() : value;
}
