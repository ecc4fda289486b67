import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the compiled example app (the library is compiled next to it). */
const DIST = new URL('../../dist/apps/example/', import.meta.url);

/** Path of a compiled file of the example app, e.g. `app.factory.js`. */
export const exampleFile = (file) => fileURLToPath(new URL(`apps/example/src/${file}`, DIST));

/** Path of the compiled library's public entry. */
export const libraryFile = () => fileURLToPath(import.meta.resolve('nestjs-tenancy'));

/** Folder of the example app's compiled tenant migrations. */
export const tenantMigrationsFolder = () => exampleFile('migrations/tenant');

/** Newest modification time of the `.ts` files under `folder`. */
function newestSource(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/**
 * Builds the apps (`npm run build`) when the compiled output is missing or older than the
 * sources of the example app or the library. A build that reports type errors but still emitted
 * every file is accepted with a warning (tsc emits on error).
 */
export function ensureBuilt(log) {
  const needed = [exampleFile('app.factory.js'), libraryFile()];
  const root = fileURLToPath(new URL('../../', import.meta.url));
  if (needed.every((file) => existsSync(file))) {
    const built = Math.min(...needed.map((file) => statSync(file).mtimeMs));
    const sources = Math.max(newestSource(join(root, 'apps/example/src')), newestSource(join(root, 'libs/tenancy/src')));
    if (sources <= built) {
      return;
    }
    log('dist/ is older than the sources: running npm run build');
  } else {
    log('dist/ is missing: running npm run build');
  }
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (!needed.every((file) => existsSync(file))) {
    throw new Error('npm run build did not produce dist/apps/example: fix the build first.');
  }
  if (result.status !== 0) {
    log('warning: npm run build reported errors, but the compiled files exist; benchmarking them');
  }
}

/** The compiled example app and library, imported once. */
export async function loadDist() {
  const [factory, orm, project, task, controller, service, errorFilter, library] = await Promise.all([
    import(exampleFile('app.factory.js')),
    import(exampleFile('orm.config.js')),
    import(exampleFile('entities/project.entity.js')),
    import(exampleFile('entities/task.entity.js')),
    import(exampleFile('projects/projects.controller.js')),
    import(exampleFile('projects/projects.service.js')),
    import(exampleFile('app-error.filter.js')),
    import(libraryFile()),
  ]);
  return {
    createExampleApp: factory.createExampleApp,
    ormOptions: orm.ormOptions,
    migrations: orm.migrations,
    ProjectSchema: project.ProjectSchema,
    TaskSchema: task.TaskSchema,
    ProjectsController: controller.ProjectsController,
    ProjectsService: service.ProjectsService,
    AppErrorFilter: errorFilter.AppErrorFilter,
    tenancy: library,
  };
}
