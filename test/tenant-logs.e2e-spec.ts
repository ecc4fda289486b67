import { Writable } from 'node:stream';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Controller, Get, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { boundTenant, SharedRoute, TenancyModule, TenancyService, TenantConsoleLogger } from 'nestjs-tenancy';
import { dropTestTenants, migrateTestDatabase } from 'nestjs-tenancy/testing';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

/** Lines the app's logger writes to stdout while `fn` runs. */
async function stdoutOf(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return lines;
}

@Controller()
class LoggingController {
  private readonly logger = new Logger('Projects');

  constructor(private readonly pino: PinoLogger) {}

  @Get('work')
  async work() {
    // yields between the lines, so that concurrent requests interleave
    this.logger.log('first line');
    await new Promise((resolve) => setImmediate(resolve));
    this.logger.warn('second line');
    this.pino.info('pino line');
    return { ok: true };
  }

  @SharedRoute()
  @Get('shared')
  shared() {
    this.logger.log('shared line');
    this.pino.info('pino shared line');
    return { ok: true };
  }
}

const pinoLines: Record<string, unknown>[] = [];

@Module({
  imports: [
    MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)),
    TenancyModule.forRoot({ migrations }),
    // nestjs-pino with the documented mixin
    LoggerModule.forRoot({
      pinoHttp: [
        { mixin: () => ({ tenant: boundTenant()?.schema }), autoLogging: false },
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            pinoLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
            done();
          },
        }),
      ],
    }),
  ],
  controllers: [LoggingController],
})
class LogsTestModule {}

describe('log lines carry the bound tenant', () => {
  const apps: NestFastifyApplication[] = [];
  const acme = uniqueName('log_a');
  const globex = uniqueName('log_g');
  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.logs.test`;

  async function start(json: boolean): Promise<NestFastifyApplication> {
    const app = await NestFactory.create<NestFastifyApplication>(LogsTestModule, new FastifyAdapter(), {
      logger: new TenantConsoleLogger({ json, colors: false, logLevels: ['log', 'warn', 'error'] }),
    });
    apps.push(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  }

  beforeAll(async () => {
    const app = await start(false);
    await migrateTestDatabase(app);
    for (const schema of [acme, globex]) {
      await app.get(TenancyService).createTenant({ schema, domains: [hostOf(schema)] });
    }
  });

  afterEach(() => {
    pinoLines.length = 0;
  });

  afterAll(async () => {
    await dropTestTenants(apps[0], [acme, globex]);
    await Promise.all(apps.map((app) => app.close()));
  });

  it("Nest's Logger, text mode: each line of concurrent requests names its own tenant", async () => {
    const app = apps[0];
    const lines = await stdoutOf(() =>
      Promise.all(
        [acme, globex, acme, globex].map((schema) =>
          app.inject({ method: 'GET', url: '/work', headers: { host: hostOf(schema) } }),
        ),
      ),
    );
    const mine = lines.filter((line) => line.includes('[Projects]'));
    expect(mine).toHaveLength(8);
    for (const schema of [acme, globex]) {
      expect(mine.filter((line) => line.includes(`[Projects] [tenant ${schema}] first line`))).toHaveLength(2);
      expect(mine.filter((line) => line.includes(`[Projects] [tenant ${schema}] second line`))).toHaveLength(2);
    }
    const shared = await stdoutOf(() => app.inject({ method: 'GET', url: '/shared', headers: { host: 'any.logs.test' } }));
    expect(shared.find((line) => line.includes('shared line'))).toMatch(/\[Projects\] shared line$/);
  });

  it("Nest's Logger, JSON mode: a tenant field", async () => {
    const app = await start(true);
    const lines = await stdoutOf(() => app.inject({ method: 'GET', url: '/work', headers: { host: hostOf(globex) } }));
    const records = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.filter((record) => record.context === 'Projects')).toEqual([
      expect.objectContaining({ message: 'first line', tenant: globex }),
      expect.objectContaining({ message: 'second line', tenant: globex }),
    ]);
    const shared = await stdoutOf(() => app.inject({ method: 'GET', url: '/shared', headers: { host: 'any.logs.test' } }));
    const record = shared.map((line) => JSON.parse(line) as Record<string, unknown>).find((r) => r.message === 'shared line');
    expect(record).toBeDefined();
    expect(record).not.toHaveProperty('tenant');
  });

  it('nestjs-pino with the documented mixin, and in run() (jobs, cron)', async () => {
    const app = apps[0];
    await app.inject({ method: 'GET', url: '/work', headers: { host: hostOf(acme) } });
    await app.inject({ method: 'GET', url: '/shared', headers: { host: 'any.logs.test' } });
    const pino = await app.resolve(PinoLogger);
    await app.get(TenancyService).run(globex, () => pino.info('in run'));
    expect(pinoLines.map(({ msg, tenant }) => ({ msg, tenant }))).toEqual([
      { msg: 'pino line', tenant: acme },
      { msg: 'pino shared line', tenant: undefined },
      { msg: 'in run', tenant: globex },
    ]);
  });

  it("the example app (what npm start serves) logs through TenantConsoleLogger: a project's creation names its tenant", async () => {
    const example = await createExampleApp({ databaseUrl: databaseUrl(), seed: false, logger: ['log'], poolSize: 2 });
    apps.push(example);
    const lines = await stdoutOf(() =>
      example.inject({ method: 'POST', url: '/projects', headers: { host: hostOf(acme) }, payload: { name: 'logged' } }),
    );
    // eslint-disable-next-line no-control-regex -- the example logs in colour: compare the text
    const created = lines.map((line) => line.replace(/\u001b\[[0-9;]*m/g, '')).find((line) => line.includes('Created project'));
    expect(created).toMatch(new RegExp(`\\[Projects\\] \\[tenant ${acme}\\] Created project \\d+$`));
  });
});
