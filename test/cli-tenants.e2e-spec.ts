import type { TenantDetails } from 'nestjs-tenancy';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli, useCliTestContext } from './support/cli.js';
import { uniqueName } from './support/test-app.js';

// `tenant:*` commands and the usage, as real processes
// each test runs up to ten CLI processes (each boots Nest and the ORM): on a loaded two-core
// machine that takes longer than the default minute, so the limit here is larger
describe('tenancy CLI: tenant commands', { timeout: 180_000 }, () => {
  const cli = useCliTestContext();

  describe('tenant commands', () => {
    const exists = async (schema: string, host?: string) => ({
      tenant: (await cli.sql(`select 1 from public.tenant where schema = ?`, [schema])).length > 0,
      schema: (await cli.sql(`select 1 from pg_namespace where nspname = ?`, [schema])).length > 0,
      domain: host ? (await cli.sql(`select 1 from public.domain where host = ?`, [host])).length > 0 : false,
    });

    it('creates a tenant with domains, migrated, and prints it as JSON', async () => {
      const schema = uniqueName('cli_t');
      const host = `${schema.replaceAll('_', '-')}.cli.test`;
      const run = await runCli([
        'tenant:create',
        schema,
        '--domain',
        host,
        '--domain',
        `www.${host}`,
        '--name',
        'CLI Corp',
        '--json',
      ]);
      cli.created(schema);
      expect(run.code, run.stderr).toBe(0);
      const tenant = parseJson<TenantDetails>(run);
      expect(tenant).toMatchObject({
        schema,
        name: 'CLI Corp',
        status: 'active',
        domains: [
          { host, isPrimary: true },
          { host: `www.${host}`, isPrimary: false },
        ],
        migrations: ['Migration20261126182507_initial'],
      });
      expect(await cli.schemasWithColumn([schema], 'project', 'name')).toEqual([schema]);
    });

    it('refuses an invalid schema, a taken schema or a taken domain: exit 1, a clear reason, nothing created', async () => {
      const schema = uniqueName('cli_x');
      const host = `${schema.replaceAll('_', '-')}.cli.test`;
      expect((await runCli(['tenant:create', schema, '--domain', host])).code).toBe(0);
      cli.created(schema);

      const invalid = await runCli(['tenant:create', 'Bad-Name', '--domain', 'bad-name.cli.test']);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toMatch(/^error: Invalid schema name "Bad-Name": .*\n$/);
      expect(await exists('Bad-Name', 'bad-name.cli.test')).toEqual({ tenant: false, schema: false, domain: false });

      const taken = await runCli(['tenant:create', schema, '--domain', `other-${host}`]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(/^error: A tenant with schema ".*" already exists\.\n$/);
      expect((await exists(schema, `other-${host}`)).domain).toBe(false);

      const other = uniqueName('cli_y');
      const domainTaken = await runCli(['tenant:create', other, '--domain', host]);
      expect(domainTaken.code).toBe(1);
      expect(domainTaken.stderr).toMatch(/^error: Domain ".*" is already used by another tenant\.\n$/);
      expect(await exists(other)).toEqual({ tenant: false, schema: false, domain: false });
    });

    it('deletes a tenant, keeping its schema aside, or dropping it with --drop-schema', async () => {
      const [kept, dropped] = [uniqueName('cli_k'), uniqueName('cli_r')];
      for (const schema of [kept, dropped]) {
        expect((await runCli(['tenant:create', schema, '--domain', `${schema.replaceAll('_', '-')}.cli.test`])).code).toBe(0);
        cli.created(schema);
      }
      expect((await runCli(['tenant:delete', kept])).code).toBe(0);
      // the row stays (status deleted) until purged; the schema is renamed aside
      expect(await exists(kept, `${kept.replaceAll('_', '-')}.cli.test`)).toEqual({ tenant: true, schema: false, domain: false });
      expect((await runCli(['purge', '--schema', kept, '--all'])).code).toBe(0);
      expect(await exists(kept)).toEqual({ tenant: false, schema: false, domain: false });
      expect((await runCli(['tenant:delete', dropped, '--drop-schema'])).code).toBe(0);
      expect(await exists(dropped, `${dropped.replaceAll('_', '-')}.cli.test`)).toEqual({
        tenant: false,
        schema: false,
        domain: false,
      });
      const missing = await runCli(['tenant:delete', dropped]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(`error: No tenant has schema "${dropped}".\n`);
    });

    it('prints usage for invalid arguments (exit 1) and for --help (exit 0)', async () => {
      const help = await runCli(['--help']);
      expect(help.code).toBe(0);
      for (const command of [
        'migrate',
        'migrate:status',
        'migrate:down',
        'migration:create',
        'tenant:create',
        'tenant:list',
        'tenant:delete',
      ]) {
        expect(help.stdout).toContain(`  ${command} `);
      }
      const invalid = [
        ['tenant:create'],
        ['tenant:create', 'a', 'b'],
        ['migrate', '--shared', '--tenants'],
        ['migrate', '--concurrency', 'zero'],
        ['migrate', '--no-such-flag'],
        ['no-such-command'],
        ['migrate:down'],
        ['migrate:down', '--shared', '--schema', 'acme'],
        ['migration:create', '--name', 'x'],
      ];
      const runs = await Promise.all(invalid.map((args) => runCli(args)));
      for (const [index, run] of runs.entries()) {
        expect(run.code, invalid[index].join(' ')).toBe(1);
        expect(run.stderr, invalid[index].join(' ')).toMatch(/^error: .*\n[\s\S]*Usage: tenancy /);
      }
    });
  });
});
