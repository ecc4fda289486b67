import { BadRequestException, HttpException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { errorExtensions, withErrorExtensions } from './error-extensions.js';

describe('GraphQL extensions of HTTP errors', () => {
  it.each([
    [400, 'BAD_REQUEST'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [409, 'CONFLICT'],
    [423, 'LOCKED'],
    [503, 'SERVICE_UNAVAILABLE'],
  ])('%i is %s', (status, code) => {
    expect(errorExtensions(status)).toEqual({ code, statusCode: status });
  });

  it('are given to an exception, which keeps its class, status and response', () => {
    for (const exception of [new BadRequestException('a'), new NotFoundException('b'), new ServiceUnavailableException('c')]) {
      const response = exception.getResponse();
      const given = withErrorExtensions(exception);
      expect(given).toBe(exception);
      expect(given.extensions).toEqual(errorExtensions(exception.getStatus()));
      expect(given.getResponse()).toBe(response);
    }
    // a `suspendedStatus` of the app's choice
    expect(withErrorExtensions(new HttpException('suspended', 429)).extensions).toEqual({
      code: 'TOO_MANY_REQUESTS',
      statusCode: 429,
    });
    // a status Nest has no name for
    expect(withErrorExtensions(new HttpException('odd', 599)).extensions).toEqual({ code: 'ERROR', statusCode: 599 });
  });
});
