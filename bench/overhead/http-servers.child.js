import 'reflect-metadata';
import { createBaselineApp } from '../baseline/baseline.app.js';
import { loadDist } from '../support/dist.js';

/**
 * Child process of the HTTP benchmark: serves the tenant app, the baseline and a second baseline
 * (the A/A control) on loopback, in a process of their own so that the load generator does not
 * share their event loop; reports the ports over IPC and closes the apps when told to stop.
 */
const { databaseUrl, directDatabaseUrl, poolSize, baselineSchema } = JSON.parse(process.argv[2]);
const dist = await loadDist();
const apps = {
  tenancy: await dist.createExampleApp({
    databaseUrl,
    poolSize,
    seed: false,
    logger: ['error', 'warn'],
    tenancy: { directDatabaseUrl },
  }),
  baseline: await createBaselineApp({ dist, databaseUrl, poolSize, schema: baselineSchema }),
  control: await createBaselineApp({ dist, databaseUrl, poolSize, schema: baselineSchema }),
};
const ports = {};
for (const [name, app] of Object.entries(apps)) {
  await app.listen(0, '127.0.0.1');
  ports[name] = app.getHttpServer().address().port;
}
process.send(ports);
process.on('message', async (message) => {
  if (message === 'stop') {
    await Promise.all(Object.values(apps).map((app) => app.close()));
    process.disconnect();
  }
});
