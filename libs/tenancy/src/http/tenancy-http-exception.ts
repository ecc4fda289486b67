import { HttpException, HttpStatus } from '@nestjs/common';
import {
  DomainNotFoundError,
  DomainTakenError,
  InvalidTenantInputError,
  RegistryNotMigratedError,
  type TenancyError,
  TenantAlreadyExistsError,
  TenantNotActiveError,
  TenantNotFoundError,
} from '../tenancy.errors.js';
import { httpErrorName } from './http-error-name.js';

/** HTTP status for each error the library throws. */
function tenancyErrorStatus(error: TenancyError): number {
  if (error instanceof TenantAlreadyExistsError || error instanceof DomainTakenError) {
    return HttpStatus.CONFLICT;
  }
  if (error instanceof TenantNotFoundError || error instanceof DomainNotFoundError) {
    return HttpStatus.NOT_FOUND;
  }
  if (error instanceof InvalidTenantInputError) {
    return HttpStatus.BAD_REQUEST;
  }
  if (error instanceof TenantNotActiveError) {
    return HttpStatus.FORBIDDEN;
  }
  if (error instanceof RegistryNotMigratedError) {
    return HttpStatus.SERVICE_UNAVAILABLE;
  }
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * The HTTP answer to one of the library's errors, as an `HttpException` whose response is
 * `{ statusCode, error, message }` and whose `cause` is the error; `undefined` for an internal
 * error (a fail-closed refusal, a failed provisioning), whose detail must not reach the client.
 */
export function tenancyHttpException(error: TenancyError): HttpException | undefined {
  const status = tenancyErrorStatus(error);
  if (status === HttpStatus.INTERNAL_SERVER_ERROR) {
    return undefined;
  }
  return new HttpException({ statusCode: status, error: httpErrorName(status), message: error.message }, status, {
    cause: error,
  });
}
