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

/** Collects a repeatable option (`--schema a --schema b`) into an array. */
export function collectValues(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
