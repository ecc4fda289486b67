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
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    globalSetup: ['./test/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
