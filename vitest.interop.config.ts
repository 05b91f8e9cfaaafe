import { defineConfig } from 'vitest/config';

// Interop suite: needs the real `receptor` binary and `receptorctl` on PATH (see .ci/install-peers).
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
