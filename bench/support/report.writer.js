import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue11Goals, renderIssue11 } from '../rowlevel/rowlevel.report.js';
import { renderScale } from '../scale/scale.report.js';

/** Judges the goals of issue 4 from a report's sections. */
export function judgeGoals(report) {
  const { overhead, provisioning, migrations, resolution, memory, sqlCheck, logLines } = report.sections;
  const goals = [];
  if (overhead?.inject) {
    const r = overhead.inject.ratio;
    goals.push({
      goal: 'Request overhead: tenant app / baseline throughput (in process, median of rounds)',
      target: '>= 0.95',
      measured: `${r.median} (min ${r.min}, max ${r.max})${overhead.inject.controlRatio ? `; A/A control ${overhead.inject.controlRatio.median}` : ''}`,
      met: r.median >= 0.95,
    });
  }
  const { http, pgbouncer } = report.sections;
  const ratioGoal = (goal, x) => ({
    goal,
    target: '>= 0.95',
    measured: `${x.ratio.median} (min ${x.ratio.min}, max ${x.ratio.max})${x.controlRatio ? `; A/A control ${x.controlRatio.median} (${x.controlRatio.min}–${x.controlRatio.max})` : ''}`,
    met: x.ratio.median >= 0.95,
  });
  if (http?.ratio) {
    goals.push(ratioGoal('Request overhead over HTTP (autocannon, median of rounds; noisy)', http));
  }
  if (pgbouncer?.inject) {
    goals.push(ratioGoal('Request overhead through PgBouncer, in process', pgbouncer.inject));
  }
  if (pgbouncer?.http) {
    goals.push(ratioGoal('Request overhead through PgBouncer over HTTP (noisy)', pgbouncer.http));
  }
  if (Array.isArray(provisioning) && provisioning.length > 0) {
    const worst = Math.max(...provisioning.map((p) => p.median));
    const last = provisioning.at(-1);
    goals.push({
      goal: 'Provisioning: median createTenant at every schema count',
      target: '<= 20 ms',
      measured: provisioning.map((p) => `${p.present}: ${p.median} ms`).join(', '),
      met: worst <= 20,
    });
    goals.push({
      goal: `Provisioning flat in the number of schemas: median with ${last.present} / median with ${last.reference.present}, alternating sample by sample`,
      target: '<= 1.25',
      measured: `${last.ratio} (${last.median} vs ${last.reference.median} ms)`,
      met: last.ratio <= 1.25,
    });
  }
  if (migrations?.byConcurrency?.[4]) {
    goals.push({
      goal: `Migrations: one new migration over ${migrations.schemas} tenants at concurrency 4 (median)`,
      target: '<= 10 s',
      measured: `${migrations.byConcurrency[4].seconds.median} s`,
      met: migrations.byConcurrency[4].seconds.median <= 10,
    });
    goals.push({
      goal: `Migrations: nothing to apply over ${migrations.schemas} tenants (median)`,
      target: '<= 2 s',
      measured: `${migrations.nothingToApply.seconds.median} s`,
      met: migrations.nothingToApply.seconds.median <= 2,
    });
  }
  if (sqlCheck?.cachedMicros !== undefined) {
    goals.push({
      goal: 'SQL check: a statement read before (cached), per statement',
      target: '<= 2 µs',
      measured: `${sqlCheck.cachedMicros} µs`,
      met: sqlCheck.cachedMicros <= 2,
    });
    goals.push({
      goal: `SQL check: a ${sqlCheck.longStatement.kilobytes} KB statement, read once`,
      target: '<= 50 ms',
      measured: `${sqlCheck.longStatement.ms} ms`,
      met: sqlCheck.longStatement.ms <= 50,
    });
  }
  if (logLines?.text) {
    goals.push({
      goal: 'Logs: a line through TenantConsoleLogger with a tenant bound, vs Nest ConsoleLogger (text and JSON)',
      // a request pays this per line it writes (one that writes none pays nothing): within 10 % + 0.5 µs of Nest's own line
      target: '<= 1.1× Nest + 0.5 µs per line',
      measured: ['text', 'json']
        .map(
          (mode) =>
            `${mode} ${logLines[mode].boundUsPerLine} vs ${logLines[mode].nestUsPerLine} µs (${logLines[mode].boundRatio}×)`,
        )
        .join(', '),
      met: ['text', 'json'].every((mode) => logLines[mode].boundUsPerLine <= 1.1 * logLines[mode].nestUsPerLine + 0.5),
    });
  }
  if (resolution?.unknownFlood) {
    goals.push({
      goal: 'Resolution: database queries per request under a flood of unknown hosts',
      target: '~0 (<= 0.01)',
      measured: String(resolution.unknownFlood.queriesPerRequest),
      met: resolution.unknownFlood.queriesPerRequest <= 0.01,
    });
  }
  const small = Array.isArray(memory) ? memory[0] : undefined;
  const bounded = Array.isArray(memory) ? memory.find((m) => m.cacheMax !== null) : undefined;
  if (small && bounded) {
    const growth = bounded.loaded.heapUsedMb - small.loaded.heapUsedMb;
    goals.push({
      goal: `Memory: heap after a pass over every host, ${bounded.tenants} tenants with a ${bounded.cacheMax}-host cache vs ${small.tenants} tenants`,
      target: 'bounded by the cache (growth <= 10 MB)',
      measured: `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB heap, RSS ${small.loaded.rssMb} → ${bounded.loaded.rssMb} MB`,
      met: growth <= 10,
    });
  }
  goals.push(...issue11Goals(report.sections));
  return goals;
}

const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (header, rows) => [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
const range = (s, unit = '') => `${s.median}${unit} (${s.min}–${s.max})`;

/** req/s, p50 and p99 of the three apps of an HTTP run, with the ratios. */
function httpTable(h) {
  return table(
    ['', 'req/s', 'p50 ms', 'p99 ms'],
    [
      ['tenant app', range(h.tenancy.rps), range(h.tenancy.p50), range(h.tenancy.p99)],
      ['baseline', range(h.baseline.rps), range(h.baseline.p50), range(h.baseline.p99)],
      ['A/A control (second baseline)', range(h.control.rps), range(h.control.p50), range(h.control.p99)],
      ...(h.oneHost ? [['tenant app on one host', range(h.oneHost.rps), range(h.oneHost.p50), range(h.oneHost.p99)]] : []),
      ['**ratio tenant app / baseline** (per round)', `**${range(h.ratio)}**`, '', ''],
      ['ratio control / baseline (per round)', range(h.controlRatio), '', ''],
      ...(h.oneHostRatio
        ? [
            ['ratio tenant app on one host / baseline', range(h.oneHostRatio), '', ''],
            ['ratio tenant app rotating / on one host', range(h.rotationRatio), '', ''],
          ]
        : []),
    ],
  );
}

/** The report as markdown. */
export function renderMarkdown(report) {
  const m = report.machine;
  const s = report.sections;
  const out = [];
  out.push(`# nestjs-tenancy benchmark (${report.mode})`, '');
  const source = report.source
    ? ` · commit ${report.source.commit}${report.source.dirty ? ' (with uncommitted changes)' : ''}`
    : '';
  out.push(
    `${report.startedAt}${source} · ${m.cpus} × ${m.cpuModel} · ${m.memoryGb} GB · ${m.os} · Node ${m.node} · PostgreSQL ${m.postgres}` +
      (m.pgbouncer ? ` · ${m.pgbouncer}` : '') +
      ` · pool ${report.config.poolSize} · ${report.durationSeconds} s`,
    '',
  );
  if (report.mode === 'quick') {
    out.push('> Quick mode: reduced sizes, to keep the harness working in CI. These figures are not the published ones.', '');
  }
  out.push('Medians with (min–max) over rounds; ratios are tenant app / baseline, measured within one run.', '');
  const goals = judgeGoals(report);
  if (goals.length > 0) {
    out.push(
      '## Goals',
      '',
      table(
        ['goal', 'target', 'measured', 'met'],
        goals.map((g) => [g.goal, g.target, g.measured, g.met ? 'yes' : '**no**']),
      ),
      '',
    );
  }

  out.push('## 1. Request overhead', '');
  if (s.overhead?.inject) {
    const i = s.overhead.inject;
    const injectRows = [
      ['PostgreSQL', i],
      ['stubbed database (Node CPU only)', s.overhead.stubbed],
      ['through PgBouncer', s.pgbouncer?.inject],
    ];
    out.push(
      `In process (\`inject()\`, batches of ${i.batch}; the tenant app, the baseline, an A/A control (a second baseline) and the tenant app ` +
        `on one host only take turns batch by batch; ${i.warmup} warm-up requests each, ${i.rounds.length} rounds of ${i.requestsPerRound}), ` +
        `GET ${report.config.route} (${i.rowsPerResponse} rows), Host rotating over ${i.hosts} tenants. µs = wall time per request inside a batch; ` +
        'ratio = baseline time / other time (a throughput ratio, 1 = parity):',
      '',
      table(
        [
          'database',
          'tenant app µs/req',
          'baseline µs/req',
          '**tenant app / baseline**',
          'A/A control / baseline',
          'tenant app on one host / baseline',
          'tenant app rotating / on one host',
        ],
        injectRows
          .filter(([, x]) => x && !x.error)
          .map(([label, x]) => [
            label,
            range(x.tenancyUs),
            range(x.baselineUs),
            `**${range(x.ratio)}**`,
            x.controlRatio ? range(x.controlRatio) : '',
            x.oneHostRatio ? range(x.oneHostRatio) : '',
            x.rotationRatio ? range(x.rotationRatio) : '',
          ]),
      ),
      '',
      table(
        ['round (PostgreSQL)', 'tenant app µs/req', 'baseline µs/req', 'ratio', 'A/A control', 'one host ratio'],
        i.rounds.map((r, k) => [k + 1, r.tenancyUs, r.baselineUs, r.ratio, r.controlRatio ?? '', r.oneHostRatio ?? '']),
      ),
      '',
    );
    const sqlRows = [
      ['PostgreSQL', s.overhead.sql],
      ['through PgBouncer', s.pgbouncer?.sql],
    ].filter(([, x]) => x);
    if (sqlRows.length > 0) {
      out.push(
        'The same SQL with no Node framework (pg pools of the same size, batches of the same size, rotating over the tenant schemas vs the baseline schema, alternating):',
        '',
        table(
          ['', 'rotating µs/query', 'one schema µs/query', 'one schema / rotating'],
          sqlRows.map(([label, x]) => [label, range(x.rotatingUs), range(x.fixedUs), `**${range(x.ratio)}**`]),
        ),
        '',
      );
    }
  } else if (s.overhead?.error) {
    out.push(`Failed: ${s.overhead.error}`, '');
  }
  if (s.http && !s.http.error) {
    out.push(
      `Over HTTP on loopback (autocannon, ${s.http.connections} connections, ${s.http.rounds.length} rounds of ${s.http.seconds} s per app, ` +
        'the order of the four runs rotating each round; the apps in a child process, autocannon in this one):',
      '',
      httpTable(s.http),
      '',
    );
  } else if (s.http?.error) {
    out.push(`HTTP run failed: ${s.http.error}`, '');
  }
  if (s.overhead?.profile) {
    const p = s.overhead.profile;
    out.push(
      `CPU profiles (V8 sampling, steady state): tenant app ${p.tenancyCpuUs} µs CPU per request, baseline ${p.baselineCpuUs} µs. ` +
        `Largest differences by where the code lives (self time, µs per request); profiles in ${p.files.join(', ')}:`,
      '',
      table(
        ['code', 'tenant app', 'baseline', 'difference'],
        p.difference.map((d) => [d.category, d.tenancyUs, d.baselineUs, d.deltaUs]),
      ),
      '',
      'Library functions (self µs per request): ' +
        Object.entries(p.libraryFunctions)
          .map(([name, us]) => `${name} ${us}`)
          .join('; '),
      '',
    );
  }
  if (s.pgbouncer) {
    out.push('### Through PgBouncer (transaction mode)', '');
    if (s.pgbouncer.skipped || s.pgbouncer.error) {
      out.push(s.pgbouncer.skipped ?? `Failed: ${s.pgbouncer.error}`, '');
    } else {
      out.push(
        `${s.pgbouncer.version}, pool_mode transaction, default_pool_size ${s.pgbouncer.defaultPoolSize}, every app's pool through it ` +
          '(LISTEN stays on a direct session). In-process and SQL-only figures are in the tables above.',
        '',
      );
      if (s.pgbouncer.http) {
        out.push('Over HTTP:', '', httpTable(s.pgbouncer.http), '');
      }
    }
  }

  if (s.sqlCheck && !s.sqlCheck.error) {
    out.push(
      '## SQL check (PostgreSQL parser)',
      '',
      table(
        ['case', 'cost'],
        [
          ['statement read before (cache hit, the request path)', `${s.sqlCheck.cachedMicros} µs`],
          ['typical statement read for the first time', `${s.sqlCheck.uncachedMicros} µs`],
          [`${s.sqlCheck.longStatement.kilobytes} KB statement read for the first time`, `${s.sqlCheck.longStatement.ms} ms`],
          ...(s.sqlCheck.manyCtes
            ? [
                [
                  `${s.sqlCheck.manyCtes.kilobytes} KB statement of ${s.sqlCheck.manyCtes.ctes} CTEs`,
                  `${s.sqlCheck.manyCtes.ms} ms`,
                ],
              ]
            : []),
        ],
      ),
      '',
    );
  } else if (s.sqlCheck?.error) {
    out.push(`SQL check failed: ${s.sqlCheck.error}`, '');
  }

  out.push('## 2. Resolution at scale', '');
  if (s.resolution && !s.resolution.error) {
    const r = s.resolution;
    out.push(
      `${r.hosts} distinct hosts round robin, in process, ${r.concurrency} requests in flight, ${r.rounds.length} rounds of ${r.requestsPerRound} per app, alternating:`,
      '',
      table(
        ['host cache', 'req/s', 'queries per request'],
        [
          [`${r.cacheMax} hosts (every lookup misses)`, range(r.smallCache.rps), range(r.smallCache.queriesPerRequest)],
          [`${r.fullCacheMax} hosts (every lookup hits)`, range(r.fullCache.rps), range(r.fullCache.queriesPerRequest)],
          ['ratio small / full', range(r.ratio), ''],
        ],
      ),
      '',
      `Unknown-host flood: ${r.unknownFlood.requests} distinct unregistered hosts, ${r.unknownFlood.rps} req/s (404), ` +
        `${r.unknownFlood.queriesPerRequest} queries per request.`,
      '',
    );
  } else if (s.resolution?.error) {
    out.push(`Failed: ${s.resolution.error}`, '');
  }

  out.push('## 3. Provisioning', '');
  if (Array.isArray(s.provisioning)) {
    out.push(
      'One `createTenant` (registry row, domain, schema, tables, migration rows, one transaction), then dropped untimed; each sample alternates ' +
        'with the same call on a second database that keeps only a few tenants (same server, same moment), so the ratio isolates the schema count:',
      '',
      table(
        [
          'schemas present',
          'n',
          'median ms',
          'p90 ms',
          'p99 ms',
          'min–max ms',
          'reference median ms',
          'ratio',
          'statements',
          'slowest statements of one traced creation',
        ],
        s.provisioning.map((p) => [
          p.present,
          p.n,
          p.median,
          p.p90,
          p.p99 ?? '',
          `${p.min}–${p.max}`,
          `${p.reference.median} (${p.reference.present} schemas)`,
          p.ratio,
          p.statements,
          p.slowest.map((q) => `${q.ms} ms \`${q.sql.slice(0, 70)}\``).join('<br>'),
        ]),
      ),
      '',
    );
  } else if (s.provisioning?.error) {
    out.push(`Failed: ${s.provisioning.error}`, '');
  }

  out.push('## 4. Migrations at scale', '');
  if (s.migrations && !s.migrations.error) {
    const g = s.migrations;
    out.push(
      `${g.schemas} tenant schemas; each run applies one new tenant migration (add a column with a default, index it) to every schema; ` +
        `${g.newMigrations} new migrations in all, concurrency order flipping each round:`,
      '',
      table(
        ['run', 'seconds (median, min–max)', 'runs'],
        [
          ...Object.entries(g.byConcurrency).map(([c, v]) => [
            `one new migration, concurrency ${c}`,
            range(v.seconds),
            v.runs.join(', '),
          ]),
          [
            `nothing to apply, concurrency ${g.nothingToApply.concurrency}`,
            range(g.nothingToApply.seconds),
            g.nothingToApply.runs.join(', '),
          ],
        ],
      ),
      '',
    );
  } else if (s.migrations?.error) {
    out.push(`Failed: ${s.migrations.error}`, '');
  }

  if (Array.isArray(s.clone)) {
    out.push(
      '## Clone',
      '',
      '`createTenant` three ways, alternating sample by sample: plain (the tenant migrations run), `from` a template (its DDL replayed from the catalog), `from` with `withData`; the template has N projects and N tasks:',
      '',
      table(
        [
          'rows per table',
          'create + migrations ms',
          'clone ms',
          'clone with data ms',
          'clone / migrations',
          'round trips (migrations / clone / with data)',
        ],
        s.clone.map((x) => [
          x.rows,
          x.migrations.median,
          x.clone.median,
          x.cloneWithData.median,
          x.cloneVsMigrations,
          x.roundTrips ? `${x.roundTrips.migrations} / ${x.roundTrips.clone} / ${x.roundTrips.cloneWithData}` : '',
        ]),
      ),
      '',
    );
  } else if (s.clone?.error) {
    out.push('## Clone', '', `Failed: ${s.clone.error}`, '');
  }
  if (s.check && !s.check.error) {
    out.push(
      '## Check',
      '',
      `\`TenancyChecker.check()\` (what \`tenancy check\` runs) over ${s.check.tenants} tenants, after one warm-up: ` +
        `median **${s.check.seconds.median} s** (${s.check.seconds.min}–${s.check.seconds.max}; runs ${s.check.runs.join(', ')}).`,
      '',
    );
  } else if (s.check?.error) {
    out.push('## Check', '', `Failed: ${s.check.error}`, '');
  }

  out.push('## 5. Memory', '');
  if (Array.isArray(s.memory)) {
    out.push(
      'A fresh process per line: boot the example app, request every host round robin (the same number of requests on every line, at least one per host), full GC, then measure:',
      '',
      table(
        [
          'tenants',
          'host cache',
          'requests',
          'RSS booted MB',
          'RSS after pass MB',
          'heap booted MB',
          'heap after pass MB',
          'RSS after 2nd pass MB',
          'pass s',
        ],
        s.memory.map((x) => [
          x.tenants,
          x.cacheMax ?? 'default (10000)',
          x.requests,
          x.booted.rssMb,
          x.loaded.rssMb,
          x.booted.heapUsedMb,
          x.loaded.heapUsedMb,
          x.twice.rssMb,
          x.passSeconds,
        ]),
      ),
      '',
    );
  } else if (s.memory?.error) {
    out.push(`Failed: ${s.memory.error}`, '');
  }

  out.push(...renderIssue11(s));
  out.push(...renderScale(report));
  out.push(
    '## Fixtures',
    '',
    `Tenants were made with raw SQL replaying the tenant migration set (checked identical to a Migrator-built schema: ${report.fixtures.verifiedAgainstMigrator ?? '?'} catalog lines): ` +
      report.fixtures.steps.map((f) => `${f.tenants} tenants in ${f.seconds} s`).join(', ') +
      '.',
    '',
  );
  if (report.errors.length > 0) {
    out.push('## Errors', '', ...report.errors.map((e) => `- ${e.section}: ${e.error}`), '');
  }
  return out.join('\n');
}

/** Writes `latest.json` and `latest.md` (and time-stamped copies) into `folder`; returns the paths. */
export function writeReport(report, folder) {
  mkdirSync(folder, { recursive: true });
  report.goals = judgeGoals(report);
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = JSON.stringify(report, null, 2);
  const markdown = renderMarkdown(report);
  const files = [join(folder, 'latest.json'), join(folder, 'latest.md')];
  writeFileSync(files[0], json);
  writeFileSync(files[1], markdown);
  writeFileSync(join(folder, `${report.mode}-${stamp}.json`), json);
  writeFileSync(join(folder, `${report.mode}-${stamp}.md`), markdown);
  return files;
}
