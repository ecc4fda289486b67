import { HttpStatus } from '@nestjs/common';

/** The reason phrase Nest uses for a status: 404 → "Not Found". */
export function httpErrorName(status: number): string {
  const name: string | undefined = HttpStatus[status];
  return name
    ? name
        .toLowerCase()
        .replace(/_/g, ' ')
        .replace(/\b\w/g, (c) => c.toUpperCase())
    : 'Error';
}
