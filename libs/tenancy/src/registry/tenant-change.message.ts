import { normalizeHost } from '../resolution/host.js';
import type { TenantChange } from './tenant.registry.js';

/**
 * Most hosts one change message may carry: a NOTIFY payload holds under 8,000 bytes, so the
 * notifier sends longer lists in several messages.
 */
export const MAX_MESSAGE_HOSTS = 25;

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;
const ORIGIN = /^[0-9a-f-]{36}$/;
const FIELDS = new Set(['origin', 'tenantId', 'hosts', 'schema']);

/** A change message as the notifier sends it on the channel. */
export interface TenantChangeMessage extends TenantChange {
  /** The process that made the change (it has applied it already). */
  origin: string;
}

/**
 * Reads a notification payload. Anyone with a database session can `NOTIFY` the channel, so every
 * field is checked and a message with anything unexpected is refused as a whole (a reason is
 * returned instead): a JSON object with `origin` (a UUID) and at least one of `tenantId` (a
 * positive integer), `hosts` (at most {@link MAX_MESSAGE_HOSTS} host names in stored form) and
 * `schema` (a schema name).
 */
export function parseTenantChangeMessage(payload: string | undefined): TenantChangeMessage | { rejected: string } {
  if (payload === undefined || payload.length > 8_000) {
    return { rejected: 'no payload, or one over 8,000 characters' };
  }
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { rejected: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { rejected: 'not a JSON object' };
  }
  const message = value as Record<string, unknown>;
  const unknown = Object.keys(message).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) {
    return { rejected: `unknown field ${JSON.stringify(unknown[0].slice(0, 40))}` };
  }
  const { origin, tenantId, hosts, schema } = message;
  if (typeof origin !== 'string' || !ORIGIN.test(origin)) {
    return { rejected: 'origin is not a UUID' };
  }
  if (tenantId !== undefined && !(typeof tenantId === 'number' && Number.isSafeInteger(tenantId) && tenantId > 0)) {
    return { rejected: 'tenantId is not a positive integer' };
  }
  if (
    hosts !== undefined &&
    !(
      Array.isArray(hosts) &&
      hosts.length <= MAX_MESSAGE_HOSTS &&
      hosts.every((host) => typeof host === 'string' && normalizeHost(host) === host)
    )
  ) {
    return { rejected: `hosts is not a list of at most ${MAX_MESSAGE_HOSTS} host names` };
  }
  if (schema !== undefined && !(typeof schema === 'string' && SCHEMA.test(schema))) {
    return { rejected: 'schema is not a schema name' };
  }
  if (tenantId === undefined && hosts === undefined && schema === undefined) {
    return { rejected: 'no change in it' };
  }
  return { origin, tenantId, hosts: hosts as string[] | undefined, schema };
}
