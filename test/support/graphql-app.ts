import { EntityManager } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Controller, Get, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Args,
  Context,
  Field,
  GraphQLModule,
  Int,
  Mutation,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import DataLoader from 'dataloader';
import { CurrentTenant, SharedRoute, TenancyModule, TenancyService, type TenantRecord } from 'nestjs-tenancy';
import { migrateTestDatabase } from 'nestjs-tenancy/testing';
import { TenantWsAdapter } from 'nestjs-tenancy/websockets';
import { Project } from '../../apps/example/src/entities/project.entity.js';
import { Task } from '../../apps/example/src/entities/task.entity.js';
import { migrations, ormOptions } from '../../apps/example/src/orm.config.js';

@ObjectType('Project')
export class ProjectType {
  @Field(() => Int) id!: number;
  @Field(() => String) name!: string;
}

@ObjectType('Signup')
class SignupType {
  @Field(() => String) schema!: string;
}

/** One DataLoader batch as it ran: the tenant bound, the keys, the loader it belonged to. */
export interface TaskCountBatch {
  tenant: string | undefined;
  keys: number[];
  loader: number;
}

/**
 * Task counts per project, batched by a DataLoader per request: the loader is kept per MikroORM
 * request context (one per request, bound to one tenant), so no loader, and no cached answer, is
 * ever shared between requests or tenants, and nothing is request-scoped in Nest's DI.
 */
@Injectable()
export class TaskCounts {
  readonly batches: TaskCountBatch[] = [];
  private readonly loaders = new WeakMap<EntityManager, DataLoader<number, number>>();
  private created = 0;

  constructor(
    private readonly em: EntityManager,
    private readonly tenancy: TenancyService,
  ) {}

  /** The count of one project's tasks, loaded with every other project's of this request at once. */
  count(projectId: number): Promise<number> {
    const requestEm = this.em.getContext();
    let loader = this.loaders.get(requestEm);
    if (!loader) {
      const id = ++this.created;
      loader = new DataLoader<number, number>(async (ids) => {
        this.batches.push({ tenant: this.tenancy.current()?.schema, keys: [...ids].sort((a, b) => a - b), loader: id });
        const tasks = await requestEm.find(Task, { project: { $in: [...ids] } });
        return ids.map((projectId) => tasks.filter((task) => task.project.id === projectId).length);
      });
      this.loaders.set(requestEm, loader);
    }
    return loader.load(projectId);
  }
}

@Resolver(() => ProjectType)
export class ProjectsResolver {
  constructor(
    private readonly em: EntityManager,
    private readonly tenancy: TenancyService,
    private readonly taskCounts: TaskCounts,
  ) {}

  @Query(() => [ProjectType])
  projects(): Promise<Project[]> {
    return this.em.find(Project, {}, { orderBy: { id: 'asc' } });
  }

  @Query(() => String, { nullable: true })
  whoami(@CurrentTenant() tenant: TenantRecord | undefined): string | undefined {
    return tenant?.schema;
  }

  @Mutation(() => ProjectType)
  async createProject(@Args('name', { type: () => String }) name: string): Promise<Project> {
    const project = this.em.create(Project, { name });
    await this.em.flush();
    return project;
  }

  /** The tenant bound while this field resolves (no guard runs for field resolvers). */
  @ResolveField(() => String, { nullable: true })
  boundTenant(): string | undefined {
    return this.tenancy.current()?.schema;
  }

  /** The tenant as `@CurrentTenant()` sees it in a field resolver. */
  @ResolveField(() => String, { nullable: true })
  currentTenant(@CurrentTenant() tenant: TenantRecord | undefined): string | undefined {
    return tenant?.schema;
  }

  /** Whether this field's EntityManager hands back the very entity the query loaded (one identity map per request). */
  @ResolveField(() => Boolean)
  async sameInstance(@Parent() project: Project): Promise<boolean> {
    return (await this.em.findOne(Project, project.id)) === project;
  }

  @ResolveField(() => Int)
  taskCount(@Parent() project: Project): Promise<number> {
    return this.taskCounts.count(project.id);
  }
}

@SharedRoute()
@Resolver()
export class SharedResolver {
  constructor(private readonly tenancy: TenancyService) {}

  @Query(() => String)
  health(): string {
    return 'ok';
  }

  @Query(() => Boolean)
  sharedIsUnbound(): boolean {
    return this.tenancy.current() === undefined;
  }

  @Mutation(() => SignupType)
  async signup(
    @Args('schema', { type: () => String }) schema: string,
    @Args('domain', { type: () => String }) domain: string,
  ): Promise<SignupType> {
    return { schema: (await this.tenancy.createTenant({ schema, domains: [domain] })).schema };
  }
}

/** A resolver of tenant queries with one shared query among them (method-level `@SharedRoute()`). */
@Resolver()
export class MixedResolver {
  constructor(private readonly tenancy: TenancyService) {}

  @SharedRoute()
  @Query(() => String)
  version(): string {
    return this.tenancy.current() === undefined ? 'v1 (unbound)' : 'v1 (bound!)';
  }

  @Query(() => String)
  tenantName(@Context() context: { req?: { headers: Record<string, unknown> } }): string {
    return `${this.tenancy.currentOrThrow().name} at ${String(context.req?.headers.host)}`;
  }
}

@Controller('projects')
export class ProjectsController {
  constructor(private readonly em: EntityManager) {}

  @Get()
  list(): Promise<Project[]> {
    return this.em.find(Project, {}, { orderBy: { id: 'asc' } });
  }
}

/** The same projects over WebSocket (served when the app is created with `websockets: true`). */
@WebSocketGateway({ path: '/ws' })
export class ProjectsGateway {
  constructor(
    private readonly em: EntityManager,
    private readonly tenancy: TenancyService,
  ) {}

  @SubscribeMessage('projects')
  async projects() {
    const projects = await this.em.find(Project, {}, { orderBy: { id: 'asc' } });
    return { event: 'projects', data: { bound: this.tenancy.current()?.schema, names: projects.map((project) => project.name) } };
  }
}

@Module({})
class GraphqlTestModule {
  static register(databaseUrl: string, poolSize: number, driver: GraphqlDriverName, websockets: boolean): DynamicModule {
    return {
      module: GraphqlTestModule,
      imports: [
        MikroOrmModule.forRoot(ormOptions(databaseUrl, poolSize)),
        TenancyModule.forRoot({ migrations }),
        driver === 'mercurius'
          ? GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true, graphiql: false })
          : GraphQLModule.forRoot<ApolloDriverConfig>({
              driver: ApolloDriver,
              autoSchemaFile: true,
              playground: false,
              includeStacktraceInErrorResponses: false,
            }),
      ],
      controllers: [ProjectsController],
      providers: [TaskCounts, ProjectsResolver, SharedResolver, MixedResolver, ...(websockets ? [ProjectsGateway] : [])],
    };
  }
}

/** The GraphQL server of the app: mercurius, or Apollo (through `@as-integrations/fastify`). */
export type GraphqlDriverName = 'mercurius' | 'apollo';

/**
 * A Fastify app serving GraphQL (mercurius by default) and a REST route — and with `websockets`, a
 * gateway at /ws through `TenantWsAdapter` — on `databaseUrl`, migrated unless told not to.
 */
export async function createGraphqlApp(
  databaseUrl: string,
  options: { poolSize?: number; migrate?: boolean; driver?: GraphqlDriverName; websockets?: boolean } = {},
): Promise<NestFastifyApplication> {
  const websockets = options.websockets ?? false;
  const app = await NestFactory.create<NestFastifyApplication>(
    GraphqlTestModule.register(databaseUrl, options.poolSize ?? 4, options.driver ?? 'mercurius', websockets),
    new FastifyAdapter(),
    { logger: false },
  );
  if (websockets) {
    app.useWebSocketAdapter(new TenantWsAdapter(app));
  }
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  if (options.migrate !== false) {
    await migrateTestDatabase(app);
  }
  return app;
}

/** The JSON answer of a GraphQL operation sent as a real HTTP POST to /graphql (in process, through Fastify). */
export async function graphql<T = Record<string, unknown>>(
  app: NestFastifyApplication,
  host: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ status: number; body: GraphqlBody<T> }> {
  const response = await app.inject({ method: 'POST', url: '/graphql', headers: { host }, payload: { query, variables } });
  return { status: response.statusCode, body: response.json<GraphqlBody<T>>() };
}

export interface GraphqlBody<T> {
  data: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}
