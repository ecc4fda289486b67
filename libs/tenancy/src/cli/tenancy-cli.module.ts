import { type DynamicModule, Inject, Module, type OnModuleInit, Optional } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';
import { CheckCommand } from './check.command.js';
import { CliOutput } from './cli.output.js';
import { DomainAddCommand } from './domain-add.command.js';
import { DomainRemoveCommand } from './domain-remove.command.js';
import { ExecCommand } from './exec.command.js';
import { MigrateDownCommand } from './migrate-down.command.js';
import { MigrateStatusCommand } from './migrate-status.command.js';
import { MigrateCommand } from './migrate.command.js';
import { MigrationCreateCommand } from './migration-create.command.js';
import { MigrationCreator } from './migration.creator.js';
import { TenantCreateCommand } from './tenant-create.command.js';
import { TenantDeleteCommand } from './tenant-delete.command.js';
import { TenantExportCommand } from './tenant-export.command.js';
import { TenantImportCommand } from './tenant-import.command.js';
import { TenantListCommand } from './tenant-list.command.js';
import { TenantRenameCommand } from './tenant-rename.command.js';
import { TenantRestoreCommand } from './tenant-restore.command.js';
import { PurgeCommand } from './purge.command.js';
import { TenantResumeCommand } from './tenant-resume.command.js';
import { TenantSuspendCommand } from './tenant-suspend.command.js';

/** Options of {@link TenancyCliModule.register}. */
export interface TenancyCliOptions {
  /** Program name shown in the usage. @default 'tenancy-cli' */
  name?: string;
  /** Program description shown in the usage. */
  description?: string;
}

/** Token of the {@link TenancyCliOptions}. */
export const TENANCY_CLI_OPTIONS = Symbol('TENANCY_CLI_OPTIONS');

/** The part of commander's root command the module configures. */
interface RootCommand {
  name(name: string): unknown;
  description(description: string): unknown;
  showHelpAfterError(): unknown;
}

/** Every command of the CLI (DESIGN section 4). */
export const TENANCY_COMMANDS = [
  MigrateCommand,
  MigrateStatusCommand,
  MigrateDownCommand,
  MigrationCreateCommand,
  TenantCreateCommand,
  TenantListCommand,
  TenantRenameCommand,
  TenantDeleteCommand,
  TenantRestoreCommand,
  PurgeCommand,
  TenantSuspendCommand,
  TenantResumeCommand,
  DomainAddCommand,
  DomainRemoveCommand,
  CheckCommand,
  TenantExportCommand,
  TenantImportCommand,
  ExecCommand,
];

/**
 * The tenancy commands as nest-commander providers, for an app's own CLI. Import it next to
 * `MikroOrmModule.forRoot()` and `TenancyModule.forRoot()` (with both migration sets), and run the
 * module with `CommandFactory.run(module, tenancyCliRunOptions())`.
 *
 * @example
 * @Module({ imports: [MikroOrmModule.forRoot(orm), TenancyModule.forRoot({ migrations }), TenancyCliModule] })
 * class CliModule {}
 * await CommandFactory.run(CliModule, tenancyCliRunOptions());
 */
@Module({ providers: [CliOutput, MigrationCreator, ...TENANCY_COMMANDS] })
export class TenancyCliModule implements OnModuleInit {
  constructor(
    @Optional() @InjectCommander() private readonly commander?: RootCommand,
    @Optional() @Inject(TENANCY_CLI_OPTIONS) private readonly options: TenancyCliOptions = {},
  ) {}

  /** The module with a program name and description for the usage. */
  static register(options: TenancyCliOptions): DynamicModule {
    return { module: TenancyCliModule, providers: [{ provide: TENANCY_CLI_OPTIONS, useValue: options }] };
  }

  onModuleInit(): void {
    this.commander?.name(this.options.name ?? 'tenancy-cli');
    this.commander?.description(
      this.options.description ?? 'Migrations and tenants of a schema-per-tenant app (nestjs-tenancy).',
    );
    this.commander?.showHelpAfterError();
  }
}
