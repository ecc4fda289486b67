import type { ExecutionContext } from '@nestjs/common';
import type { TenancyRequest } from '../resolution/tenant.resolver.js';
import type { TenantAwareRequest } from './current-tenant.decorator.js';

/** A request-like object the tenant is read from and remembered on. */
export type TenantCarrier = TenancyRequest & TenantAwareRequest;

/**
 * The HTTP request behind a GraphQL operation, read from the GraphQL context (the third resolver
 * argument) without loading `@nestjs/graphql`: Nest's drivers put it in `req` (Apollo, and mercurius
 * through `@nestjs/mercurius`); mercurius itself gives `reply.request`. `undefined` when there is
 * none (a subscription over WebSocket).
 */
export function graphqlRequest(context: ExecutionContext): TenantCarrier | undefined {
  const graphqlContext = context.getArgByIndex<{ req?: unknown; reply?: { request?: unknown } } | undefined>(2);
  const request = graphqlContext?.req ?? graphqlContext?.reply?.request;
  return isRequest(request) ? request : undefined;
}

/**
 * Where the tenant of an execution context is remembered: the HTTP request (controllers and
 * GraphQL resolvers) or the WebSocket client (gateways, stamped by `TenantWsAdapter`).
 */
export function tenantCarrier(context: ExecutionContext): TenantAwareRequest | undefined {
  switch (context.getType<string>()) {
    case 'http':
      return context.switchToHttp().getRequest<TenantCarrier>();
    case 'graphql':
      return graphqlRequest(context);
    case 'ws':
      return context.switchToWs().getClient<TenantAwareRequest>();
    default:
      return undefined;
  }
}

function isRequest(value: unknown): value is TenantCarrier {
  return typeof value === 'object' && value !== null && typeof (value as { headers?: unknown }).headers === 'object';
}
