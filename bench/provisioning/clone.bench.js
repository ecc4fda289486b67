import { performance } from 'node:perf_hooks';
import { durations } from '../support/statistics.js';

/**
 * Cloning a template tenant (`createTenant({ from, withData })`) against plain creation (the
 * tenant migrations run), at each template size: `rows` projects and `rows` tasks. The three ways
 * alternate sample by sample (the order rotating), each new tenant deleted right after, untimed.
 * A clone is checked once per size (same rows as the template) so that a wrong copy never yields
 * a figure.
 */
export async function measureClone({ app, dist, rowCounts, samples, log }) {
  const tenancy = app.get(dist.tenancy.TenancyService);
  const sql = async (query) => {
    const orm = await app.get(dist.tenancy.SchemaMigrator).migrationOrm('tenant');
    return orm.em.fork().execute(query);
  };
  const ways = {
    migrations: (schema) => tenancy.createTenant({ schema }),
    clone: (schema, template) => tenancy.createTenant({ schema, from: template }),
    cloneWithData: (schema, template) => tenancy.createTenant({ schema, from: template, withData: true }),
  };
  const names = Object.keys(ways);
  const result = [];
  for (const rows of rowCounts) {
    const template = `clone_tpl_${rows}`;
    await tenancy.createTenant({ schema: template });
    try {
      await sql(`insert into "${template}".project (name) select 'Project ' || g from generate_series(1, ${rows}) g`);
      await sql(
        `insert into "${template}".task (project_id, title) select 1 + (g % ${rows}), 'Task ' || g from generate_series(1, ${rows}) g`,
      );
      const checked = `clone_chk_${rows}`;
      await ways.cloneWithData(checked, template);
      const [count] = await sql(`select (select count(*) from "${checked}".task)::int as tasks`);
      await tenancy.deleteTenant(checked, { dropSchema: true });
      if (count.tasks !== rows) {
        throw new Error(`a clone of ${template} holds ${count.tasks} tasks instead of ${rows}`);
      }
      const times = Object.fromEntries(names.map((name) => [name, []]));
      for (let i = -2; i < samples; i++) {
        const order = names.map((_, k) => names[(k + i + 2) % names.length]);
        for (const name of order) {
          const schema = `clone_${name.toLowerCase()}_${rows}_${i + 2}`;
          const started = performance.now();
          await ways[name](schema, template);
          const elapsed = performance.now() - started;
          await tenancy.deleteTenant(schema, { dropSchema: true });
          if (i >= 0) {
            times[name].push(elapsed);
          }
        }
      }
      const line = { rows, ...Object.fromEntries(names.map((name) => [name, durations(times[name])])) };
      line.roundTrips = {};
      for (const name of names) {
        line.roundTrips[name] = await countRoundTrips(app, dist, () => ways[name](`clone_trace_${rows}`, template));
        await tenancy.deleteTenant(`clone_trace_${rows}`, { dropSchema: true });
      }
      line.cloneVsMigrations = Number((line.clone.median / line.migrations.median).toFixed(2));
      result.push(line);
      log(
        `  ${rows} rows per table: create + migrations ${line.migrations.median} ms, clone ${line.clone.median} ms, ` +
          `clone with data ${line.cloneWithData.median} ms (median of ${samples}); round trips ` +
          names.map((name) => `${name} ${line.roundTrips[name]}`).join(', '),
      );
    } finally {
      await tenancy.deleteTenant(template, { dropSchema: true });
    }
  }
  return result;
}

/** SQL round trips of the migration connection (the one creation uses) while `fn` runs. */
async function countRoundTrips(app, dist, fn) {
  const orm = await app.get(dist.tenancy.SchemaMigrator).migrationOrm('tenant');
  const connection = orm.em.getDriver().getConnection();
  const execute = connection.execute;
  let count = 0;
  connection.execute = function counted(...args) {
    count++;
    return execute.apply(this, args);
  };
  try {
    await fn();
  } finally {
    delete connection.execute;
  }
  return count;
}
