import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_HOSTS, parseTenantChangeMessage } from './tenant-change.message.js';

const origin = '0b7c8f0e-4f43-4a51-9d65-2b0f5b3c1a77';

describe('parseTenantChangeMessage', () => {
  it('reads the messages the library sends', () => {
    expect(parseTenantChangeMessage(JSON.stringify({ origin, tenantId: 7 }))).toEqual({ origin, tenantId: 7 });
    expect(parseTenantChangeMessage(JSON.stringify({ origin, schema: 'acme', hosts: ['acme.test', 'www.acme.test'] }))).toEqual({
      origin,
      schema: 'acme',
      hosts: ['acme.test', 'www.acme.test'],
    });
  });

  it.each([
    ['no payload', undefined],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"acme"'],
    ['an array', '[{"tenantId":1}]'],
    ['invalid JSON', '{"origin":'],
    ['an empty object', '{}'],
    ['no origin', '{"tenantId":1}'],
    ['an origin that is not a UUID', '{"origin":"x","tenantId":1}'],
    ['an origin of another type', `{"origin":{"a":1},"tenantId":1}`],
    ['no change', `{"origin":"${origin}"}`],
    ['a tenantId string', `{"origin":"${origin}","tenantId":"1"}`],
    ['a negative tenantId', `{"origin":"${origin}","tenantId":-1}`],
    ['a fractional tenantId', `{"origin":"${origin}","tenantId":1.5}`],
    ['hosts not a list', `{"origin":"${origin}","hosts":"acme.test"}`],
    ['a host that is not a string', `{"origin":"${origin}","hosts":[1]}`],
    ['a host not in stored form', `{"origin":"${origin}","hosts":["Acme.TEST:80"]}`],
    ['a host with spaces', `{"origin":"${origin}","hosts":["a b"]}`],
    ['too many hosts', JSON.stringify({ origin, hosts: Array.from({ length: MAX_MESSAGE_HOSTS + 1 }, (_, i) => `h${i}.test`) })],
    ['a schema that is not a schema name', `{"origin":"${origin}","schema":"Acme; drop"}`],
    ['a schema of another type', `{"origin":"${origin}","schema":["acme"]}`],
    ['an unknown field', `{"origin":"${origin}","tenantId":1,"__proto__x":1}`],
    ['a huge payload', `{"origin":"${origin}","schema":"${'a'.repeat(400_000)}"}`],
  ])('refuses %s', (_name, payload) => {
    expect(parseTenantChangeMessage(payload)).toHaveProperty('rejected');
  });
});
