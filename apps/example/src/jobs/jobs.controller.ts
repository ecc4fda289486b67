import { InjectQueue } from '@nestjs/bullmq';
import { Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { TenancyService } from 'nestjs-tenancy';
import { tenantOfJob } from 'nestjs-tenancy/bullmq';
import { idParam } from '../projects/project.input.js';
import { ProjectsService } from '../projects/projects.service.js';
import { SUMMARY_QUEUE } from './summary.processor.js';

/** Queued work of the current tenant: a project summary computed by a worker. */
@Controller()
export class JobsController {
  constructor(
    @InjectQueue(SUMMARY_QUEUE) private readonly queue: Queue,
    private readonly projects: ProjectsService,
    private readonly tenancy: TenancyService,
  ) {}

  /** Queues a summary of the project's tasks: 202 `{ jobId }`; the job runs as this tenant. */
  @Post('projects/:id/summary')
  @HttpCode(202)
  async summarise(@Param('id') id: string): Promise<{ jobId: string }> {
    const project = await this.projects.get(idParam(id));
    const job = await this.queue.add('summary', { projectId: project.id }, { removeOnComplete: { age: 3600 } });
    return { jobId: String(job.id) };
  }

  /** A job of this tenant: `{ id, state, result?, failedReason? }`; another tenant's job is a 404. */
  @Get('jobs/:id')
  async get(@Param('id') id: string): Promise<{ id: string; state: string; result?: unknown; failedReason?: string }> {
    let job = /^\d{1,18}$/.test(id) ? await this.queue.getJob(id) : undefined;
    if (!job || tenantOfJob(job) !== this.tenancy.currentOrThrow().schema) {
      throw new NotFoundException(`No job ${JSON.stringify(id)} for this tenant.`);
    }
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') {
      // read again: the job may have finished after it was read, without its result
      job = (await this.queue.getJob(id)) ?? job;
    }
    return {
      id: String(job.id),
      state,
      ...(job.returnvalue !== null && job.returnvalue !== undefined ? { result: job.returnvalue as unknown } : {}),
      ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    };
  }
}
