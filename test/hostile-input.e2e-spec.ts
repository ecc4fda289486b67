// Hostile input (red team, branch redteam-io). Every test here reproduces a confirmed violation of the
// project's rule: bad input gets a clear error (a 4xx with a JSON body { statusCode, error, message }
// over HTTP; one line on stderr and exit code 1 in the CLI, usage for invalid arguments), never a
// 500, a stack trace, a hang, or partial data left behind. They fail until the violations are fixed.
import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, root, runCli } from './support/cli.js';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

/** Sends raw bytes to the app's port and returns the raw response (what a real client gets). */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response in 5 s: ${response}`));
    }, 5000);
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(response);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // write, not end: Node's http server drops a half-closed connection whose answer is still pending
    socket.write(Buffer.from(request, 'latin1'));
  });
}

/** Status and JSON body of a raw HTTP/1.1 response (Content-Length or chunked). */
function parseRaw(response: string): { status: number; body: unknown } {
  const [head, ...rest] = response.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  let text = rest.join('\r\n\r\n');
  if (/transfer-encoding: chunked/i.test(head)) {
    let out = '';
    for (;;) {
      const end = text.indexOf('\r\n');
      const size = parseInt(text.slice(0, end), 16);
      if (!size) {
        break;
      }
      out += text.slice(end + 2, end + 2 + size);
      text = text.slice(end + 2 + size + 2);
    }
    text = out;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status, body };
}

const errorBody = (status: number) => ({ statusCode: status, error: expect.any(String), message: expect.any(String) });

describe('hostile input', () => {
  let app: NestFastifyApplication;
  let port: number;
  let tenancy: TenancyService;
  const schemas: string[] = [];
  const a = { schema: uniqueName('rt_a'), host: '' };
  const b = { schema: uniqueName('rt_b'), host: '' };

  beforeAll(async () => {
    await ensureCliBuilt();
    app = await createTestApp(4);
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
    tenancy = app.get(TenancyService);
    for (const tenant of [a, b]) {
      tenant.host = `${tenant.schema.replaceAll('_', '-')}.hostile.test`;
      await tenancy.createTenant({ schema: tenant.schema, domains: [tenant.host] });
      schemas.push(tenant.schema);
    }
  });

  afterAll(async () => {
    for (const schema of schemas) {
      await tenancy?.deleteTenant(schema, { dropSchema: true }).catch(() => undefined);
    }
    await app?.close();
  });

  describe('HTTP: errors raised by Fastify before the handler', () => {
    // Fastify's content-type parser / body limit errors reach Nest as `new HttpException(message, status)`
    // (a string response), which Nest answers { statusCode, message }: no `error`.
    const cases: [string, () => Parameters<NestFastifyApplication['inject']>[0]][] = [
      [
        'invalid JSON on POST /projects',
        () => ({
          method: 'POST',
          url: '/projects',
          headers: { host: a.host, 'content-type': 'application/json' },
          payload: '{"name":',
        }),
      ],
      [
        'a __proto__ key on POST /signup',
        () => ({
          method: 'POST',
          url: '/signup',
          headers: { host: 'any.hostile.test', 'content-type': 'application/json' },
          payload: '{"__proto__":{"schema":"evil"},"schema":"rt_proto","name":"x","domain":"rt-proto.hostile.test"}',
        }),
      ],
      [
        'a constructor.prototype key on POST /signup',
        () => ({
          method: 'POST',
          url: '/signup',
          headers: { host: 'any.hostile.test', 'content-type': 'application/json' },
          payload: '{"constructor":{"prototype":{"x":1}},"schema":"rt_ctor","name":"x","domain":"rt-ctor.hostile.test"}',
        }),
      ],
      [
        'an empty body with content-type application/json',
        () => ({ method: 'POST', url: '/projects', headers: { host: a.host, 'content-type': 'application/json' }, payload: '' }),
      ],
      [
        'an unsupported content-type (415)',
        () => ({
          method: 'POST',
          url: '/projects',
          headers: { host: a.host, 'content-type': 'application/xml' },
          payload: '<a/>',
        }),
      ],
      [
        'a 10 MB body (413)',
        () => ({
          method: 'POST',
          url: '/projects',
          headers: { host: a.host, 'content-type': 'application/json' },
          payload: JSON.stringify({ name: 'x'.repeat(10 * 1024 * 1024) }),
        }),
      ],
    ];

    it.each(cases)('%s answers a 4xx with { statusCode, error, message }', async (_name, request) => {
      const response = await app.inject(request());
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(response.json()).toEqual(errorBody(response.statusCode));
    });

    it('leaves nothing of the rejected signups behind', async () => {
      expect(await sql(app, `select schema from public.tenant where schema in ('rt_proto', 'rt_ctor', 'evil')`)).toEqual([]);
      expect(await sql(app, `select nspname from pg_namespace where nspname in ('rt_proto', 'rt_ctor', 'evil')`)).toEqual([]);
    });
  });

  describe('HTTP: Host headers on the wire', () => {
    it("answers 400 to a request with two Host headers (RFC 9112 §3.2), not the first host's tenant", async () => {
      // Node keeps the first Host line and drops the second: the app serves tenant a, while a
      // proxy in front that routes by the last line believes it talks to tenant b.
      const raw = await rawRequest(
        port,
        `GET /whoami HTTP/1.1\r\nHost: ${a.host}\r\nHost: ${b.host}\r\nConnection: close\r\n\r\n`,
      );
      const response = parseRaw(raw);
      expect(response).toEqual({ status: 400, body: errorBody(400) });
    });

    it('answers an HTTP/1.1 request without Host with a JSON 400 body', async () => {
      // Node's http server (requireHostHeader) answers 400 with an empty body before Fastify sees it
      const response = parseRaw(await rawRequest(port, 'GET /whoami HTTP/1.1\r\nConnection: close\r\n\r\n'));
      expect(response).toEqual({ status: 400, body: errorBody(400) });
    });

    it("does not serve the Host header's tenant when the absolute-form target names another host", async () => {
      // RFC 9112 §3.2.2: the authority of an absolute-form target wins over Host. The resolver reads
      // Host only, so `GET http://b/whoami` with `Host: a` is answered as tenant a.
      const response = parseRaw(
        await rawRequest(port, `GET http://${b.host}/whoami HTTP/1.1\r\nHost: ${a.host}\r\nConnection: close\r\n\r\n`),
      );
      if (response.status === 200) {
        expect((response.body as { tenant: { schema: string } }).tenant.schema).toBe(b.schema);
      } else {
        expect(response).toEqual({ status: 400, body: errorBody(400) });
      }
    });
  });

  describe('HTTP: POST /signup', () => {
    it('rejects a domain with a port when the host is an IPv6 literal', async () => {
      const schema = uniqueName('rt_v6');
      const response = await app.inject({
        method: 'POST',
        url: '/signup',
        headers: { host: 'any.hostile.test' },
        payload: { schema, name: 'x', domain: '[fd00::5]:8080' },
      });
      if (response.statusCode === 201) {
        schemas.push(schema);
      }
      // "x.t:8080" is refused ("no port"); "[fd00::5]:8080" is accepted and silently stored as "[fd00::5]"
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual(errorBody(400));
    });
  });

  describe('HTTP: a tenant deleted by another process', () => {
    it('answers a request for a tenant whose schema the CLI just dropped with 404, not 500', async () => {
      const schema = uniqueName('rt_del');
      const host = `${schema.replaceAll('_', '-')}.hostile.test`;
      await tenancy.createTenant({ schema, domains: [host] });
      schemas.push(schema);
      // the app resolves (and caches) the tenant
      expect((await app.inject({ method: 'GET', url: '/projects', headers: { host } })).statusCode).toBe(200);
      const run = await runCli(['tenant:delete', schema, '--drop-schema']);
      expect(run.code, run.stderr).toBe(0);
      // the cached tenant is bound for up to cache.ttl (60 s): its queries hit a dropped schema
      // (TableNotFoundException, 42P01), which the app answers 500
      for (const request of [
        { method: 'GET' as const, url: '/projects' },
        { method: 'GET' as const, url: '/projects/1' },
        { method: 'POST' as const, url: '/projects', payload: { name: 'p' } },
      ]) {
        const response = await app.inject({ ...request, headers: { host } });
        expect(response.statusCode, `${request.method} ${request.url}: ${response.body}`).toBeLessThan(500);
        expect(response.json()).toEqual(errorBody(response.statusCode));
      }
    });
  });

  describe('CLI', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(root, 'dist', 'hostile-config-'));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('--config without a value prints the usage, like any other option missing its value', async () => {
      const run = await runCli(['tenant:list', '--config']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: .*config/);
      expect(run.stderr).toMatch(/Usage: /);
    });

    it('--config= (empty) is an invalid argument, not an attempt to import the working directory', async () => {
      const run = await runCli(['tenant:list', '--config=']);
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/Directory import/);
      expect(run.stderr).toMatch(/Usage: /);
    });

    it('a config file that throws null says that the config failed to load', async () => {
      const file = join(dir, 'throws-null.mjs');
      await writeFile(file, 'throw null;\n');
      const run = await runCli(['tenant:list', '--config', file]);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      // today: "error: Cannot read properties of null (reading 'code')" (the loader's own TypeError)
      expect(run.stderr).toMatch(/throws-null\.mjs failed to load/);
    });

    it('tenant:create refuses a domain with a port on an IPv6 literal and creates nothing', async () => {
      const schema = uniqueName('rt_cli_v6');
      const run = await runCli(['tenant:create', schema, '--domain', '[fd00::6]:80']);
      if (run.code === 0) {
        schemas.push(schema);
      }
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: Invalid domain/);
      expect(await sql(app, 'select 1 from public.tenant where schema = ?', [schema])).toEqual([]);
      expect(await sql(app, 'select 1 from pg_namespace where nspname = ?', [schema])).toEqual([]);
    });
  });
});
