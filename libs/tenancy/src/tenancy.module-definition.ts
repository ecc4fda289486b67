import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TenancyModuleOptions } from './tenancy.options.js';

/** Token of the options after defaults and validation ({@link ResolvedTenancyOptions}). */
export const TENANCY_OPTIONS = Symbol('TENANCY_OPTIONS');

export const {
  ConfigurableModuleClass: ConfigurableTenancyModule,
  MODULE_OPTIONS_TOKEN: TENANCY_MODULE_OPTIONS,
  OPTIONS_TYPE: TENANCY_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TENANCY_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TenancyModuleOptions>({ moduleName: 'Tenancy' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
