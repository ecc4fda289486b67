import { isIPv6 } from 'node:net';
import { InvalidHostError } from '../tenancy.errors.js';

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const WITH_PORT = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;

/**
 * Normalises a Host header value (or a domain given by a user) to the form domains are stored in:
 * lower case, no port, no trailing dot; IPv6 literals in brackets and canonical form.
 * Returns `undefined` when the value is not a valid host.
 *
 * @example normalizeHost('Acme.Example.com.:8080') // 'acme.example.com'
 */
export function normalizeHost(raw: string | undefined | null): string | undefined {
  if (!raw || raw.length > 300) {
    return undefined;
  }
  const match = WITH_PORT.exec(raw.trim().toLowerCase());
  if (!match) {
    return undefined;
  }
  const [, ipv6, name, port] = match;
  if (port !== undefined && Number(port) > 65535) {
    return undefined;
  }
  if (ipv6 !== undefined) {
    if (!isIPv6(ipv6)) {
      return undefined;
    }
    try {
      return new URL(`http://[${ipv6}]/`).hostname;
    } catch {
      return undefined;
    }
  }
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  if (host.length === 0 || host.length > 253) {
    return undefined;
  }
  const labels = host.split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) {
      return undefined;
    }
  }
  return host;
}

/**
 * Like {@link normalizeHost} for domains given by users (CLI, API): throws
 * {@link InvalidHostError} with the reason instead of returning `undefined`.
 */
export function parseDomain(raw: unknown): string {
  const host = typeof raw === 'string' ? normalizeHost(raw) : undefined;
  // a port after a name (which holds no "[") or after an IPv6 literal's "]"
  if (!host || (typeof raw === 'string' && /(?:^[^[]*|\]):\d+$/.test(raw.trim()))) {
    throw new InvalidHostError(
      `Invalid domain ${JSON.stringify(raw)}: give a host name such as "acme.example.com" (letters, digits, - and _ in dot-separated labels, no port).`,
    );
  }
  return host;
}
