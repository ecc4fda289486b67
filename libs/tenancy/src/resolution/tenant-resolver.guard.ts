import {
  BadRequestException,
  type CanActivate,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TENANT_REQUEST_KEY, type TenantAwareRequest } from '../context/current-tenant.decorator.js';
import { TenantContext } from '../context/tenant-context.js';
import type { TenantRecord } from '../context/tenant-record.js';
import { httpErrorName } from '../http/http-error-name.js';
import { SHARED_ROUTE_METADATA } from '../tenancy.constants.js';
import { InvalidHostError, RegistryNotMigratedError, TenantNotFoundError } from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { HostTenantResolver } from './host-tenant.resolver.js';
import { TenantRegistry } from '../registry/tenant.registry.js';
import type { TenancyRequest, TenantLookup, TenantResolver } from './tenant.resolver.js';

/**
 * The global guard that maps each HTTP request to its tenant and binds it: the request's
 * EntityManager fork gets the tenant's schema, and `@CurrentTenant()` / `TenancyService.current()`
 * return it. Routes marked `@SharedRoute()`, and the paths of the `sharedPaths` option, are let
 * through unbound. Answers 400 for a malformed host, 404 for an unknown one, 403 (configurable)
 * for a suspended tenant, 503 when the registry cannot be read (or does not exist yet). On a cache
 * hit it decides synchronously.
 */
@Injectable()
export class TenantResolverGuard implements CanActivate {
  private readonly logger = new Logger(TenantResolverGuard.name);
  private readonly resolvers: TenantResolver[];
  private readonly sharedPaths: Set<string>;
  private readonly sharedPathPatterns: RegExp[];

  constructor(
    private readonly reflector: Reflector,
    private readonly registry: TenantRegistry,
    private readonly context: TenantContext,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {
    this.resolvers = options.resolvers ?? [new HostTenantResolver(options.trustProxy)];
    this.sharedPaths = new Set(options.sharedPaths.filter((path) => typeof path === 'string').map(withoutTrailingSlash));
    this.sharedPathPatterns = options.sharedPaths.filter((path) => path instanceof RegExp);
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') {
      return true;
    }
    if (this.reflector.getAllAndOverride<boolean>(SHARED_ROUTE_METADATA, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const request = context.switchToHttp().getRequest<TenancyRequest & TenantAwareRequest>();
    if (this.isSharedPath(request)) {
      return true;
    }
    const lookup = this.resolve(request);
    let found: TenantRecord | undefined | Promise<TenantRecord | undefined>;
    try {
      found = this.registry.lookup(lookup);
    } catch (error) {
      throw this.unavailable(error);
    }
    if (found instanceof Promise) {
      return found.then(
        (tenant) => this.bind(request, lookup, tenant),
        (error: unknown) => {
          throw this.unavailable(error);
        },
      );
    }
    return this.bind(request, lookup, found);
  }

  private isSharedPath(request: TenancyRequest): boolean {
    if (this.sharedPaths.size === 0 && this.sharedPathPatterns.length === 0) {
      return false;
    }
    const url = request.url ?? '';
    const end = url.search(/[?#]/);
    const path = end === -1 ? url : url.slice(0, end);
    return this.sharedPaths.has(withoutTrailingSlash(path)) || this.sharedPathPatterns.some((pattern) => pattern.test(path));
  }

  private resolve(request: TenancyRequest): TenantLookup {
    try {
      for (const resolver of this.resolvers) {
        const lookup = resolver.resolve(request);
        if (lookup) {
          return lookup;
        }
      }
    } catch (error) {
      if (error instanceof InvalidHostError) {
        throw new BadRequestException(error.message);
      }
      throw error;
    }
    throw new NotFoundException('No tenant could be determined for this request.');
  }

  private bind(request: TenantAwareRequest, lookup: TenantLookup, tenant: TenantRecord | undefined): boolean {
    if (!tenant || tenant.status === 'provisioning') {
      throw new NotFoundException(
        'host' in lookup ? `No tenant is served at host "${lookup.host}".` : TenantNotFoundError.forSchema(lookup.schema).message,
      );
    }
    if (tenant.status !== 'active') {
      const status = this.options.suspendedStatus;
      const reason = tenant.suspension?.reason ?? null;
      throw new HttpException(
        {
          statusCode: status,
          error: httpErrorName(status),
          message: `Tenant "${tenant.schema}" is suspended${reason ? `: ${reason}` : ''}.`,
          reason,
          suspendedAt: tenant.suspension?.since.toISOString() ?? null,
        },
        status,
      );
    }
    this.context.bind(tenant);
    request[TENANT_REQUEST_KEY] = tenant;
    return true;
  }

  private unavailable(error: unknown): HttpException {
    if (error instanceof RegistryNotMigratedError) {
      // said once at boot (TenantRegistry); the answer says it to every caller
      this.logger.debug(error.message);
      return new ServiceUnavailableException(error.message);
    }
    this.logger.warn(`Tenant lookup failed: ${error instanceof Error ? error.message : String(error)}`);
    return new ServiceUnavailableException('The tenant registry is unavailable; try again shortly.');
  }
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
