import { DriverException } from '@mikro-orm/core';
import { HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import {
  CrossTenantAccessError,
  DomainNotFoundError,
  DomainTakenError,
  InvalidHostError,
  InvalidSchemaNameError,
  InvalidTenantInputError,
  MigrationError,
  PrimaryDomainError,
  ProvisioningError,
  RegistryNotMigratedError,
  TenancyConfigError,
  TenancyError,
  TenancyHttpError,
  TenantAlreadyExistsError,
  TenantNotActiveError,
  TenantNotFoundError,
} from './tenancy.errors.js';

describe('the input errors are HTTP exceptions', () => {
  it.each([
    [InvalidTenantInputError, 400, 'Bad Request'],
    [InvalidSchemaNameError, 400, 'Bad Request'],
    [InvalidHostError, 400, 'Bad Request'],
    [PrimaryDomainError, 400, 'Bad Request'],
    [TenantNotActiveError, 403, 'Forbidden'],
    [TenantNotFoundError, 404, 'Not Found'],
    [DomainNotFoundError, 404, 'Not Found'],
    [TenantAlreadyExistsError, 409, 'Conflict'],
    [DomainTakenError, 409, 'Conflict'],
    [RegistryNotMigratedError, 503, 'Service Unavailable'],
  ])('%o answers %i with a JSON body and keeps its name, message and cause', (Class, status, error) => {
    const cause = new Error('underneath');
    const thrown = new Class('what went wrong', { cause });
    expect(thrown).toBeInstanceOf(HttpException);
    expect(thrown).toBeInstanceOf(TenancyHttpError);
    expect(thrown).toBeInstanceOf(TenancyError);
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown.getStatus()).toBe(status);
    expect(thrown.getResponse()).toEqual({ statusCode: status, error, message: 'what went wrong' });
    expect(thrown.message).toBe('what went wrong');
    expect(thrown.name).toBe(Class.name);
    expect(thrown.cause).toBe(cause);
    // what GraphQL reports (graphql-js copies an error's own extensions)
    expect(thrown.extensions).toEqual({ code: error.toUpperCase().replaceAll(' ', '_'), statusCode: status });
  });

  it('the internal errors are not HTTP exceptions (a 500, detail in the log only)', () => {
    for (const thrown of [
      new TenancyConfigError('x'),
      new ProvisioningError('x'),
      new MigrationError('x'),
      CrossTenantAccessError.forSchema('t', 'a', 'b'),
    ]) {
      expect(thrown).not.toBeInstanceOf(HttpException);
      expect(thrown).toBeInstanceOf(TenancyError);
    }
    expect(CrossTenantAccessError.forSchema('t', 'a', 'b')).toBeInstanceOf(DriverException);
  });

  it('instanceof a subclass stays exact', () => {
    expect(new TenantNotFoundError('x')).not.toBeInstanceOf(DomainNotFoundError);
    expect(new InvalidHostError('x')).toBeInstanceOf(InvalidTenantInputError);
    expect(new InvalidTenantInputError('x')).not.toBeInstanceOf(InvalidHostError);
    expect(new Error('x')).not.toBeInstanceOf(TenancyError);
    expect(new HttpException('x', 400)).not.toBeInstanceOf(TenancyError);
  });
});
