import { ConnectionException } from '@mikro-orm/core';

const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const SERVER_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i;

/**
 * Whether an error means the database cannot be reached right now (answered 503), as opposed to a
 * bad statement or bad data: connection refused or dropped, server shutting down or full.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      current instanceof ConnectionException ||
      (typeof code === 'string' && (SOCKET_ERRORS.has(code) || SERVER_UNAVAILABLE.has(code))) ||
      MESSAGES.test(current.message)
    ) {
      return true;
    }
  }
  return false;
}
