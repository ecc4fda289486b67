import { BadRequestException } from '@nestjs/common';

/** Reads a JSON body as an object, or answers 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** A required or optional string field of 1..max characters (trimmed). */
export function stringField(body: Record<string, unknown>, field: string, max: number, required: boolean): string | undefined {
  const value = body[field];
  if (value === undefined) {
    if (required) {
      throw new BadRequestException(`${field} is required.`);
    }
    return undefined;
  }
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) {
    throw new BadRequestException(`${field} must be a string of 1-${max} characters.`);
  }
  if (value.includes('\u0000')) {
    throw new BadRequestException(`${field} must not contain NUL characters.`);
  }
  return value.trim();
}

/** A path id: a positive 32-bit integer, or 400. */
export function idParam(raw: string): number {
  const id = Number(raw);
  if (!/^\d{1,10}$/.test(raw) || !Number.isInteger(id) || id < 1 || id > 2_147_483_647) {
    throw new BadRequestException('id must be a positive integer.');
  }
  return id;
}

/** `?limit=`: 1..100, default 50. */
export function limitParam(raw: string | undefined): number {
  if (raw === undefined) {
    return 50;
  }
  const limit = Number(raw);
  if (!/^\d{1,3}$/.test(raw) || limit < 1 || limit > 100) {
    throw new BadRequestException('limit must be an integer from 1 to 100.');
  }
  return limit;
}
