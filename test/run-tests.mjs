// `npm test`: runs Vitest against DATABASE_URL, or against an embedded PostgreSQL 18 started here
// (from the built example app) and stopped afterwards. The queue tests need Redis: REDIS_URL, or one
// on 127.0.0.1:6379, or a redis-server started here when it is on PATH; with none of them the run
// fails and says so (TENANCY_TEST_WITHOUT_REDIS=1 leaves the queue tests out instead, and says that).
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

/** Whether a Redis answers PING at host:port. */
function redisAnswers(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

const vitestArgs = process.argv.slice(2);
let redisServer;
if (!env.REDIS_URL) {
  if (await redisAnswers('127.0.0.1', 6379)) {
    env.REDIS_URL = 'redis://127.0.0.1:6379';
  } else {
    const port = 56000 + (process.pid % 5000);
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const ready = await new Promise((resolve) => {
      started.on('error', () => resolve(false));
      const poll = async (tries) => {
        if (await redisAnswers('127.0.0.1', port)) return resolve(true);
        if (tries === 0 || started.exitCode !== null) return resolve(false);
        setTimeout(() => poll(tries - 1), 100);
      };
      started.on('spawn', () => poll(50));
    });
    if (ready) {
      redisServer = started;
      env.REDIS_URL = `redis://127.0.0.1:${port}`;
      process.stdout.write(`Tests use a Redis started here (${env.REDIS_URL})\n`);
    } else if (env.TENANCY_TEST_WITHOUT_REDIS === '1') {
      process.stdout.write(
        '\n*** Redis is missing: the queue (BullMQ) tests are LEFT OUT of this run (TENANCY_TEST_WITHOUT_REDIS=1). ***\n\n',
      );
      vitestArgs.push('--exclude', 'test/bullmq-*.e2e-spec.ts');
    } else {
      process.stderr.write(
        'npm test: the queue (BullMQ) tests need Redis, and none was found: set REDIS_URL, run one on 127.0.0.1:6379, or put ' +
          'redis-server on PATH (Debian: apt-get install redis-server) and npm test starts it. ' +
          'TENANCY_TEST_WITHOUT_REDIS=1 runs the other tests without them.\n',
      );
      await stop();
      process.exit(1);
    }
  }
}

const vitest = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...vitestArgs], {
  env,
  stdio: 'inherit',
});
const code = await new Promise((resolve) => vitest.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
redisServer?.kill();
await stop();
process.exitCode = code;
