import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { TenantContext } from '../context/tenant-context.js';
import { checkEntityKinds } from '../entities/entity-kinds.check.js';
import { UNBOUND_SCHEMA } from '../tenancy.constants.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { loadSqlParser } from './sql-statement.reader.js';
import { statementShape } from './statement-shape.js';
import { TenantSqlGuard } from './tenant-sql.guard.js';

/**
 * At boot: checks that every entity is explicitly shared or per tenant (refusing to start
 * otherwise), then makes tenant entities fail closed: the ORM's default schema becomes a schema
 * that never exists, and every statement passes through {@link TenantSqlGuard}.
 */
@Injectable()
export class TenantIsolation implements OnModuleInit {
  private readonly logger = new Logger(TenantIsolation.name);

  constructor(
    private readonly orm: MikroORM,
    private readonly context: TenantContext,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const kinds = checkEntityKinds(this.orm.getMetadata(), this.options.sharedSchema);
    const entities = new Map<string, string>();
    for (const meta of this.orm.getMetadata()) {
      const table = meta.tableName ?? meta.collection;
      if (kinds.tenantTables.has(table)) {
        entities.set(table, meta.pivotTable ? `The pivot table of a tenant relation (${table})` : meta.className);
      }
    }
    await loadSqlParser();
    const platform = this.orm.em.getPlatform();
    const guard = new TenantSqlGuard({
      tenantTables: entities,
      sharedSchemas: [this.options.sharedSchema, ...this.options.extraSharedSchemas],
      boundSchema: () => this.context.current()?.schema,
      shape: (sql, params) => statementShape(platform, sql, params),
    });
    const config = this.orm.config;
    const current = config.get('onQuery') as OnQuery & { [ORIGINAL]?: OnQuery };
    const original = current[ORIGINAL] ?? current;
    const onQuery = (sql: string, params: readonly unknown[]): string => original(guard.check(sql, params), params);
    config.set('onQuery', Object.assign(onQuery, { [ORIGINAL]: original }));
    config.set('schema', UNBOUND_SCHEMA);
    this.logger.log(
      `Tenancy ready: ${kinds.tenantEntities.size} tenant entities, ${kinds.sharedTables.size} shared tables in "${this.options.sharedSchema}".`,
    );
  }
}

/** Where the installed hook keeps the app's own `onQuery`, so that a second install wraps it once. */
const ORIGINAL = Symbol.for('nestjs-tenancy:original-on-query');
type OnQuery = (sql: string, params: readonly unknown[]) => string;
