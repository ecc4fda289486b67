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
      expect((await runCli(['domain:add', schema, `new.${host}`, '--primary'])).code).toBe(0);
      expect((await runCli(['domain:remove', host])).code).toBe(0);
      const unknownHost = await runCli(['domain:remove', host]);
      expect(unknownHost.code).toBe(1);
      expect(unknownHost.stderr).toBe(`error: Domain "${host}" is not attached to any tenant.\n`);
      expect((await runCli(['tenant:suspend', schema])).code).toBe(0);
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
    });
  });
});
