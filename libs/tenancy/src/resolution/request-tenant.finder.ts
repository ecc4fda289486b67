import {
  BadRequestException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { TenantRecord } from '../context/tenant-record.js';
import { withErrorExtensions } from '../http/error-extensions.js';
import { httpErrorName } from '../http/http-error-name.js';
import { TenantRegistry } from '../registry/tenant.registry.js';
import { InvalidHostError, RegistryNotMigratedError, TenantNotFoundError } from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { HostTenantResolver } from './host-tenant.resolver.js';
import type { TenancyRequest, TenantLookup, TenantResolver } from './tenant.resolver.js';

/**
 * Decides which tenant a request (an HTTP request, a GraphQL operation's request, a WebSocket
 * handshake) is for, with the configured resolvers and the registry's cache, and refuses it the same
 * way on every transport: `HttpException`s (400 malformed host, 404 unknown host, 403 — or
 * `suspendedStatus` — suspended tenant, 503 registry unavailable) that also carry GraphQL
 * `extensions`. On a cache hit it decides synchronously.
 */
@Injectable()
export class RequestTenantFinder {
  private readonly logger = new Logger(RequestTenantFinder.name);
  private readonly resolvers: TenantResolver[];
  private readonly sharedPaths: Set<string>;
  private readonly sharedPathPatterns: RegExp[];

  constructor(
    private readonly registry: TenantRegistry,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {
    this.resolvers = options.resolvers ?? [new HostTenantResolver(options.trustProxy)];
    this.sharedPaths = new Set(options.sharedPaths.filter((path) => typeof path === 'string').map(withoutTrailingSlash));
    this.sharedPathPatterns = options.sharedPaths.filter((path) => path instanceof RegExp);
  }

  /** Whether the request's path is one of the `sharedPaths` option's (not a tenant route). */
  isSharedPath(request: TenancyRequest): boolean {
    if (this.sharedPaths.size === 0 && this.sharedPathPatterns.length === 0) {
      return false;
    }
    const url = request.url ?? '';
    const end = url.search(/[?#]/);
    const path = end === -1 ? url : url.slice(0, end);
    return this.sharedPaths.has(withoutTrailingSlash(path)) || this.sharedPathPatterns.some((pattern) => pattern.test(path));
  }

  /**
   * What the first resolver that knows found in the request (the module's resolvers, or a route's
   * from `@ResolveTenantWith()`); 400 for a malformed host, 404 when none knows.
   */
  lookupOf(request: TenancyRequest, resolvers: TenantResolver[] = this.resolvers): TenantLookup {
    try {
      for (const resolver of resolvers) {
        const lookup = resolver.resolve(request);
        if (lookup) {
          return lookup;
        }
      }
    } catch (error) {
      if (error instanceof InvalidHostError) {
        throw withErrorExtensions(new BadRequestException(error.message));
      }
      throw error;
    }
    throw withErrorExtensions(new NotFoundException('No tenant could be determined for this request.'));
  }

  /** The active tenant of a lookup, or the refusal (404, 403, 503) thrown or rejected. */
  find(lookup: TenantLookup): TenantRecord | Promise<TenantRecord> {
    let found: TenantRecord | undefined | Promise<TenantRecord | undefined>;
    try {
      found = this.registry.lookup(lookup);
    } catch (error) {
      throw this.unavailable(error);
    }
    if (found instanceof Promise) {
      return found.then(
        (tenant) => this.servable(lookup, tenant),
        (error: unknown) => {
          throw this.unavailable(error);
        },
      );
    }
    return this.servable(lookup, found);
  }

  private servable(lookup: TenantLookup, tenant: TenantRecord | undefined): TenantRecord {
    if (!tenant || tenant.status === 'provisioning') {
      throw withErrorExtensions(
        new NotFoundException(
          'host' in lookup
            ? `No tenant is served at host "${lookup.host}".`
            : TenantNotFoundError.forSchema(lookup.schema).message,
        ),
      );
    }
    if (tenant.status !== 'active') {
      const status = this.options.suspendedStatus;
      const reason = tenant.suspension?.reason ?? null;
      throw withErrorExtensions(
        new HttpException(
          {
            statusCode: status,
            error: httpErrorName(status),
            message: `Tenant "${tenant.schema}" is suspended${reason ? `: ${reason}` : ''}.`,
            reason,
            suspendedAt: tenant.suspension?.since.toISOString() ?? null,
          },
          status,
        ),
      );
    }
    return tenant;
  }

  private unavailable(error: unknown): HttpException {
    if (error instanceof RegistryNotMigratedError) {
      // said once at boot (TenantRegistry); the answer says it to every caller
      this.logger.debug(error.message);
      return withErrorExtensions(new ServiceUnavailableException(error.message));
    }
    this.logger.warn(`Tenant lookup failed: ${error instanceof Error ? error.message : String(error)}`);
    return withErrorExtensions(new ServiceUnavailableException('The tenant registry is unavailable; try again shortly.'));
  }
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
