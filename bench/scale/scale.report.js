const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (header, rows) => [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
const runs = (x) => (x.runs.length > 1 ? `${x.seconds.median} s (${x.runs.join(', ')})` : `${x.seconds.median} s`);

/** The scale section (issue 11, point 3) as markdown lines; the provisioning figure at the same step is shown with it. */
export function renderScale(report) {
  const s = report.sections.scale;
  if (!s) {
    return [];
  }
  if (s.error) {
    return ['## Scale: tenants end to end', '', `Failed: ${s.error}`, ''];
  }
  const rows = [];
  const provisioning = Array.isArray(report.sections.provisioning)
    ? report.sections.provisioning.find((p) => p.present === s.tenants)
    : undefined;
  if (provisioning) {
    rows.push([
      `\`createTenant\` with ${provisioning.present} schemas present (n=${provisioning.n})`,
      `median ${provisioning.median} ms, p90 ${provisioning.p90} ms, p99 ${provisioning.p99 ?? '?'} ms (reference with ${provisioning.reference.present} schemas: median ${provisioning.reference.median} ms)`,
    ]);
  }
  const g = s.migrations;
  for (const [c, v] of Object.entries(g.byConcurrency)) {
    rows.push([`one new migration over ${g.schemas} schemas, concurrency ${c}`, `${v.seconds.median} s`]);
  }
  rows.push([
    `nothing to apply over ${g.schemas} schemas, concurrency ${g.nothingToApply.concurrency}`,
    runs({ seconds: g.nothingToApply.seconds, runs: g.nothingToApply.runs }),
  ]);
  for (const b of s.boot) {
    rows.push([
      `app boot (\`createExampleApp\`), ${b.tenants} tenants, ${b.domains} domains`,
      `${b.bootMs} ms (+ ${b.importMs} ms imports), of which the tenants' migration states ${b.tenantStatesMs.median} ms`,
    ]);
    rows.push([
      `known-hosts filter load (at boot and every \`refreshInterval\`), ${b.domains} domains + ${b.tenants} schemas`,
      `${b.filterLoadMs.median} ms wall, ${b.filterCpuMs.median} ms CPU (the build alone ${b.filterBuildMs.median} ms); event loop stalled up to ${b.filterBlockedMs.max} ms`,
    ]);
    rows.push([
      `registry memory, ${b.tenants} tenants, ${b.domains} domains`,
      `filter ${(b.filterBytes / 1024).toFixed(0)} KB (an ArrayBuffer, outside the heap); heap ${b.heap.booted.heapUsedMb} MB booted` +
        (b.heap.cachedHosts > 0 ? `, +${b.heap.cacheMb} MB with ${b.heap.cachedHosts} hosts cached` : ''),
    ]);
  }
  const cli = s.cli;
  if (cli) {
    const line = (label, x) => rows.push([label, `${runs(x)}, ${x.lines} lines, ${x.kilobytes} KB`]);
    line(`\`tenancy migrate:status --shared\` (process boot + one schema), ${s.domains.total} domains`, cli.bootOnly);
    line('`tenancy tenant:list`', cli.tenantList);
    line('`tenancy migrate:status`', cli.migrateStatus);
  }
  if (s.inProcess) {
    rows.push(['in process: `listTenants()` (tenants with their domains)', `${s.inProcess.listTenantsMs.median} ms`]);
  }
  if (s.pgDump) {
    rows.push(['`pg_dump --schema-only -n <one tenant>` (what `tenant:export` runs)', runs(s.pgDump.oneTenant)]);
    const all = s.pgDump.everything;
    if (all) {
      const locks = s.pgDump.lockTable;
      rows.push([
        `\`pg_dump --schema-only\` (every schema: ${locks.tablesToLock} tables to lock, the lock table holds ${locks.lockSlots})`,
        all.failed ? `**failed** after ${all.afterSeconds} s: ${all.failed}` : runs(all),
      ]);
    }
  }
  if (s.check) {
    rows.push([`\`TenancyChecker.check()\` over ${s.check.tenants} tenants`, `${s.check.seconds} s`]);
  }
  const c = s.catalog;
  rows.push([
    'catalog',
    `${c.relations} relations, ${c.attributes} columns, ${c.namespaces} schemas; catalog tables ${c.catalogMb} MB, database ${c.databaseMb} MB`,
  ]);
  return [
    `## Scale: ${s.tenants} tenants end to end`,
    '',
    table(['what', 'measured'], rows),
    '',
    `Steps of this section (s): ${Object.entries(s.timings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
  ];
}
