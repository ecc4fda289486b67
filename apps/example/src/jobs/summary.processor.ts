import { EntityManager } from '@mikro-orm/core';
import { Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { TenantRecord } from 'nestjs-tenancy';
import { TenantWorkerHost } from 'nestjs-tenancy/bullmq';
import { Project } from '../entities/project.entity.js';
import { Task } from '../entities/task.entity.js';

export const SUMMARY_QUEUE = 'project-summaries';

/** What a summary job computes for its project, in its tenant. */
export interface ProjectSummary {
  tenant: string | undefined;
  projectId: number;
  tasks: number;
  done: number;
}

/** Summarises a project's tasks in the background, bound to the tenant that asked for it. */
@Processor(SUMMARY_QUEUE)
export class SummaryProcessor extends TenantWorkerHost<Job<{ projectId: number }>, ProjectSummary> {
  private readonly logger = new Logger('Summaries');

  constructor(private readonly em: EntityManager) {
    super();
  }

  async processTenantJob(job: Job<{ projectId: number }>, tenant: TenantRecord | undefined): Promise<ProjectSummary> {
    const project = await this.em.findOneOrFail(Project, job.data.projectId);
    const [tasks, done] = await Promise.all([this.em.count(Task, { project }), this.em.count(Task, { project, done: true })]);
    this.logger.log(`Summarised project ${project.id}: ${done}/${tasks} tasks done`);
    return { tenant: tenant?.schema, projectId: project.id, tasks, done };
  }
}
