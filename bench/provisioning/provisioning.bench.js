import { performance } from 'node:perf_hooks';
import { durations } from '../support/statistics.js';

/**
 * Time of `TenancyService.createTenant` (registry row, domain, schema, tables, migration rows, one
 * transaction) with `present` tenant schemas already in the database, alternating sample by
 * sample with the same call on a reference database that keeps only a few tenants, so that the
 * ratio says what the schema count costs whatever the machine's drift. Each sample tenant is
 * deleted (schema dropped) right after, untimed, so the counts stay put. One extra creation
 * records how long each SQL statement took, to show where the time goes.
 */
export async function measureProvisioning({ app, referenceApp, dist, present, referencePresent, samples, log }) {
  const sides = { main: app, reference: referenceApp };
  const name = (side, i) => `prov_${side === 'main' ? 'm' : 'r'}${present}_${i}`;
  const tenancy = (side) => sides[side].get(dist.tenancy.TenancyService);
  const createOnly = async (side, schema) => {
    const started = performance.now();
    await tenancy(side).createTenant({
      schema,
      name: `Provisioning ${schema}`,
      domains: [`${schema.replaceAll('_', '-')}.prov.localhost`],
    });
    return performance.now() - started;
  };
  const remove = (side, schema) => tenancy(side).deleteTenant(schema, { dropSchema: true });
  const create = async (side, schema) => {
    const elapsed = await createOnly(side, schema);
    await remove(side, schema);
    return elapsed;
  };

  for (let i = 0; i < 3; i++) {
    await create('main', name('main', `warm${i}`));
    await create('reference', name('reference', `warm${i}`));
  }
  const times = { main: [], reference: [] };
  for (let i = 0; i < samples; i++) {
    for (const side of i % 2 === 0 ? ['main', 'reference'] : ['reference', 'main']) {
      times[side].push(await create(side, name(side, i)));
    }
  }

  const migrationOrm = await app.get(dist.tenancy.SchemaMigrator).migrationOrm('tenant');
  const statements = [];
  const connection = migrationOrm.em.getDriver().getConnection();
  const execute = connection.execute;
  connection.execute = async function timed(query, ...rest) {
    const started = performance.now();
    try {
      return await execute.call(this, query, ...rest);
    } finally {
      const sql = typeof query === 'string' ? query : String(query?.sql ?? query);
      statements.push({ sql: sql.replace(/\s+/g, ' ').slice(0, 120), ms: performance.now() - started });
    }
  };
  try {
    await createOnly('main', name('main', 'traced'));
  } finally {
    delete connection.execute;
  }
  await remove('main', name('main', 'traced'));
  const slowest = [...statements]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 4)
    .map((s) => ({ ...s, ms: Number(s.ms.toFixed(2)) }));

  const main = durations(times.main);
  const reference = durations(times.reference);
  const result = {
    present,
    ...main,
    reference: { present: referencePresent, ...reference },
    ratio: Number((main.median / reference.median).toFixed(2)),
    statements: statements.length,
    slowest,
  };
  log(
    `  ${present} schemas present: median ${result.median} ms, p90 ${result.p90} ms (n=${samples}); ` +
      `with ${referencePresent} (alternating): median ${reference.median} ms; ratio ${result.ratio}; ` +
      `slowest statement ${slowest[0]?.ms} ms ${slowest[0]?.sql.slice(0, 60)}`,
  );
  return result;
}
