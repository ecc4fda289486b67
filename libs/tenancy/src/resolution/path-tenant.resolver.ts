import type { TenancyRequest, TenantLookup, TenantResolver } from './tenant.resolver.js';

/** Where the rewrite leaves the schema it took from the path, on the Node request. */
const PATH_TENANT = Symbol.for('nestjs-tenancy:path-tenant');

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

type NodeRequest = { url?: string; [PATH_TENANT]?: string };

/**
 * The URL rewrite of path routing (django-tenants' subfolder mode): `/t/acme/projects?x=1` is
 * routed as `/projects?x=1`, and the schema `acme` is kept on the request for
 * {@link PathTenantResolver}. Nest's routes stay the same for every tenant. A path that does not
 * start with the prefix is left as it is.
 *
 * - Fastify: `new FastifyAdapter({ rewriteUrl: tenantPathRewrite() })` (Fastify rewrites before routing).
 * - Express: `app.use(tenantPathMiddleware())` before `app.init()` (middleware runs before the routes).
 */
export function tenantPathRewrite(prefix = '/t/'): (request: NodeRequest) => string {
  const normalized = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return (request) => {
    const url = request.url ?? '/';
    if (!url.startsWith(normalized)) {
      return url;
    }
    const rest = url.slice(normalized.length);
    const end = rest.search(/[/?#]/);
    const segment = end === -1 ? rest : rest.slice(0, end);
    if (!SCHEMA.test(segment)) {
      return url; // not a schema name: routed as it is (an unknown route answers 404)
    }
    request[PATH_TENANT] = segment;
    const tail = end === -1 ? '' : rest.slice(end);
    return tail.startsWith('/') ? tail : `/${tail}`;
  };
}

/** {@link tenantPathRewrite} as Express middleware. */
export function tenantPathMiddleware(prefix = '/t/'): (request: NodeRequest, response: unknown, next: () => void) => void {
  const rewrite = tenantPathRewrite(prefix);
  return (request, _response, next) => {
    request.url = rewrite(request);
    next();
  };
}

/**
 * Resolves the schema that {@link tenantPathRewrite} took from the path (`/t/{schema}/…`). A
 * request without that prefix is left to the next resolver.
 *
 * @example
 * TenancyModule.forRoot({ resolvers: [new PathTenantResolver(), new HostTenantResolver()], migrations })
 */
export class PathTenantResolver implements TenantResolver {
  resolve(request: TenancyRequest): TenantLookup | undefined {
    const node = ((request as { raw?: NodeRequest }).raw ?? request) as NodeRequest;
    const schema = node[PATH_TENANT];
    return schema === undefined ? undefined : { schema };
  }
}
