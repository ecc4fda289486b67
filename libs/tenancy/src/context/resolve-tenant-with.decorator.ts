import { SetMetadata } from '@nestjs/common';
import type { TenantResolver } from '../resolution/tenant.resolver.js';
import { SHARED_ROUTE_METADATA } from '../tenancy.constants.js';

/**
 * Resolves the tenant of a route (or of every route of a controller) with these resolvers, tried
 * in order, instead of the module's `resolvers`: for an internal API that names its tenant in a
 * header, a webhook under a path prefix …. The method's decorator wins over its controller's;
 * `@SharedRoute()` and this decorator replace each other the same way.
 *
 * @example
 * \@ResolveTenantWith(new HeaderTenantResolver('x-tenant'))
 * \@Controller('internal') export class InternalController {}
 */
export const ResolveTenantWith = (...resolvers: TenantResolver[]): MethodDecorator & ClassDecorator =>
  SetMetadata(SHARED_ROUTE_METADATA, { resolvers });
