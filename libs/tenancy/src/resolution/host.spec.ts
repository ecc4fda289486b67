import { describe, expect, it } from 'vitest';
import { InvalidHostError } from '../tenancy.errors.js';
import { normalizeHost, parseDomain } from './host.js';

describe('normalizeHost', () => {
  it.each([
    ['acme.localhost', 'acme.localhost'],
    ['ACME.Localhost', 'acme.localhost'],
    ['acme.localhost:3000', 'acme.localhost'],
    ['acme.example.com.', 'acme.example.com'],
    ['acme.example.com.:8443', 'acme.example.com'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[::1]:3000', '[::1]'],
    ['[2001:DB8:0:0::1]', '[2001:db8::1]'],
    ['localhost', 'localhost'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeHost(raw)).toBe(expected);
  });

  it.each([
    undefined,
    '',
    ' ',
    'a..b',
    '-acme.com',
    'acme-.com',
    'ac me.com',
    'acme.com:99999',
    'acme.com:port',
    'user@acme.com',
    'acme.com/path',
    '[zz::1]',
    '[fe80::1%1]',
    '[fe80::1%25eth0]:80',
    '::1',
    `${'a'.repeat(64)}.com`,
    'a.'.repeat(140) + 'com',
    '.',
  ])('rejects %j', (raw) => {
    expect(normalizeHost(raw)).toBeUndefined();
  });
});

describe('parseDomain', () => {
  it('normalises', () => {
    expect(parseDomain('Acme.Example.COM.')).toBe('acme.example.com');
  });
  it('rejects a port and garbage', () => {
    expect(() => parseDomain('acme.com:80')).toThrow(InvalidHostError);
    expect(() => parseDomain('not a host')).toThrow(InvalidHostError);
    expect(() => parseDomain(7)).toThrow(InvalidHostError);
  });
});
