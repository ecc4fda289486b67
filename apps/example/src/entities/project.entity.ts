import { defineEntity, p } from '@mikro-orm/core';
import { Task } from './task.entity.js';

/** A project of a tenant (one table per tenant schema). */
export const ProjectSchema = defineEntity({
  name: 'Project',
  tableName: 'project',
  schema: '*',
  properties: {
    id: p.integer().primary(),
    name: p.string().length(200),
    description: p.text().nullable(),
    createdAt: p
      .datetime()
      .defaultRaw('current_timestamp')
      .onCreate(() => new Date()),
    tasks: () => p.oneToMany(Task).mappedBy('project'),
  },
});

export class Project extends ProjectSchema.class {}
ProjectSchema.setClass(Project);
