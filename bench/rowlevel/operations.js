/**
 * The three operations of issue 11, as requests for each kind of app. `ids` maps a tenant schema
 * to the row-level ids of its seeded projects (tenant schemas number theirs 1..rows).
 */
export const OPERATIONS = ['list', 'get', 'create'];

const BODY = JSON.stringify({ name: 'Bench project', description: 'Created by the benchmark' });

/**
 * `request(i)` for the i-th request of `operation` on an app of `kind` ('schema' for the tenant
 * app and the hand-rolled one, 'rowlevel'), the Host rotating over `tenants` ({ schema, host }).
 * The i-th request of every app asks for the same tenant's same row.
 */
export function requestMaker({ operation, kind, tenants, rows, ids }) {
  const listUrl = `/projects?limit=${rows}`;
  return (i) => {
    const tenant = tenants[i % tenants.length];
    if (operation === 'list') {
      return { method: 'GET', url: listUrl, host: tenant.host };
    }
    if (operation === 'get') {
      const k = Math.floor(i / tenants.length) % rows;
      const id = kind === 'rowlevel' ? ids.get(tenant.schema)[k] : k + 1;
      return { method: 'GET', url: `/projects/${id}`, host: tenant.host };
    }
    return { method: 'POST', url: '/projects', host: tenant.host, body: BODY };
  };
}
