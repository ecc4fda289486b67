// `nestjs-tenancy/cli`: the tenancy commands for the `tenancy` bin and for apps that embed them.
export { TenancyCliModule, type TenancyCliOptions } from './tenancy-cli.module.js';
export { tenancyCliRunOptions, type TenancyCliRunOptions } from './tenancy-cli.run-options.js';
export { defineTenancyConfig, type TenancyConfig, type TenancyConfigInput } from './tenancy.config.js';
export { runTenancyCli, type RunTenancyCliOptions } from './tenancy-cli.runner.js';
export type { MigrationRunReport } from './migration.reporter.js';
export type { MigrationStatusReport } from './migrate-status.command.js';
export type { TenantListEntry } from './tenant-list.command.js';
export type { ExecReport, ExecResult } from './exec.command.js';
export type { PurgeReport } from './purge.command.js';
