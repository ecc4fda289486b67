import 'reflect-metadata';
import { loadDist } from '../support/dist.js';
import { createComparisonApp } from './rowlevel.app.js';

/**
 * Child process of the row-level HTTP comparison: serves the tenant app (the example app), the
 * row-level app, a second row-level app (the A/A control) and the hand-rolled schema app on
 * loopback, reports their ports over IPC and closes them when told to stop.
 */
const { databaseUrl, poolSize } = JSON.parse(process.argv[2]);
const dist = await loadDist();
const common = { dist, databaseUrl, poolSize };
const apps = {
  tenancy: await dist.createExampleApp({
    databaseUrl,
    poolSize,
    seed: false,
    logger: ['error', 'warn'],
    tenancy: { directDatabaseUrl: databaseUrl },
  }),
  rowlevel: await createComparisonApp({ ...common, kind: 'rowlevel' }),
  control: await createComparisonApp({ ...common, kind: 'rowlevel' }),
  handrolled: await createComparisonApp({ ...common, kind: 'handrolled' }),
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
