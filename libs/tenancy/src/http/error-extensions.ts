import type { HttpException } from '@nestjs/common';
import { httpErrorName } from './http-error-name.js';

/**
 * What the library's HTTP errors carry for GraphQL: graphql-js copies an error's own `extensions`
 * into the GraphQL error it reports (mercurius and Apollo alike), so a resolver or the guard failing
 * with a 404 answers `extensions: { code: 'NOT_FOUND', statusCode: 404 }`.
 */
export interface TenancyErrorExtensions {
  /** The status's reason phrase in upper snake case: `NOT_FOUND`, `BAD_REQUEST`, `FORBIDDEN`, `SERVICE_UNAVAILABLE`. */
  readonly code: string;
  /** The HTTP status the same error answers on a controller route. */
  readonly statusCode: number;
}

/** `{ code: 'NOT_FOUND', statusCode: 404 }` for 404. */
export function errorExtensions(status: number): TenancyErrorExtensions {
  return { code: httpErrorName(status).toUpperCase().replaceAll(' ', '_'), statusCode: status };
}

/** The exception, given the `extensions` GraphQL reports for its status. */
export function withErrorExtensions<T extends HttpException>(exception: T): T & { readonly extensions: TenancyErrorExtensions } {
  return Object.assign(exception, { extensions: errorExtensions(exception.getStatus()) });
}
