// `npm test`: runs Vitest against DATABASE_URL, or against an embedded PostgreSQL 18 started here
// (from the built example app) and stopped afterwards. The queue tests need Redis and the microservice
// tests NATS: REDIS_URL / NATS_URL, or one on its default port, or one started here when its server
// is on PATH; with none of them the run fails and says so (TENANCY_TEST_WITHOUT_BROKERS=1 leaves
// those tests out instead, and says that).
// Arguments are passed on to Vitest.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout } from 'node:timers';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = { ...process.env };
let stop = async () => undefined;
if (!env.DATABASE_URL) {
  const { startEmbeddedDatabase } = await import('../dist/apps/example/apps/example/src/database/embedded-database.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'tenancy-test-pg-'));
  const database = await startEmbeddedDatabase({
    dataDir,
    port: 55000 + (process.pid % 5000),
    database: 'tenancy_test',
    ephemeral: true,
  });
  env.DATABASE_URL = database.url;
  stop = async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  process.stdout.write(`Tests use an embedded PostgreSQL 18 (${database.url})\n`);
}

/** Whether a server at host:port answers `greeting` (sent when given) with a line starting `expected`. */
function answers(host, port, greeting, expected) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => greeting && socket.write(greeting));
    socket.on('data', (data) => done(data.toString().startsWith(expected)));
  });
}

/** The brokers some tests need: found (env, default port) or started here when the server is on PATH. */
const SERVICES = [
  {
    name: 'Redis',
    tests: 'the queue (BullMQ) tests',
    files: ['test/bullmq-*.e2e-spec.ts', 'test/transports-load.e2e-spec.ts'],
    env: 'REDIS_URL',
    url: (port) => `redis://127.0.0.1:${port}`,
    port: 6379,
    probe: (port) => answers('127.0.0.1', port, 'PING\r\n', '+PONG'),
    command: (port) => ['redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']],
    install: 'apt-get install redis-server',
  },
  {
    name: 'NATS',
    tests: 'the microservice (NATS) tests',
    files: ['test/microservice-*.e2e-spec.ts'],
    env: 'NATS_URL',
    url: (port) => `nats://127.0.0.1:${port}`,
    port: 4222,
    probe: (port) => answers('127.0.0.1', port, undefined, 'INFO'),
    command: (port) => ['nats-server', ['-a', '127.0.0.1', '-p', String(port)]],
    install: 'apt-get install nats-server',
  },
];

const vitestArgs = process.argv.slice(2);
const started = [];
for (const [index, service] of SERVICES.entries()) {
  if (env[service.env]) {
    continue;
  }
  if (await service.probe(service.port)) {
    env[service.env] = service.url(service.port);
    continue;
  }
  const port = 56000 + ((process.pid + index * 7) % 5000);
  const [command, args] = service.command(port);
  const child = spawn(command, args, { stdio: 'ignore' });
  const ready = await new Promise((resolve) => {
    child.on('error', () => resolve(false));
    const poll = async (tries) => {
      if (await service.probe(port)) return resolve(true);
      if (tries === 0 || child.exitCode !== null) return resolve(false);
      setTimeout(() => poll(tries - 1), 100);
    };
    child.on('spawn', () => poll(50));
  });
  if (ready) {
    started.push(child);
    env[service.env] = service.url(port);
    process.stdout.write(`Tests use a ${service.name} started here (${env[service.env]})\n`);
  } else if (env.TENANCY_TEST_WITHOUT_BROKERS === '1') {
    child.kill();
    process.stdout.write(
      `\n*** ${service.name} is missing: ${service.tests} are LEFT OUT of this run (TENANCY_TEST_WITHOUT_BROKERS=1). ***\n\n`,
    );
    for (const file of service.files) vitestArgs.push('--exclude', file);
  } else {
    child.kill();
    process.stderr.write(
      `npm test: ${service.tests} need ${service.name}, and none was found: set ${service.env}, run one on 127.0.0.1:${service.port}, ` +
        `or put ${command} on PATH (Debian: ${service.install}) and npm test starts it. ` +
        'TENANCY_TEST_WITHOUT_BROKERS=1 runs the other tests without them.\n',
    );
    for (const running of started) running.kill();
    await stop();
    process.exit(1);
  }
}

const vitest = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...vitestArgs], {
  env,
  stdio: 'inherit',
});
const code = await new Promise((resolve) => vitest.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
for (const running of started) running.kill();
await stop();
process.exitCode = code;
