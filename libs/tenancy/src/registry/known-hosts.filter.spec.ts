import { describe, expect, it } from 'vitest';
import { KnownHostsFilter } from './known-hosts.filter.js';

describe('KnownHostsFilter', () => {
  it('never forgets a host and rarely claims an unknown one', () => {
    const hosts = Array.from({ length: 10_000 }, (_, i) => `tenant${i}.example.com`);
    const filter = KnownHostsFilter.of(hosts, hosts.length);
    expect(hosts.every((host) => filter.mightContain(host))).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) {
      if (filter.mightContain(`random-${i}-${Math.random().toString(36).slice(2)}.example.com`)) {
        falsePositives++;
      }
    }
    expect(falsePositives).toBeLessThan(500);
  });

  it('learns added hosts', () => {
    const filter = KnownHostsFilter.of([], 0);
    expect(filter.mightContain('acme.localhost')).toBe(false);
    filter.add('acme.localhost');
    expect(filter.mightContain('acme.localhost')).toBe(true);
  });
});
