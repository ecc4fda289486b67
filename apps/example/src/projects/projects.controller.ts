import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { idParam, limitParam, objectBody, stringField } from './project.input.js';
import { type ProjectView, ProjectsService, type TaskView } from './projects.service.js';

/** Tenant routes: the tenant comes from the Host header, resolved by the global tenancy guard. */
@Controller()
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get('projects')
  list(@Query('limit') limit?: string): Promise<ProjectView[]> {
    return this.projects.list(limitParam(limit));
  }

  @Post('projects')
  create(@Body() body: unknown): Promise<ProjectView> {
    const input = objectBody(body);
    return this.projects.create({
      name: stringField(input, 'name', 200, true) as string,
      description: stringField(input, 'description', 10_000, false),
    });
  }

  @Get('projects/:id')
  get(@Param('id') id: string): Promise<ProjectView> {
    return this.projects.get(idParam(id));
  }

  @Patch('projects/:id')
  update(@Param('id') id: string, @Body() body: unknown): Promise<ProjectView> {
    const input = objectBody(body);
    return this.projects.update(idParam(id), {
      name: stringField(input, 'name', 200, false),
      description: stringField(input, 'description', 10_000, false),
    });
  }

  @Delete('projects/:id')
  @HttpCode(204)
  remove(@Param('id') id: string): Promise<void> {
    return this.projects.remove(idParam(id));
  }

  @Get('projects/:id/tasks')
  tasks(@Param('id') id: string, @Query('limit') limit?: string): Promise<TaskView[]> {
    return this.projects.tasks(idParam(id), limitParam(limit));
  }

  @Post('projects/:id/tasks')
  addTask(@Param('id') id: string, @Body() body: unknown): Promise<TaskView> {
    const input = objectBody(body);
    return this.projects.addTask(idParam(id), stringField(input, 'title', 500, true) as string);
  }

  @Patch('tasks/:id')
  updateTask(@Param('id') id: string, @Body() body: unknown): Promise<TaskView> {
    const input = objectBody(body);
    const done = input.done;
    if (done !== undefined && typeof done !== 'boolean') {
      throw new BadRequestException('done must be true or false.');
    }
    return this.projects.updateTask(idParam(id), { title: stringField(input, 'title', 500, false), done });
  }
}
