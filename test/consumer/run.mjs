#!/usr/bin/env node
// The consumer test: the package as a user gets it. Packs the library, then, in a folder under the
// OS tmpdir (outside the checkout), builds two fresh Nest 12 apps on Fastify — CommonJS as
// `nest new` creates it, and ESM — from test/consumer/{cjs,esm} (package.json, tsconfig) and the
// README's Quick start (every block marked `<!-- consumer: PATH -->`, and its install and command
// lines), installs the tarball and the peers from the registry at the versions this repo pins,
// compiles them with tsc and, on a fresh database per app, runs the README's commands
// (`npx tenancy migration:create`, `migrate`, `tenant:create`), serves the tenants by host and runs
// the app's own Vitest test (nestjs-tenancy/testing).
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres node test/consumer/run.mjs
//
// DATABASE_URL is a maintenance connection: the test creates `tenancy_consumer_*` databases on that
// server and drops them at the end. CONSUMER_APPS=cjs (or esm) runs one app. Exit code 0 when every
// step passed; 1 naming the failed step (the temp folder, with every step's log, is kept; CONSUMER_KEEP=1
// keeps it on success too).
/* global setTimeout, clearTimeout, Buffer */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const templates = fileURLToPath(new URL('.', import.meta.url));
const SECONDS = 1000;
const MINUTES = 60 * SECONDS;
const started = Date.now();

/** A step that failed: its name is the one-line reason of the exit code. */
class StepError extends Error {
  /** @param {string} step @param {string} message @param {string} [log] */
  constructor(step, message, log) {
    super(message);
    this.step = step;
    this.log = log;
  }
}

const elapsed = (since) => `${((Date.now() - since) / SECONDS).toFixed(1)} s`;
const say = (line) => process.stdout.write(`[consumer] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// processes

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();

/** Stops a child and everything it started (its own process group). */
function killTree(child, signal = 'SIGTERM') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * A clean environment: nothing of a parent `npm run` or Vitest leaks into the apps' commands, and
 * no colours in their logs.
 */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|NPM_|INIT_CWD$|NODE_OPTIONS$|NODE_ENV$|VITEST|DATABASE_URL$|FORCE_COLOR$)/.test(key)) {
      env[key] = value;
    }
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * Runs a command to its end within `timeout` ms; its output goes to `logFile`. Resolves with its
 * output (stdout and stderr as they came) and its stdout; rejects with the output on a non-zero exit
 * or a timeout.
 *
 * @param {string} command @param {string[]} args
 * @param {{ cwd: string, env?: Record<string, string>, timeout: number, logFile: string }} options
 * @returns {Promise<{ output: string, stdout: string }>}
 */
function run(command, args, { cwd, env = cleanEnv(), timeout, logFile }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let output = `$ ${command} ${args.join(' ')}\n  (in ${cwd})\n`;
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child);
      setTimeout(() => killTree(child, 'SIGKILL'), 5 * SECONDS).unref();
    }, timeout);
    child.once('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      writeFileSync(logFile, output);
      reject(new Error(`${command} could not start: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      writeFileSync(logFile, output);
      if (timedOut) {
        reject(Object.assign(new Error(`timed out after ${timeout / SECONDS} s`), { output }));
      } else if (code !== 0) {
        reject(Object.assign(new Error(`exited ${code ?? signal}`), { output }));
      } else {
        resolve({ output, stdout });
      }
    });
  });
}

const tail = (text, lines = 40) => text.trimEnd().split('\n').slice(-lines).join('\n');

// ---------------------------------------------------------------------------------------------
// the README: one source for the apps' files, install lines and commands

/**
 * Reads the README's consumer blocks: each fenced block right after `<!-- consumer: KEY -->`.
 * KEY is a file path of the app, `install` (npm install lines) or `commands` (the shell session).
 */
function readmeBlocks() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const files = new Map();
  const install = [];
  let commands;
  for (const [, key, body] of readme.matchAll(/^<!-- consumer: (\S+) -->\n```[a-z]*\n([\s\S]*?)^```$/gm)) {
    if (key === 'install') {
      install.push(...lines(body));
    } else if (key === 'commands') {
      if (commands) {
        throw new Error('README.md has two `consumer: commands` blocks');
      }
      commands = lines(body);
    } else {
      if (files.has(key)) {
        throw new Error(`README.md has two blocks for ${key}`);
      }
      files.set(key, body);
    }
  }
  const markers = readme.match(/<!-- consumer:/g)?.length ?? 0;
  const read = files.size + (commands ? 1 : 0) + readme.match(/<!-- consumer: install -->/g)?.length;
  if (markers !== read) {
    throw new Error(`README.md has ${markers} consumer markers but ${read} are followed by a code block`);
  }
  for (const needed of ['src/main.ts', 'src/app.module.ts', 'tenancy.config.mjs']) {
    if (!files.has(needed)) {
      throw new Error(`README.md has no \`<!-- consumer: ${needed} -->\` block`);
    }
  }
  if (install.length === 0 || !commands) {
    throw new Error('README.md needs `<!-- consumer: install -->` and `<!-- consumer: commands -->` blocks');
  }
  return { files, install, commands };
}

/** The lines of a shell block, without comments and blank lines. */
function lines(body) {
  return body
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Exact versions of the repo's installed packages (package-lock.json), so that CI is reproducible. */
function pinnedVersions() {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  return (name) => {
    const version = lock.packages?.[`node_modules/${name}`]?.version;
    if (!version) {
      throw new Error(`${name} is not installed in this repo (package-lock.json): add it, so that its version is pinned`);
    }
    return version;
  };
}

/**
 * The app's package.json: the template's, each `*` pinned, plus the packages of the README's
 * `npm install` lines (`-D` ones as devDependencies), nestjs-tenancy from the tarball.
 */
function appPackageJson(template, install, tarball, versionOf) {
  const pkg = JSON.parse(readFileSync(template, 'utf8'));
  for (const field of ['dependencies', 'devDependencies']) {
    for (const name of Object.keys(pkg[field] ?? {})) {
      if (pkg[field][name] === '*') {
        pkg[field][name] = versionOf(name);
      }
    }
  }
  for (const line of install) {
    const [npm, verb, ...words] = line.split(/\s+/);
    if (npm !== 'npm' || !['install', 'i'].includes(verb)) {
      throw new Error(`README install line is not an npm install: ${line}`);
    }
    const dev = words.some((word) => word === '-D' || word === '--save-dev');
    for (const name of words.filter((word) => !word.startsWith('-'))) {
      const field = dev ? 'devDependencies' : 'dependencies';
      pkg[field] ??= {};
      pkg[field][name] = name === 'nestjs-tenancy' ? `file:${tarball}` : versionOf(name);
    }
  }
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const maintenanceUrl = process.env.DATABASE_URL;

/** Runs one statement on the maintenance database with psql. */
function psql(sql, logFile) {
  return run('psql', [maintenanceUrl, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], {
    cwd: root,
    timeout: 30 * SECONDS,
    logFile,
  });
}

function databaseUrl(database) {
  const url = new URL(maintenanceUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A free TCP port for the app. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP checks

/**
 * GET/POST with a Host header; the answer's status, content type and JSON body. node:http, since
 * fetch sends the URL's host whatever Host header it is given.
 */
function request(port, host, path, { method = 'GET', body } = {}) {
  const payload = body ? JSON.stringify(body) : undefined;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        headers: {
          host,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 10 * SECONDS,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode, type: response.headers['content-type'] ?? '', json, text });
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${method} ${path} at ${host}: no answer within 10 s`)));
    req.once('error', reject);
    req.end(payload);
  });
}

function expect(condition, what, answer) {
  if (!condition) {
    throw new Error(`${what}; got ${answer ? `${answer.status} ${answer.text.slice(0, 300)}` : 'nothing'}`);
  }
}

/** An error answer as the README promises: JSON `{ statusCode, error, message }` with this status. */
function expectErrorJson(answer, status, what) {
  expect(answer.status === status, `${what}: expected ${status}`, answer);
  expect(answer.type.startsWith('application/json'), `${what}: expected a JSON answer`, answer);
  const { statusCode, error, message } = answer.json ?? {};
  expect(
    statusCode === status && typeof error === 'string' && typeof message === 'string',
    `${what}: expected { statusCode: ${status}, error, message }`,
    answer,
  );
}

// ---------------------------------------------------------------------------------------------
// one app

/**
 * @param {{ name: string, work: string, tarball: string, readme: ReturnType<typeof readmeBlocks>,
 *   versionOf: (name: string) => string, cleanup: (() => Promise<void>)[] }} context
 */
async function testApp({ name, work, tarball, readme, versionOf, cleanup }) {
  const app = join(work, name);
  const logs = join(work, 'logs');
  let stepNumber = 0;
  const step = async (title, fn) => {
    const label = `${name}: ${title}`;
    const logFile = join(logs, `${name}-${String(++stepNumber).padStart(2, '0')}-${title.replace(/[^a-z0-9]+/gi, '-')}.log`);
    const since = Date.now();
    say(`${label} …`);
    try {
      const result = await fn(logFile);
      say(`${label}: ok (${elapsed(since)})`);
      return result;
    } catch (error) {
      throw new StepError(label, error instanceof Error ? error.message : String(error), error?.output);
    }
  };
  const sh = (command, args, logFile, timeout, env) => run(command, args, { cwd: app, timeout, logFile, env });

  await step('write the app (template + README blocks)', async () => {
    cpSync(join(templates, name), app, { recursive: true });
    const install = readme.install;
    writeFileSync(join(app, 'package.json'), appPackageJson(join(templates, name, 'package.json'), install, tarball, versionOf));
    for (const [path, content] of readme.files) {
      mkdirSync(dirname(join(app, path)), { recursive: true });
      writeFileSync(join(app, path), content);
    }
  });

  await step('npm install (tarball + peers, pinned)', (log) =>
    sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], log, 6 * MINUTES),
  );
  await step('package checks (files, bin, no links into the repo)', () => checkInstalledPackage(app));

  const env = cleanEnv({ DATABASE_URL: '' });
  const database = `tenancy_consumer_${name}_${process.pid}`;
  await step(`create database ${database}`, async (log) => {
    await psql(`drop database if exists ${database} with (force)`, log);
    cleanup.push(() => psql(`drop database if exists ${database} with (force)`, join(logs, `${name}-drop-database.log`)));
    await psql(`create database ${database}`, log);
    env.DATABASE_URL = databaseUrl(database);
  });

  const hosts = [];
  let built = 0;
  for (const line of readme.commands) {
    const words = line.split(/\s+/);
    if (/['"$`\\|;&<>]/.test(line.replace(/^export \w+=\S+$/, ''))) {
      throw new StepError(`${name}: README commands`, `unsupported shell syntax in: ${line}`);
    }
    if (words[0] === 'export') {
      continue; // the test's own DATABASE_URL
    }
    if (line === 'npm run build') {
      await step(`npm run build (tsc) #${++built}`, (log) => sh('npm', ['run', 'build'], log, 3 * MINUTES, env));
      if (built === 1) {
        await step('type-check src and test (tsc --noEmit)', (log) =>
          sh('npx', ['--no-install', 'tsc', '--noEmit', '-p', 'tsconfig.json'], log, 3 * MINUTES, env),
        );
        if (existsSync(join(app, 'tsconfig.node10.json'))) {
          // `"module": "commonjs"` of the Nest 10 and 11 starters, which TypeScript 5 resolves the node10 way
          await step('type-check with node10 resolution (tsconfig.node10.json)', (log) =>
            sh('npx', ['--no-install', 'tsc', '-p', 'tsconfig.node10.json'], log, 3 * MINUTES, env),
          );
        }
      }
    } else if (words[0] === 'npx' && words[1] === 'tenancy') {
      await step(line, async (log) => {
        const set = words.includes('--shared') ? 'shared' : 'tenant';
        const migrationsOf = () => {
          const folder = join(app, 'src/migrations', set);
          return existsSync(folder) ? readdirSync(folder).filter((file) => file.endsWith('.ts')).length : 0;
        };
        const before = migrationsOf();
        const { output } = await sh('npx', ['--no-install', ...words.slice(1)], log, 2 * MINUTES, env);
        if (words[2] === 'migration:create' && migrationsOf() !== before + 1) {
          throw Object.assign(new Error(`no new migration in src/migrations/${set}`), { output });
        }
        if (words[2] === 'tenant:create') {
          const domain = words[words.indexOf('--domain') + 1];
          hosts.push({ schema: words[3], host: domain });
        }
      });
    } else if (line === 'npm run start:prod') {
      await serveAndCheck({ name, app, env, hosts, step, cleanup, logs });
    } else {
      throw new StepError(`${name}: README commands`, `the consumer test does not know how to run: ${line}`);
    }
  }
  if (hosts.length < 2) {
    throw new StepError(`${name}: README commands`, 'the commands create fewer than two tenants');
  }

  await step('npm test (its own Vitest test, nestjs-tenancy/testing)', (log) =>
    sh('npm', ['test'], log, 3 * MINUTES, env).then(({ output }) => {
      if (!/Tests\s+\d+ passed/.test(output)) {
        throw Object.assign(new Error('Vitest ran no passing test'), { output });
      }
    }),
  );
}

/**
 * The installed package as npm unpacked it: a copy (not a link into the repo), its bin, and every
 * file its package.json and declaration maps point to.
 */
function checkInstalledPackage(app) {
  const installed = join(app, 'node_modules/nestjs-tenancy');
  if (!relative(root, realpathSync(installed)).startsWith('..')) {
    throw new Error(`node_modules/nestjs-tenancy points into the repo (${realpathSync(installed)})`);
  }
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  const missing = [];
  const targets = (value) => (typeof value === 'string' ? [value] : Object.values(value ?? {}).flatMap(targets));
  for (const target of [...targets(pkg.exports), ...targets(pkg.bin), ...targets(pkg.main), ...targets(pkg.types)]) {
    if (!existsSync(join(installed, target))) {
      missing.push(`${target} (package.json)`);
    }
  }
  const maps = readdirSync(join(installed, 'dist'), { recursive: true }).filter((file) => file.endsWith('.d.ts.map'));
  for (const map of maps) {
    const { sources } = JSON.parse(readFileSync(join(installed, 'dist', map), 'utf8'));
    for (const source of sources) {
      if (!existsSync(join(installed, 'dist', dirname(map), source))) {
        missing.push(`${join('dist', dirname(map), source)} (dist/${map})`);
      }
    }
  }
  if (missing.length > 0) {
    throw new Error(`the package lacks files it points to: ${[...new Set(missing)].slice(0, 10).join(', ')}`);
  }
  const bin = join(app, 'node_modules/.bin/tenancy');
  if (!existsSync(bin) || !readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node')) {
    throw new Error('node_modules/.bin/tenancy is missing or has no #!/usr/bin/env node line');
  }
}

/** `npm run start:prod` with a free PORT, then the HTTP checks, then a clean stop. */
async function serveAndCheck({ name, app, env, hosts, step, cleanup, logs }) {
  const port = await freePort();
  const logFile = join(logs, `${name}-server.log`);
  let output = '';
  let exited;
  const server = await step(`start the app (node dist/main.js, PORT=${port})`, async () => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: app,
      env: { ...env, PORT: String(port) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    cleanup.push(async () => stop(child));
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('close', (code, signal) => {
      exited = code ?? signal;
      children.delete(child);
      writeFileSync(logFile, output);
    });
    const deadline = Date.now() + 60 * SECONDS;
    for (;;) {
      if (exited !== undefined) {
        throw Object.assign(new Error(`the app exited (${exited}) before answering`), { output });
      }
      const answer = await request(port, 'localhost', '/health').catch(() => undefined);
      if (answer?.status === 200 && answer.json?.status === 'ok') {
        return child;
      }
      if (Date.now() > deadline) {
        throw Object.assign(new Error('the app did not answer GET /health with 200 within 60 s'), { output });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  await step(`each tenant's host answers its own data (${hosts.map((h) => h.host).join(', ')})`, async () => {
    for (const { schema, host } of hosts) {
      const created = await request(port, host, '/notes', { method: 'POST', body: { text: `hello from ${schema}` } });
      expect(created.status === 201 && created.json?.text === `hello from ${schema}`, `POST /notes at ${host}`, created);
    }
    for (const { schema, host } of hosts) {
      const list = await request(port, host, '/notes');
      expect(list.status === 200, `GET /notes at ${host}: expected 200`, list);
      const texts = list.json?.notes?.map((note) => note.text);
      expect(
        list.json?.tenant === schema && JSON.stringify(texts) === JSON.stringify([`hello from ${schema}`]),
        `GET /notes at ${host}: expected tenant ${schema} and only its own note`,
        list,
      );
    }
  });

  await step('unknown host answers 404 JSON, malformed host 400 JSON', async () => {
    expectErrorJson(await request(port, 'nobody.localhost', '/notes'), 404, 'unknown host nobody.localhost');
    expectErrorJson(await request(port, 'acme..localhost', '/notes'), 400, 'malformed host acme..localhost');
    expectErrorJson(await request(port, 'bad_host!', '/notes'), 400, 'malformed host bad_host!');
  });

  await step('stop the app', async () => {
    await stop(server);
    if (exited !== 0 && exited !== 'SIGTERM') {
      throw Object.assign(new Error(`the app exited ${exited} on SIGTERM`), { output });
    }
  });
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => killTree(child, 'SIGKILL'), 10 * SECONDS);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    killTree(child);
  });
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  if (!maintenanceUrl) {
    say('DATABASE_URL is required: a PostgreSQL server where this test may create and drop databases');
    say('  e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres node test/consumer/run.mjs');
    return 2;
  }
  const apps = (process.env.CONSUMER_APPS ?? 'cjs,esm').split(',').filter(Boolean);
  const work = mkdtempSync(join(tmpdir(), 'nestjs-tenancy-consumer-'));
  mkdirSync(join(work, 'logs'));
  say(`node ${process.version}; apps: ${apps.join(', ')}; work folder ${work}`);
  /** @type {(() => Promise<void>)[]} */
  const cleanup = [];
  const cleanUp = async () => {
    for (const task of cleanup.reverse()) {
      await task().catch((error) => say(`cleanup: ${error.message}`));
    }
    cleanup.length = 0;
    for (const child of children) {
      killTree(child, 'SIGKILL');
    }
  };
  const interrupted = (signal) => {
    say(`${signal}: cleaning up (work folder kept: ${work})`);
    void cleanUp().finally(() => process.exit(1));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const readme = (() => {
      try {
        return readmeBlocks();
      } catch (error) {
        throw new StepError('read the README consumer blocks', error.message);
      }
    })();
    say(`README: ${readme.files.size} files, ${readme.install.length} install lines, ${readme.commands.length} commands`);
    const versionOf = pinnedVersions();

    const since = Date.now();
    say('npm run pack …');
    const packLog = join(work, 'logs', 'pack.log');
    const packed = await run('npm', ['run', '--silent', 'pack'], { cwd: root, timeout: 5 * MINUTES, logFile: packLog }).catch(
      (error) => {
        throw new StepError('npm run pack', error.message, error.output);
      },
    );
    const built = packed.stdout.trimEnd().split('\n').at(-1).trim();
    if (!built.endsWith('.tgz') || !existsSync(built)) {
      throw new StepError('npm run pack', `its last line is not a tarball: ${built}`, packed.output);
    }
    const tarball = join(work, basename(built));
    copyFileSync(built, tarball);
    say(`npm run pack: ok (${elapsed(since)}): ${basename(built)}`);

    for (const name of apps) {
      if (!existsSync(join(templates, name, 'package.json'))) {
        throw new StepError(name, `no template test/consumer/${name}`);
      }
      const appSince = Date.now();
      await testApp({ name, work, tarball, readme, versionOf, cleanup });
      say(`${name}: passed (${elapsed(appSince)})`);
    }
    await cleanUp();
    if (process.env.CONSUMER_KEEP) {
      say(`work folder kept (CONSUMER_KEEP): ${work}`);
    } else {
      rmSync(work, { recursive: true, force: true });
    }
    say(`passed: ${apps.join(', ')} (${elapsed(started)})`);
    return 0;
  } catch (error) {
    await cleanUp();
    if (error instanceof StepError) {
      if (error.log) {
        process.stdout.write(`${tail(error.log)}\n`);
      }
      say(`FAILED at step "${error.step}": ${error.message}`);
    } else {
      say(`FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    }
    say(`work folder kept (apps and logs/ of every step): ${work}`);
    return 1;
  }
}

process.exitCode = await main();
