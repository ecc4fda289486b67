import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const BINARIES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', 'pgbouncer'];

/** PgBouncer's version, or undefined when it is not installed. */
export function pgBouncerVersion() {
  for (const binary of BINARIES) {
    const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
    if (result.status === 0) {
      return { binary, version: result.stdout.split('\n')[0].trim() };
    }
  }
  return undefined;
}

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts a private PgBouncer in transaction pooling mode in front of the database of `databaseUrl`
 * (own config in a temporary folder, own port, trust auth as the URL's user; as the `postgres`
 * system user when run as root, which PgBouncer refuses). Returns the URL to connect through it
 * and `stop()`.
 */
export async function startPgBouncer({ databaseUrl, poolSize }) {
  const found = pgBouncerVersion();
  if (!found) {
    return undefined;
  }
  const target = new URL(databaseUrl);
  const user = decodeURIComponent(target.username || 'postgres');
  const database = target.pathname.slice(1);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tenancy-bench-pgbouncer-'));
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${database} = host=${target.hostname} port=${target.port || 5432} dbname=${database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      `default_pool_size = ${poolSize}`,
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  const command = asRoot
    ? ['runuser', ['-u', 'postgres', '--', found.binary, join(dir, 'pgbouncer.ini')]]
    : [found.binary, [join(dir, 'pgbouncer.ini')]];
  const child = spawn(command[0], command[1], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const url = new URL(databaseUrl);
  url.port = String(port);
  url.hostname = '127.0.0.1';
  const log = () => {
    try {
      return readFileSync(join(dir, 'pgbouncer.log'), 'utf8').slice(-2000);
    } catch {
      return stderr;
    }
  };
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url.toString() });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt >= 50 || child.exitCode !== null) {
        await stop();
        throw new Error(`PgBouncer did not come up: ${error.message}\n${log()}`, { cause: error });
      }
      await sleep(100);
    }
  }
  return { url: url.toString(), version: found.version, stop };
}
