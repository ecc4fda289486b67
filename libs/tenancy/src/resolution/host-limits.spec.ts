import { describe, expect, it } from 'vitest';
import { InvalidHostError } from '../tenancy.errors.js';
import { normalizeHost, parseDomain } from './host.js';

/** A valid host name of exactly `length` characters (labels of at most 63). */
function hostOfLength(length: number): string {
  const labels: string[] = [];
  let left = length;
  while (left > 64) {
    labels.push('a'.repeat(63));
    left -= 64;
  }
  labels.push('b'.repeat(left));
  return labels.join('.');
}

describe('normalizeHost at its limits', () => {
  it('takes a Host value of up to 300 characters, surrounding spaces included', () => {
    const host = hostOfLength(200);
    expect(normalizeHost(`${' '.repeat(100 - 1)}${host} `)).toBe(host);
    expect(normalizeHost(`${' '.repeat(100)}${host} `)).toBeUndefined();
    expect(normalizeHost(' Acme.Example.com ')).toBe('acme.example.com');
  });

  it('takes a name of up to 253 characters, not counting the trailing dot', () => {
    expect(hostOfLength(253)).toHaveLength(253);
    expect(normalizeHost(hostOfLength(253))).toBe(hostOfLength(253));
    expect(normalizeHost(`${hostOfLength(253)}.`)).toBe(hostOfLength(253));
    expect(normalizeHost(hostOfLength(254))).toBeUndefined();
  });

  it('takes labels of 1 to 63 letters, digits, - and _, not starting or ending with -', () => {
    expect(normalizeHost(`${'a'.repeat(63)}.com`)).toBe(`${'a'.repeat(63)}.com`);
    expect(normalizeHost('a.b.c')).toBe('a.b.c');
    expect(normalizeHost('_dmarc.x-1.example')).toBe('_dmarc.x-1.example');
    expect(normalizeHost('a_.b')).toBe('a_.b');
    expect(normalizeHost('acme.com..')).toBeUndefined();
    expect(normalizeHost('acme.com-')).toBeUndefined();
    expect(normalizeHost('acmé.com')).toBeUndefined();
  });

  it('takes ports 0 to 65535, of one to five digits', () => {
    expect(normalizeHost('acme.com:65535')).toBe('acme.com');
    expect(normalizeHost('acme.com:0')).toBe('acme.com');
    expect(normalizeHost('acme.com:65536')).toBeUndefined();
    expect(normalizeHost('acme.com:000080')).toBeUndefined();
    expect(normalizeHost('acme.com:')).toBeUndefined();
    expect(normalizeHost('[::1]:65536')).toBeUndefined();
  });

  it('takes bracketed IPv6 literals only, in canonical form', () => {
    expect(normalizeHost('[::FFFF:1.2.3.4]')).toBe('[::ffff:102:304]');
    expect(normalizeHost('[0:0:0:0:0:0:0:1]:8080')).toBe('[::1]');
    expect(normalizeHost('[1.2.3.4]')).toBeUndefined();
    expect(normalizeHost('[::1')).toBeUndefined();
    expect(normalizeHost('[]')).toBeUndefined();
  });
});

describe('parseDomain', () => {
  it('refuses a port, also on an IPv6 literal and before trailing spaces', () => {
    for (const raw of ['acme.com:80', 'acme.com.:80', 'acme.com:80 ', '[::1]:80']) {
      expect(() => parseDomain(raw), raw).toThrow(InvalidHostError);
    }
  });

  it('takes IPv6 literals and names without a port', () => {
    expect(parseDomain('[::1]')).toBe('[::1]');
    expect(parseDomain('[2001:DB8::1]')).toBe('[2001:db8::1]');
    expect(parseDomain(' Acme.com ')).toBe('acme.com');
  });

  it('says what a domain must look like, quoting the value', () => {
    expect(() => parseDomain('acme.com:80')).toThrow('Invalid domain "acme.com:80": give a host name such as "acme.example.com"');
    expect(() => parseDomain(undefined)).toThrow('Invalid domain undefined');
    expect(() => parseDomain('')).toThrow(InvalidHostError);
  });
});
