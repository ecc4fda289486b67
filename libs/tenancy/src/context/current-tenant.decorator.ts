import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { tenantCarrier } from './tenant-carrier.js';
import type { TenantRecord } from './tenant-record.js';

/** Property of the HTTP request object where the guard leaves the resolved tenant. */
export const TENANT_REQUEST_KEY: unique symbol = Symbol.for('nestjs-tenancy:tenant');

/** A request the guard may have annotated with its tenant. */
export interface TenantAwareRequest {
  [TENANT_REQUEST_KEY]?: TenantRecord;
}

/**
 * Injects the tenant resolved for this request (`undefined` on a `@SharedRoute()`): in controllers,
 * GraphQL resolvers (field resolvers too) and WebSocket gateways served through `TenantWsAdapter`.
 *
 * @example
 * @Get('whoami') whoami(@CurrentTenant() tenant: TenantRecord) { return { tenant }; }
 */
export const CurrentTenant = createParamDecorator(
  (_data: unknown, context: ExecutionContext): TenantRecord | undefined => tenantCarrier(context)?.[TENANT_REQUEST_KEY],
);
