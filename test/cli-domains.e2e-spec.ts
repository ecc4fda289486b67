import { describe, expect, it } from 'vitest';
import { parseJson, runCli, useCliTestContext } from './support/cli.js';
import { uniqueName } from './support/test-app.js';

// `domain:*` commands (with tenant:suspend/resume and tenant:list around them), as real processes
describe('tenancy CLI: domain commands', () => {
  const cli = useCliTestContext();

  describe('domain commands', () => {
    it('manages domains and status, and lists tenants with their migration state', async () => {
      const schema = uniqueName('cli_d');
      const host = `${schema.replaceAll('_', '-')}.cli.test`;
      expect((await runCli(['tenant:create', schema, '--domain', host])).code).toBe(0);
      cli.created(schema);
      const added = await runCli(['domain:add', schema, `NEW.${host}`, '--primary', '--json']);
      expect(added.code, added.stderr).toBe(0);
      const withBoth = parseJson<{ schema: string; domains: { host: string; isPrimary: boolean }[] }>(added);
      expect(withBoth.schema).toBe(schema);
      expect(
        withBoth.domains.map(({ host, isPrimary }) => ({ host, isPrimary })).sort((a, b) => a.host.localeCompare(b.host)),
      ).toEqual(
        [
          { host, isPrimary: false },
          { host: `new.${host}`, isPrimary: true },
        ].sort((a, b) => a.host.localeCompare(b.host)),
      );
      const removed = await runCli(['domain:remove', host.toUpperCase(), '--json']);
      expect(removed.code, removed.stderr).toBe(0);
      expect(parseJson(removed)).toEqual({ host, removed: true });
      const unknownHost = await runCli(['domain:remove', host, '--json']);
      expect(unknownHost.code).toBe(1);
      expect(unknownHost.stdout).toBe('');
      expect(unknownHost.stderr).toBe(`error: Domain "${host}" is not attached to any tenant.\n`);
      const suspended = await runCli(['tenant:suspend', schema, '--reason', 'audit', '--json']);
      expect(suspended.code, suspended.stderr).toBe(0);
      expect(parseJson(suspended)).toMatchObject({ schema, status: 'suspended', suspension: { reason: 'audit' } });
      const list = await runCli(['tenant:list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const entry = parseJson<{ tenants: { schema: string }[] }>(list).tenants.find((t) => t.schema === schema);
      expect(entry).toMatchObject({
        status: 'suspended',
        domains: [{ host: `new.${host}`, isPrimary: true }],
        migrations: { applied: ['Migration20261126182507_initial'], pending: [] },
      });
      const resume = await runCli(['tenant:resume', schema]);
      expect(resume.code).toBe(0);
      expect(resume.stdout).toMatch(/\(id \d+, active\)/);
      expect((await runCli(['tenant:suspend', schema])).code).toBe(0);
      const resumed = await runCli(['tenant:resume', schema, '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(parseJson(resumed)).toMatchObject({ schema, status: 'active' });
      expect(parseJson(resumed)).not.toHaveProperty('suspension');
    });
  });
});
