// The fast path of `meshctl --version`, `meshctl status` and `meshctl work list` (issue 13: within 1.15× `node -e 0`):
// bin/meshctl.js loads this entry (dist/cli-bundle/fast.cjs, its own bundle and code cache) before the whole CLI.
// For a line src/cli/fast-path.ts recognises, it runs the verb through the same run as main (src/cli/run.ts:
// signals, Factory, error path), without commander, the command tree and the rest of the CLI's code; for any other
// line it returns undefined and bin/meshctl.js loads main.cjs. test/e2e/fast-path.test.ts runs both on the same
// lines and compares stdout, stderr and exit status.
import { meshctlVersion } from '../cmdutil/version.js';
import { fastLine } from './fast-path.js';
import { runCommandLine } from './run.js';

/** Runs argv when it is one of the fast path's shapes and resolves to the exit status; undefined otherwise. */
export function fastMain(argv: readonly string[]): Promise<number> | undefined {
  const line = fastLine(argv);
  if (line === undefined) return undefined;
  return runCommandLine({
    debug: false,
    body: async (invoke, io) => {
      switch (line.kind) {
        case 'version':
          // What commander's .version() writes (src/cli/program.ts), ending as its exit does: status 0.
          io.stdout.write(`${meshctlVersion()}\n`);
          return;
        case 'status':
          return invoke(line.globals, line.output, line.opts, () => import('../commands/status.js'));
        case 'work list':
          return invoke(line.globals, line.output, line.opts, () => import('../commands/work/list.js'));
      }
    },
  });
}
