import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { setImmediate as turn } from 'node:timers/promises';

/**
 * Steady-state CPU profiles of the tenant app and the baseline under the overhead benchmark's load,
 * taken with the V8 inspector in this process (the `.cpuprofile` format of `node --cpu-prof`, but
 * without the boot). The profiler runs in alternating chunks, one app at a time (A, B, B, A ...),
 * so that the machine's drift hits both alike; the chunks of each app are summed. The last chunk
 * of each app is saved in `folder` for Chrome DevTools or speedscope.
 */
export async function profileApps({ apps, hosts, url, requests, batch, folder, chunk = 2000 }) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  const names = Object.keys(apps);
  const totals = Object.fromEntries(names.map((name) => [name, { requests: 0, self: new Map() }]));
  let next = 0;
  const load = async (name, count) => {
    const fastify = apps[name].getHttpAdapter().getInstance();
    for (let done = 0; done < count; done += batch) {
      await Promise.all(
        Array.from({ length: batch }, () =>
          fastify.inject({ method: 'GET', url, headers: { host: hosts[next++ % hosts.length] } }),
        ),
      );
      await turn();
    }
  };
  const files = {};
  try {
    for (const name of names) {
      await load(name, Math.min(chunk, requests));
    }
    for (let done = 0, step = 0; done < requests; done += chunk, step++) {
      for (const name of step % 2 === 0 ? names : [...names].reverse()) {
        await session.post('Profiler.start');
        await load(name, chunk);
        const { profile } = await session.post('Profiler.stop');
        totals[name].requests += chunk;
        for (const [key, micros] of selfTimes(profile)) {
          totals[name].self.set(key, (totals[name].self.get(key) ?? 0) + micros);
        }
        files[name] = join(folder, `${name}.cpuprofile`);
        writeFileSync(files[name], JSON.stringify(profile));
      }
    }
  } finally {
    session.disconnect();
  }
  return Object.fromEntries(
    names.map((name) => [name, { ...summarize(totals[name].self, totals[name].requests), file: files[name] }]),
  );
}

/** Self time (µs) per sampled frame, keyed by `category\tfunction`. */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i]).callFrame;
    const key = `${categorize(frame)}\t${frame.functionName || '(anonymous)'}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  return self;
}

/** Where a sampled frame's code lives: a package, the library (by folder), the example app, V8. */
function categorize(frame) {
  const url = frame.url ?? '';
  if (!url) {
    return frame.functionName.startsWith('(') ? frame.functionName : `native ${frame.functionName || '(anonymous)'}`;
  }
  const library = url.match(/\/libs\/tenancy\/(?:src|dist)\/(.+?)\.js/);
  if (library) {
    return `nestjs-tenancy/${library[1]}`;
  }
  const pkg = url.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (pkg) {
    return pkg[1];
  }
  if (url.startsWith('node:')) {
    return 'node internals';
  }
  if (url.includes('/apps/example/')) {
    return 'example app';
  }
  if (url.includes('/bench/')) {
    return 'bench harness';
  }
  return url;
}

/** Self time per category and per library function, in µs per request; `cpuUsPerRequest` leaves out idle time. */
function summarize(self, requests) {
  const categories = new Map();
  const functions = new Map();
  let total = 0;
  for (const [key, micros] of self) {
    const [category, name] = key.split('\t');
    total += category === '(idle)' ? 0 : micros;
    categories.set(category, (categories.get(category) ?? 0) + micros);
    if (category.startsWith('nestjs-tenancy/')) {
      const label = `${name} (${category.slice('nestjs-tenancy/'.length)})`;
      functions.set(label, (functions.get(label) ?? 0) + micros);
    }
  }
  const perRequest = (map) =>
    Object.fromEntries(
      [...map].sort((a, b) => b[1] - a[1]).map(([key, micros]) => [key, Number((micros / requests).toFixed(2))]),
    );
  return {
    requests,
    cpuUsPerRequest: Number((total / requests).toFixed(1)),
    categories: perRequest(categories),
    libraryFunctions: perRequest(functions),
  };
}

/** Per category: µs per request in each profile and the difference, largest difference first. */
export function compareProfiles(tenancy, baseline) {
  const keys = new Set([...Object.keys(tenancy.categories), ...Object.keys(baseline.categories)]);
  return [...keys]
    .map((key) => {
      const a = tenancy.categories[key] ?? 0;
      const b = baseline.categories[key] ?? 0;
      return { category: key, tenancyUs: a, baselineUs: b, deltaUs: Number((a - b).toFixed(2)) };
    })
    .sort((x, y) => Math.abs(y.deltaUs) - Math.abs(x.deltaUs));
}
