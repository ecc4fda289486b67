import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TENANT_REQUEST_KEY } from '../context/current-tenant.decorator.js';
import { graphqlRequest, type TenantCarrier } from '../context/tenant-carrier.js';
import { TenantContext } from '../context/tenant-context.js';
import type { TenantRecord } from '../context/tenant-record.js';
import { SHARED_ROUTE_METADATA } from '../tenancy.constants.js';
import { TenancyConfigError } from '../tenancy.errors.js';
import { RequestTenantFinder } from './request-tenant.finder.js';
import type { TenantResolver } from './tenant.resolver.js';

/**
 * The global guard that maps each HTTP request — and each GraphQL operation, through the HTTP
 * request that carries it — to its tenant and binds it: the request's EntityManager fork gets the
 * tenant's schema, and `@CurrentTenant()` / `TenancyService.current()` return it. Routes and
 * resolvers marked `@SharedRoute()`, and the paths of the `sharedPaths` option, are let through
 * unbound. Answers 400 for a malformed host, 404 for an unknown one, 403 (configurable) for a
 * suspended tenant, 503 when the registry cannot be read (or does not exist yet); in GraphQL the
 * same errors carry `extensions: { code, statusCode }`. On a cache hit it decides synchronously.
 * WebSocket gateways are bound by `TenantWsAdapter` (`nestjs-tenancy/websockets`), not here.
 */
@Injectable()
export class TenantResolverGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly finder: RequestTenantFinder,
    private readonly context: TenantContext,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const type = context.getType<string>();
    if (type !== 'http' && type !== 'graphql') {
      return true;
    }
    // one read for both route decorators: @SharedRoute() (true) or @ResolveTenantWith() ({ resolvers })
    const route = this.reflector.getAllAndOverride<true | { resolvers: TenantResolver[] } | undefined>(SHARED_ROUTE_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (route === true) {
      return true;
    }
    const request = type === 'http' ? context.switchToHttp().getRequest<TenantCarrier>() : graphqlRequest(context);
    if (!request) {
      throw new TenancyConfigError(
        'This GraphQL operation has no HTTP request in its context (a subscription?), so no tenant can be resolved for it: ' +
          'mark its resolver @SharedRoute(), or bind a tenant with TenancyService.run() inside it.',
      );
    }
    if (this.finder.isSharedPath(request)) {
      return true;
    }
    const found = this.finder.find(this.finder.lookupOf(request, route?.resolvers));
    if (found instanceof Promise) {
      return found.then((tenant) => this.bind(request, tenant));
    }
    return this.bind(request, found);
  }

  private bind(request: TenantCarrier, tenant: TenantRecord): boolean {
    this.context.bind(tenant);
    request[TENANT_REQUEST_KEY] = tenant;
    return true;
  }
}
