import { defineConfig } from 'vitest/config';

// The main suite: unit, integration (real sockets against the embedded node) and e2e (the built binary).
// The interop suite (real receptor / receptorctl) has its own config: vitest.interop.config.ts.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
