import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import base from './vitest.config.js';

/**
 * Test order for mutation testing (stryker.config.mjs): Stryker stops at a mutant's first failing
 * test, so the quickest tests that can fail go first: unit specs before end-to-end tests, and within
 * each, files that failed last time, then the shortest.
 */
class QuickestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const result = (spec: TestSpecification) => this.ctx.cache.getTestSpecificationResult(spec);
    const rank = (spec: TestSpecification) => (spec.moduleId.includes('/test/') ? 1 : 0);
    return [...files].sort(
      (a, b) =>
        rank(a) - rank(b) ||
        Number(result(b)?.failed ?? false) - Number(result(a)?.failed ?? false) ||
        (result(a)?.duration ?? 0) - (result(b)?.duration ?? 0),
    );
  }
}

/** The library's folder beside this config file (in Stryker's sandbox: the sandbox's copy). */
const library = new URL('./libs/tenancy/', import.meta.url);

/**
 * Every entry of the package (`nestjs-tenancy`, `nestjs-tenancy/testing`, `…/websockets`, …) to its
 * source file, read from the package's `exports` (their `tenancy-source` condition), so that an
 * entry added later is not missed: a missed one loads the original library beside the sandbox's
 * copy, and its tests fail in Stryker's dry run.
 */
const entries = Object.entries(
  (JSON.parse(readFileSync(new URL('package.json', library), 'utf8')) as { exports: Record<string, unknown> }).exports,
).flatMap(([subpath, target]) => {
  const sourceFile =
    typeof target === 'object' && target !== null ? (target as Record<string, string>)['tenancy-source'] : undefined;
  if (!sourceFile) {
    return [];
  }
  const name = `nestjs-tenancy${subpath.slice(1)}`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return [{ find: new RegExp(`^${name}$`), replacement: fileURLToPath(new URL(sourceFile, library)) }];
});

const config = mergeConfig(base, {
  // Stryker runs the tests in a sandbox copy of the project whose node_modules is a link to the
  // project's: `nestjs-tenancy` (a workspace link, ../libs/tenancy) would resolve to the original,
  // unmutated sources, so every test importing the package name (the example app, the e2e tests)
  // would test the original library, and two copies of its classes would meet in one process. The
  // package's entries point into this copy instead.
  resolve: {
    alias: entries,
  },
  test: { sequence: { sequencer: QuickestFirstSequencer } },
});

// MUTATE_TESTS (comma-separated globs, set by scripts/mutate.mjs for the folders it has a list for)
// runs only the specs about the mutated folder instead of the whole suite: every kill is still by a
// real test, so the score is a lower bound, and a run takes minutes instead of an hour. (Set here,
// not merged: mergeConfig would append to the base config's include.)
if (process.env.MUTATE_TESTS) {
  config.test = { ...config.test, include: process.env.MUTATE_TESTS.split(',').filter(Boolean) };
}

export default config;
