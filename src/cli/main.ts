// argv → exit status for the whole CLI: commander's command tree (src/cli/program.ts) parses argv and its actions
// hand their verb to runCommandLine (src/cli/run.ts), which owns process signals and the single error path.
// `--version`, `status` and `work list` in their plain shapes usually arrive through the fast path instead
// (src/cli/fast.ts): same run, argv read by hand, no commander.
import type { IOStreams } from '../cmdutil/io/iostreams.js';
import { AbortError } from '../errors.js';
import { firstOperand, normaliseArgv } from './argv.js';
import { outputFlags, type ProgramContext } from './define/common.js';
import { debugRequested, GLOBAL_OPTIONS_WITH_VALUE, resolveGlobals } from './global-options.js';
import { buildProgram, scopeFor } from './program.js';
import { runCommandLine, type MainOptions } from './run.js';

export type { MainOptions } from './run.js';

export async function main(argv: readonly string[], io?: IOStreams, opts: MainOptions = {}): Promise<number> {
  // Receptor mode (src/cli/receptor-compat.ts), what the `receptor` launcher runs: the words are receptor's, as
  // given, so they skip meshctl's argv normalisation.
  const receptorMode = argv[0] === 'node' && argv[1] === '--receptor-compat';
  const args = receptorMode ? ['node', ...argv.slice(2)] : normaliseArgv(argv);
  return runCommandLine(
    {
      debug: debugRequested(args),
      nested: main,
      body: async (invoke, streams) => {
        const ctx: ProgramContext = {
          io: streams,
          receptorMode,
          invoke: (cmd, o, load) => invoke(resolveGlobals(cmd), outputFlags(cmd), o, load),
        };
        if (receptorMode) {
          const compat = await import('./receptor-compat.js');
          const words = args.slice(1);
          const answer = compat.immediateAnswer(words);
          if (answer !== undefined) {
            streams.stdout.write(answer);
            return;
          }
          compat.refuseLeadingParameter(words);
          await compat.refuseVersionWithOthers(words, async (w) => (await import('../config/argv.js')).loadNodeArgs(w));
        }
        const operand = firstOperand(args, GLOBAL_OPTIONS_WITH_VALUE);
        if (operand === 'node' && io === undefined) (await import('./young-generation.js')).keepYoungGenerationSmall();
        const program = buildProgram(ctx, scopeFor(args, operand));
        await program.parseAsync(args, { from: 'user' });
      },
      onError: receptorMode
        ? async (err, streams, stdoutClosed) => {
            if (stdoutClosed || err instanceof AbortError) return undefined;
            // Receptor prints every failure as `Error: ...` on stdout and exits 1 (cmd/config.go, RunConfigV1).
            const { receptorWording } = await import('./receptor-compat.js');
            streams.stdout.write(`Error: ${receptorWording(err)}\n`);
            return 1;
          }
        : undefined,
    },
    io,
    opts,
  );
}
