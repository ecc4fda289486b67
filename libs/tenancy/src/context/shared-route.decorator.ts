import { SetMetadata } from '@nestjs/common';
import { SHARED_ROUTE_METADATA } from '../tenancy.constants.js';

/**
 * Marks a route (or every route of a controller) as shared: the guard does not resolve a tenant,
 * and the handler works on the shared schema only. Tenant entities stay fail-closed there.
 *
 * @example
 * @SharedRoute() @Get('health') health() { return { status: 'ok' }; }
 */
export const SharedRoute = (): MethodDecorator & ClassDecorator => SetMetadata(SHARED_ROUTE_METADATA, true);
