/** Markdown and goals of the issue-11 sections (`rowLevel`, `backendMemory`), for report.writer.js. */

const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (header, rows) => [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
const range = (s) => (s ? `${s.median} (${s.min}–${s.max})` : '');
const counts = (rowLevel) =>
  Object.keys(rowLevel)
    .filter((key) => /^\d+$/.test(key))
    .map(Number)
    .sort((a, b) => a - b);

/** Goal of issue 11: tenant app ≥ 0.95 of the row-level app at the largest tenant count, per operation, in process. */
export function issue11Goals(sections) {
  const r = sections.rowLevel;
  if (!r || r.error) {
    return [];
  }
  const largest = counts(r)
    .filter((count) => r[count].inject)
    .at(-1);
  if (largest === undefined) {
    return [];
  }
  return Object.entries(r[largest].inject).map(([operation, m]) => ({
    goal: `Against row-level tenancy, ${operation}, ${largest} tenants, in process: tenant app / row-level app`,
    target: '>= 0.95',
    measured: `${range(m.ratio.tenancy)}; A/A ${range(m.ratio.control)}; hand-rolled schema app ${range(m.ratio.handrolled)}`,
    met: m.ratio.tenancy.median >= 0.95,
  }));
}

export function renderIssue11(sections) {
  const out = [];
  const r = sections.rowLevel;
  if (r && !r.error) {
    out.push(
      '## Against row-level tenancy',
      '',
      'Throughput ratios to the row-level app (shared tables with `tenant_id`, a MikroORM filter), medians (min–max) over rounds; ' +
        'hand-rolled = the example controller on tenant schemas bound by plain MikroORM, no library; library share = tenant app / hand-rolled.',
      '',
    );
    const lines = [];
    for (const count of counts(r)) {
      for (const transport of ['inject', 'http']) {
        for (const [operation, m] of Object.entries(r[count][transport] ?? {})) {
          const speed = transport === 'inject' ? m.us : m.rps;
          lines.push([
            count,
            transport === 'inject' ? 'in process' : 'HTTP',
            operation,
            `**${range(m.ratio.tenancy)}**`,
            range(m.ratio.handrolled),
            range(m.ratio.control),
            range(m.libraryShare),
            transport === 'inject'
              ? `${speed.tenancy.median} / ${speed.rowlevel.median} µs`
              : `${speed.tenancy.median} / ${speed.rowlevel.median} req/s`,
            m.queriesPerRequest ? `${m.queriesPerRequest.tenancy} / ${m.queriesPerRequest.handrolled}` : '',
          ]);
        }
      }
    }
    out.push(
      table(
        [
          'tenants',
          'how',
          'operation',
          'tenant app / row-level',
          'hand-rolled / row-level',
          'A/A control',
          'library share',
          'µs/req or req/s: tenant app / row-level',
          'statements per request: tenant app / hand-rolled',
        ],
        lines,
      ),
      '',
    );
    for (const count of counts(r).filter((c) => r[c].sql)) {
      const { us, explain } = r[count].sql;
      out.push(
        `SQL only, one fresh connection, ${count} schemas (${r[count].sql.probed} probed): list query on a schema the backend never touched ` +
          `${us.coldFirstTouch.median} µs, the same again ${us.warmSameSchemaAgain.median} µs, warm rotating ${us.warmRotating.median} µs, ` +
          `one schema repeated ${us.oneSchemaRepeated.median} µs, row-level ${us.rowLevel.median} µs. EXPLAIN (ANALYZE, BUFFERS): planning ` +
          `${explain.cold.planningMs.median} ms cold (${explain.cold.planningBuffers.median} buffers), ${explain.warm.planningMs.median} ms warm ` +
          `(${explain.warm.planningBuffers.median}), row-level ${explain.rowlevel.planningMs.median} ms (${explain.rowlevel.planningBuffers.median}); ` +
          `execution ${explain.cold.executionMs.median} / ${explain.warm.executionMs.median} / ${explain.rowlevel.executionMs.median} ms.`,
        '',
      );
    }
  } else if (r?.error) {
    out.push('## Against row-level tenancy', '', `Failed: ${r.error}`, '');
  }
  const m = sections.backendMemory;
  if (m && !m.error) {
    out.push(
      '## PostgreSQL backend memory',
      '',
      `One app with a pool of one connection requests \`GET /projects/1/tasks\` (both tenant tables) for tenants 0..N-1; ` +
        `the backend's memory contexts (\`pg_backend_memory_contexts\`) and RSS (\`/proc/<pid>/status\`) read on that connection. ` +
        `Bounded: pg Pool's \`maxUses: ${m.maxUses}\` through MikroORM's \`driverOptions\`.`,
      '',
      table(
        ['app', 'tenants served', 'contexts MB', 'CacheMemoryContext (+children) MB', 'RSS MB', 'RSS anon MB', 'backends seen'],
        Object.entries(m.lines).flatMap(([name, line]) =>
          line.points.map((p) => [
            name,
            p.tenants,
            p.contextsMb,
            `${p.cacheMemoryContextMb} (${p.cacheTreeMb})`,
            p.vmRssMb ?? p.rss,
            p.rssAnonMb ?? '',
            line.backends,
          ]),
        ),
      ),
      '',
    );
    if (m.lines.tenancyBounded?.peak) {
      const peak = m.lines.tenancyBounded.peak;
      out.push(
        `Bounded line, peak over reads every ${m.lines.tenancyBounded.probeEvery} requests: ${peak.contextsMb} MB contexts, RSS anon ${peak.rssAnonMb} MB.`,
        '',
      );
    }
    if (m.cost) {
      out.push(
        `The bound's cost, list reads rotating over every tenant, in process: bounded / unbounded (warmed) **${range(m.cost.ratio.bounded)}**; ` +
          `A/A (the unbounded app's second turn) ${range(m.cost.ratio.control)}; µs per request ${m.cost.us.unbounded.median} vs ${m.cost.us.bounded.median}.`,
        '',
      );
    }
  } else if (m?.error) {
    out.push('## PostgreSQL backend memory', '', `Failed: ${m.error}`, '');
  }
  return out;
}
