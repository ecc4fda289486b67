import { defineConfig } from 'vitest/config';

export default defineConfig({
  // tests import 'nestjs-tenancy' through its package exports, resolved to the TypeScript sources
  // (the 'tenancy-source' condition of libs/tenancy/package.json): no build needed, and mutation
  // testing mutates what the tests run
  resolve: { conditions: ['tenancy-source'] },
  ssr: { resolve: { conditions: ['tenancy-source'], externalConditions: [] } },
  test: {
    // TENANCY_FAILING_FIXTURE=1 runs only the spec that fails on purpose (.ci/run checks the exit code)
    include: process.env.TENANCY_FAILING_FIXTURE
      ? ['test/fixtures/failing.fixture-spec.ts']
      : ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    globalSetup: ['./test/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
