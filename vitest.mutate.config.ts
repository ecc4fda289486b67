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

export default mergeConfig(base, { test: { sequence: { sequencer: QuickestFirstSequencer } } });
