/**
 * A Bloom filter over every registered domain: `mightContain(host) === false` proves the host is not
 * registered, so the guard answers 404 without a database query. Its size is fixed by the number
 * of domains at build time (16 bits and 6 probes a domain: about 0.1 % false positives).
 */
export class KnownHostsFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private static readonly probes = 6;

  constructor(expected: number) {
    let size = 1 << 16;
    while (size < expected * 16) {
      size *= 2;
    }
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  /** Builds a filter holding `hosts`, with room for growth. */
  static of(hosts: Iterable<string>, count: number): KnownHostsFilter {
    const filter = new KnownHostsFilter(Math.max(count * 2, 1024));
    for (const host of hosts) {
      filter.add(host);
    }
    return filter;
  }

  add(host: string): void {
    const [a, b] = hashes(host);
    for (let i = 0; i < KnownHostsFilter.probes; i++) {
      const bit = (a + i * b) & this.mask;
      this.bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  mightContain(host: string): boolean {
    const [a, b] = hashes(host);
    for (let i = 0; i < KnownHostsFilter.probes; i++) {
      const bit = (a + i * b) & this.mask;
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) {
        return false;
      }
    }
    return true;
  }
}

/** Two independent 32-bit FNV-1a hashes (different offset bases), for double hashing. */
function hashes(value: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a >>> 0, (b >>> 0) | 1];
}
