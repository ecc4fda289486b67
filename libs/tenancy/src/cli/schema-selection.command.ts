import { Inject } from '@nestjs/common';
import { Option } from 'nest-commander';
import { SchemaMigrator } from '../migrations/schema-migrator.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { TenancyService } from '../tenancy.service.js';
import { CliUsageError } from './cli-usage.error.js';
import { collectValues } from './cli-option.parsers.js';
import { CliOutput } from './cli.output.js';
import { TenancyCommand } from './tenancy.command.js';

/** Flags that choose the schemas of `migrate` and `migrate:status`. */
export interface SchemaSelectionOptions {
  shared?: boolean;
  tenants?: boolean;
  schema?: string[];
}

/**
 * Base of the commands that work on the shared schema and tenant schemas: `--shared`, `--tenants`
 * and `--schema S` (repeatable), declared once.
 */
export abstract class SchemaSelectionCommand<TOptions extends SchemaSelectionOptions> extends TenancyCommand<TOptions> {
  constructor(
    output: CliOutput,
    protected readonly migrator: SchemaMigrator,
    protected readonly tenancy: TenancyService,
    @Inject(TENANCY_OPTIONS) protected readonly options: ResolvedTenancyOptions,
  ) {
    super(output);
  }

  @Option({ flags: '--shared', description: 'the shared schema only' })
  parseShared(): boolean {
    return true;
  }

  @Option({ flags: '--tenants', description: 'tenant schemas only' })
  parseTenants(): boolean {
    return true;
  }

  @Option({ flags: '--schema <schema>', description: 'only this tenant schema (repeatable; implies --tenants)' })
  parseSchema(value: string, previous?: string[]): string[] {
    return collectValues(value, previous);
  }

  /** Whether the shared schema is selected; throws a usage error for contradictory flags. */
  protected includesShared(options: SchemaSelectionOptions): boolean {
    if (options.shared && (options.tenants || options.schema)) {
      throw new CliUsageError('--shared cannot be combined with --tenants or --schema.');
    }
    return !options.tenants && !options.schema;
  }
}
