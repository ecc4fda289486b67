import { TenancyError } from '../tenancy.errors.js';

/**
 * The command line is wrong (missing or conflicting flags). The CLI prints the reason and the
 * command's usage, and exits with code 1.
 */
export class CliUsageError extends TenancyError {}
