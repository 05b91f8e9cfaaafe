import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/summary-reporter.js';

// The main suite: unit, integration (real sockets against the embedded node) and e2e (the built binary).
// The interop suite (real receptor / receptorctl) has its own config: vitest.interop.config.ts.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Builds dist/ once when it is older than src/ (e2e tests spawn bin/meshctl.js); `npm test` builds first anyway.
    globalSetup: ['test/e2e/global-setup.ts'],
    reporters: ['default', new SummaryReporter('meshctl')],
  },
});
