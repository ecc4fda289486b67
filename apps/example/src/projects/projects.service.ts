import { EntityManager } from '@mikro-orm/core';
import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { Project } from '../entities/project.entity.js';
import { Task } from '../entities/task.entity.js';

/** A project as the API answers it. */
export interface ProjectView {
  id: number;
  name: string;
  description?: string;
  createdAt: Date;
}

/** A task as the API answers it. */
export interface TaskView {
  id: number;
  projectId: number;
  title: string;
  done: boolean;
  createdAt: Date;
}

/**
 * Projects and tasks of the current tenant. The injected EntityManager is the request's fork,
 * bound to the tenant's schema by the tenancy guard: nothing here mentions tenants.
 */
@Injectable()
export class ProjectsService {
  /** Its lines name the tenant (the app's logger is TenantConsoleLogger). */
  private readonly logger = new Logger('Projects');

  constructor(private readonly em: EntityManager) {}

  async list(limit: number): Promise<ProjectView[]> {
    const projects = await this.em.find(Project, {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
    return projects.map(projectView);
  }

  async get(id: number): Promise<ProjectView> {
    return projectView(await this.load(id));
  }

  async create(input: { name: string; description?: string }): Promise<ProjectView> {
    const project = this.em.create(Project, { name: input.name, description: input.description ?? null, createdAt: new Date() });
    await this.em.flush();
    this.logger.log(`Created project ${project.id}`);
    return projectView(project);
  }

  async update(id: number, input: { name?: string; description?: string }): Promise<ProjectView> {
    const project = await this.load(id);
    this.em.assign(project, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
    });
    await this.em.flush();
    return projectView(project);
  }

  async remove(id: number): Promise<void> {
    const deleted = await this.em.nativeDelete(Project, { id });
    if (deleted === 0) {
      throw new NotFoundException(`Project ${id} not found.`);
    }
  }

  async tasks(projectId: number, limit: number): Promise<TaskView[]> {
    await this.load(projectId);
    const tasks = await this.em.find(Task, { project: projectId }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
    return tasks.map(taskView);
  }

  async addTask(projectId: number, title: string): Promise<TaskView> {
    const project = await this.load(projectId);
    const task = this.em.create(Task, { project, title, done: false, createdAt: new Date() });
    await this.em.flush();
    return taskView(task);
  }

  async updateTask(id: number, input: { title?: string; done?: boolean }): Promise<TaskView> {
    const task = await this.em.findOne(Task, { id });
    if (!task) {
      throw new NotFoundException(`Task ${id} not found.`);
    }
    this.em.assign(task, {
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.done !== undefined ? { done: input.done } : {}),
    });
    await this.em.flush();
    return taskView(task);
  }

  private async load(id: number): Promise<Project> {
    const project = await this.em.findOne(Project, { id });
    if (!project) {
      throw new NotFoundException(`Project ${id} not found.`);
    }
    return project;
  }
}

function projectView(project: Project): ProjectView {
  return {
    id: project.id,
    name: project.name,
    ...(project.description != null ? { description: project.description } : {}),
    createdAt: project.createdAt,
  };
}

function taskView(task: Task): TaskView {
  return { id: task.id, projectId: task.project.id, title: task.title, done: task.done, createdAt: task.createdAt };
}
