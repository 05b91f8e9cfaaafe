import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/summary-reporter.js';

// Interop suite: needs the real `receptor` binary and `receptorctl` on PATH (see .ci/install-peers).
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', new SummaryReporter('interop')],
  },
});
