import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * Memory of the example app with the tenants now registered: a fresh process (the memory probe)
 * boots the app, requests every host (round robin, `requests` in all, at least one per host: the
 * same count whatever the number of tenants, since V8's young generation grows with the load
 * itself), and reports RSS and heap after a full GC. `cacheMax` sets the host cache's size (the
 * library's default otherwise).
 */
export async function measureMemory({ databaseUrl, poolSize, cacheMax, url, requests, log }) {
  const child = fork(
    fileURLToPath(new URL('./memory-probe.child.js', import.meta.url)),
    [JSON.stringify({ databaseUrl, poolSize, cacheMax, concurrency: 8, url, requests })],
    { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = once(child, 'exit');
  const [result] = await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => Promise.reject(new Error(`memory probe exited with ${code}`))),
  ]);
  await exited;
  log(
    `  ${result.tenants} tenants, cache ${cacheMax ?? 'default'}: RSS ${result.booted.rssMb} MB booted → ${result.loaded.rssMb} MB after ${result.requests} requests over every host ` +
      `(heap ${result.booted.heapUsedMb} → ${result.loaded.heapUsedMb} MB; after a second pass RSS ${result.twice.rssMb} MB)`,
  );
  return result;
}
