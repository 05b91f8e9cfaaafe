// vitest globalSetup for the e2e suite (register in vitest.config.ts `globalSetup`): build once per run.
import { ensureBuilt } from './build.js';

export default function setup(): void {
  ensureBuilt();
}
