// The one command contract (gh's `NewCmdX(f, runF)` + `xRun(opts)`): every verb under src/commands exports
//
//     run(opts: O, f: Factory): Promise<void>
//
// `opts` is a plain object the command tree built from argv (src/cli/define/*), `f` gives it everything else
// (streams, client, output, the abort signal). It returns when it succeeded and throws when it did not: the CLI's
// one error path (src/cli/main.ts → printError in ./errors.ts) prints the error and picks the exit status. A
// command that has already told the user what went wrong throws SilentError(status) (./errors.ts).
import type { Factory } from './factory.js';

export interface CommandModule<O> {
  run(opts: O, f: Factory): Promise<void>;
  /**
   * The command handles the abort signal itself and its outcome stands (`meshctl node` shuts down cleanly and
   * exits 0 on Ctrl-C). Otherwise an interrupted command ends with the interruption's status (130 / 143) after a
   * short grace period for its clean-up.
   */
  readonly ownsInterrupt?: boolean;
}
