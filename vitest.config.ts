import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: {
      'nestjs-tenancy/testing': fileURLToPath(new URL('./libs/tenancy/src/testing/index.ts', import.meta.url)),
      'nestjs-tenancy': fileURLToPath(new URL('./libs/tenancy/src/index.ts', import.meta.url)),
    },
  },
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
