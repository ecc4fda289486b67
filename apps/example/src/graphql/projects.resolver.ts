import { Args, Field, Int, Mutation, ObjectType, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentTenant, SharedRoute, type TenantRecord } from 'nestjs-tenancy';
import { idParam, limitParam, stringField } from '../projects/project.input.js';
import { type ProjectView, ProjectsService, type TaskView } from '../projects/projects.service.js';

@ObjectType('Task')
export class TaskType {
  @Field(() => Int) id!: number;
  @Field(() => String) title!: string;
  @Field(() => Boolean) done!: boolean;
}

@ObjectType('Project')
export class ProjectType {
  @Field(() => Int) id!: number;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string;
}

@ObjectType('Tenant')
export class TenantType {
  @Field(() => Int) id!: number;
  @Field(() => String) schema!: string;
  @Field(() => String) name!: string;
}

/**
 * The example's GraphQL API (`POST /graphql`, mercurius): the same projects and tasks as the REST
 * routes, the tenant resolved from the Host header by the same global guard. Field resolvers
 * (`tasks`) run in the operation's request context, bound to the same tenant.
 */
@Resolver(() => ProjectType)
export class ProjectsResolver {
  constructor(private readonly projects: ProjectsService) {}

  @Query(() => TenantType)
  tenant(@CurrentTenant() tenant: TenantRecord): TenantType {
    return { id: tenant.id, schema: tenant.schema, name: tenant.name };
  }

  @Query(() => [ProjectType])
  projectList(@Args('limit', { type: () => Int, nullable: true }) limit?: number): Promise<ProjectView[]> {
    return this.projects.list(limitParam(limit === undefined ? undefined : String(limit)));
  }

  @Query(() => ProjectType)
  project(@Args('id', { type: () => Int }) id: number): Promise<ProjectView> {
    return this.projects.get(idParam(String(id)));
  }

  @Mutation(() => ProjectType)
  createProject(
    @Args('name', { type: () => String }) name: string,
    @Args('description', { type: () => String, nullable: true }) description?: string,
  ): Promise<ProjectView> {
    const input = { name, ...(description === undefined || description === null ? {} : { description }) };
    return this.projects.create({
      name: stringField(input, 'name', 200, true) as string,
      description: stringField(input, 'description', 10_000, false),
    });
  }

  @ResolveField(() => [TaskType])
  tasks(@Parent() project: ProjectView, @Args('limit', { type: () => Int, nullable: true }) limit?: number): Promise<TaskView[]> {
    return this.projects.tasks(project.id, limitParam(limit === undefined ? undefined : String(limit)));
  }
}

/** Shared operations: no tenant resolved. */
@SharedRoute()
@Resolver()
export class HealthResolver {
  @Query(() => String)
  health(): string {
    return 'ok';
  }
}
