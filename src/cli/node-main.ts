// The fast path of `meshctl node -c FILE` (and the receptor launcher's `receptor -c FILE` / `--config FILE`):
// bin/meshctl.js loads this entry (dist/cli-bundle/node.cjs, its own bundle and code cache) instead of the whole
// CLI, so the node's control socket opens without commander, the command tree, the factory and the client code
// being loaded (issue 12: within 1.3× `node -e 0`; bench/node-startup.js). Every other `meshctl node ...` line
// (receptor's --section words, several -c, --help, install-launcher, global options) returns undefined here and
// runs through main (src/cli/main.ts), which owns the command line.
//
// What runs is what main runs for these lines: the same command (src/commands/node/run.ts), the same signal
// handling (first SIGINT/SIGTERM/SIGHUP stops the node cleanly, a second exits at once), the same error path
// (printError's one line and exit code; in receptor mode receptor's `Error: ...` on stdout, exit 1).
import type { Factory } from '../cmdutil/factory.js';
import { printError } from '../cmdutil/errors.js';
import { IOStreams } from '../cmdutil/io/iostreams.js';
import { flushed, isBrokenPipe, StdoutClosedError } from '../cmdutil/io/write.js';
import { run } from '../commands/node/run.js';
import { AbortError, type AbortSignalName } from '../errors.js';
import { immediateAnswer, RECEPTOR_COMPAT_FLAG, receptorWording, refuseLeadingParameter } from './receptor-compat.js';
import { keepYoungGenerationSmall } from './young-generation.js';

/** The config file of `node -c FILE` / `node --config FILE` (after the receptor flag, if any); else undefined. */
export function fastNodeConfig(argv: readonly string[]): { file: string; receptorMode: boolean } | undefined {
  if (argv[0] !== 'node') return undefined;
  const receptorMode = argv[1] === RECEPTOR_COMPAT_FLAG;
  const words = argv.slice(receptorMode ? 2 : 1);
  if (words.length !== 2 || (words[0] !== '-c' && words[0] !== '--config')) return undefined;
  const file = words[1]!;
  // A value that looks like an option is commander's business (and its error message).
  if (file.startsWith('-') || file === '') return undefined;
  return { file, receptorMode };
}

/** Runs the node for a line fastNodeConfig accepts and resolves to the exit code; undefined for any other line. */
export async function nodeMain(argv: readonly string[]): Promise<number | undefined> {
  const line = fastNodeConfig(argv);
  if (line === undefined) return undefined;
  const io = IOStreams.fromProcess();
  const controller = new AbortController();
  let exit = 0;
  let stdoutClosed = false;
  // As main: a closed stdout (receptor mode writes its errors there) stops the run instead of crashing Node.
  const onStdoutError = (err: unknown): void => {
    if (controller.signal.aborted) return;
    stdoutClosed = isBrokenPipe(err);
    controller.abort(stdoutClosed ? new StdoutClosedError(err) : err);
  };
  const onStderrError = (): void => undefined;
  io.stdout.on('error', onStdoutError);
  io.stderr.on('error', onStderrError);
  let interrupted: AbortSignalName | undefined;
  const WHY = { SIGINT: 'interrupted', SIGTERM: 'terminated', SIGHUP: 'hung up' } as const;
  const onSignal = (sig: AbortSignalName): void => {
    if (interrupted) process.exit(new AbortError('', { signal: sig }).exitCode); // a second signal: no clean-up
    interrupted = sig;
    controller.abort(new AbortError(WHY[sig], { signal: sig }));
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, on] of handlers) process.on(sig, on);
  try {
    if (line.receptorMode) {
      const words = argv.slice(2);
      // Neither answers for `-c FILE`; kept so this path and main's can never disagree.
      if (immediateAnswer(words) !== undefined) return undefined;
      refuseLeadingParameter(words);
    }
    keepYoungGenerationSmall();
    // run() reads only the streams and the stop signal of its Factory: no contexts, client or spinner.
    await run({ config: line.file, ...(line.receptorMode ? { receptorMode: true } : {}) }, { io, signal: controller.signal } as Pick<Factory, 'io' | 'signal'> as Factory);
    exit = 0;
  } catch (err) {
    if (line.receptorMode && !stdoutClosed && !(err instanceof AbortError)) {
      // Receptor prints every failure as `Error: ...` on stdout and exits 1 (cmd/config.go, RunConfigV1).
      io.stdout.write(`Error: ${receptorWording(err)}\n`);
      exit = 1;
    } else {
      exit = printError(io, stdoutClosed ? new StdoutClosedError(err) : err);
    }
  } finally {
    await flushed(io.stdout).catch(() => undefined);
    io.stdout.off('error', onStdoutError);
    io.stderr.off('error', onStderrError);
    for (const [sig, on] of handlers) process.off(sig, on);
    if (interrupted) setTimeout(() => process.exit(exit), 1000).unref();
  }
  return exit;
}
