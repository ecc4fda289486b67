import { defineEntity, p } from '@mikro-orm/core';
import { Project } from './project.entity.js';

/** A task of a project (one table per tenant schema). */
export const TaskSchema = defineEntity({
  name: 'Task',
  tableName: 'task',
  schema: '*',
  indexes: [{ name: 'task_project_id_index', properties: ['project'] }],
  properties: {
    id: p.integer().primary(),
    project: () => p.manyToOne(Project).deleteRule('cascade'),
    title: p.string().length(500),
    done: p.boolean().default(false),
    createdAt: p
      .datetime()
      .defaultRaw('current_timestamp')
      .onCreate(() => new Date()),
  },
});

export class Task extends TaskSchema.class {}
TaskSchema.setClass(Task);
