import { describe, expect, it } from 'vitest';
import { InvalidSchemaNameError } from '../tenancy.errors.js';
import { assertTenantSchemaName, quoteIdentifier } from './schema-name.js';

describe('assertTenantSchemaName', () => {
  it.each(['acme', '_x', 'a1_b2', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(() => assertTenantSchemaName(name, 'public')).not.toThrow();
  });

  it.each([
    '',
    'Acme',
    '1acme',
    'a-b',
    'a b',
    'a"b',
    'a'.repeat(64),
    'pg_acme',
    'public',
    'information_schema',
    'shared',
    '__tenancy_x',
    '_deleted_3_acme',
    42,
    null,
  ])('rejects %s', (name) => {
    expect(() => assertTenantSchemaName(name, 'shared')).toThrow(InvalidSchemaNameError);
  });
});

describe('quoteIdentifier', () => {
  it('doubles quotes', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
  });
});
