/**
 * An invalid option value, in the shape commander (used by nest-commander) recognises: it prints
 * the message with the option's name, then the usage, and fails the command.
 */
export class InvalidCliArgumentError extends Error {
  override name = 'InvalidArgumentError';
  readonly code = 'commander.invalidArgument';
  readonly exitCode = 1;
}

/** Parses an option value that must be a positive integer (`--concurrency 4`). */
export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidCliArgumentError('Expected a positive integer.');
  }
  return number;
}

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration (`30d`, `12h`, `15m`, `90s`, or `0`) into ms. */
export function parseDuration(value: string): number {
  const match = /^(\d+)([smhd])$/.exec(value);
  if (value === '0') {
    return 0;
  }
  const ms = match ? Number(match[1]) * DURATION_UNITS[match[2]] : NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new InvalidCliArgumentError('Expected a duration such as 30d, 12h, 15m, 90s or 0.');
  }
  return ms;
}

/** Collects a repeatable option (`--schema a --schema b`) into an array. */
export function collectValues(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
