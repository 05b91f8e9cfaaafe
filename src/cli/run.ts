// One run of a command line, whatever parsed it: the only place that knows about process signals, and the single
// error path: stop the spinner, print the error through printError (src/cmdutil/errors.ts: one line `meshctl:
// <message> (hint: <hint>)` on stderr, plus the stack with --debug), and map it to the exit-code table of
// src/errors.ts.
//
// Two parsers hand their command to it: the whole CLI (src/cli/main.ts, commander's tree) and the fast path of
// `--version`, `status` and `work list` (src/cli/fast.ts, argv read by hand, its own small bundle). Both run the
// verb through the same `invoke`, so what a command prints and how it exits cannot differ between them. No
// commander here: the fast path's bundle must not load it.
import type { CommandModule } from '../cmdutil/command.js';
import { printError } from '../cmdutil/errors.js';
import type { Factory } from '../cmdutil/factory.js';
import type { GlobalOptions } from '../cmdutil/globals.js';
import { IOStreams } from '../cmdutil/io/iostreams.js';
import { flushed, isBrokenPipe, StdoutClosedError } from '../cmdutil/io/write.js';
import type { StructuredFlags } from '../cmdutil/output.js';
import { AbortError, EXIT, MeshctlError, type AbortSignalName } from '../errors.js';

/** After Ctrl-C or a closed stdout, how long a command may take to clean up before main closes everything. */
const ABORT_GRACE_MS = 2000;

export interface MainOptions {
  /** Install SIGINT, SIGTERM and SIGHUP handling (default: only when running on the process's own streams). */
  signals?: boolean;
  /**
   * Aborts this run as a signal would (its reason becomes the run's): a command line run inside another command
   * (`meshctl demo`, through Factory.runCommandLine) stops with its parent; tests stop `meshctl node` with it.
   */
  signal?: AbortSignal;
}

/**
 * Runs one verb (src/commands/...: `run(opts, f)`) with a Factory built from the resolved global options and the
 * output flags (--json, --yaml, --query, --wide) the parser found.
 */
export type Invoke = <O>(globals: GlobalOptions, output: StructuredFlags, opts: O, load: () => Promise<CommandModule<O>>) => Promise<void>;

export interface RunSpec {
  /** --debug was on the command line: the error path prints stacks even when parsing failed before invoke. */
  debug: boolean;
  /** Parses the command line and calls `invoke` for the verb it names (or answers by itself: help, version). */
  body: (invoke: Invoke, io: IOStreams) => Promise<void>;
  /** A run's error before printError sees it; returns the exit status when it reported the error itself. */
  onError?: (err: unknown, io: IOStreams, stdoutClosed: boolean) => Promise<number | undefined>;
  /** Factory.runCommandLine: a command line run by a command (the demo's steps), on the same streams. */
  nested?: (argv: readonly string[], io: IOStreams, opts: MainOptions) => Promise<number>;
}

export async function runCommandLine(spec: RunSpec, io?: IOStreams, opts: MainOptions = {}): Promise<number> {
  const onProcess = io === undefined;
  const streams = io ?? IOStreams.fromProcess();
  const controller = new AbortController();
  const state = { exit: EXIT.OK as number, factory: undefined as Factory | undefined, debug: spec.debug };
  const parent = opts.signal;
  const onParentAbort = () => controller.abort(parent!.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });

  // `meshctl ... | head`: the reader goes away and writes fail with EPIPE, emitted as 'error' on stdout.
  // Without a listener Node would crash with a stack trace; instead stop the command and exit quietly.
  let stdoutClosed = false;
  const onStdoutError = (err: unknown) => {
    if (controller.signal.aborted) return;
    if (isBrokenPipe(err)) {
      stdoutClosed = true;
      controller.abort(new StdoutClosedError(err));
      return;
    }
    // Any other write failure (a full disk behind `> file`) must not pass silently as success.
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    controller.abort(new MeshctlError('EINTERNAL', `cannot write to stdout: ${code}`, { cause: err, hint: 'check where stdout goes (disk space, permissions)' }));
  };
  streams.stdout.on('error', onStdoutError);
  // After SIGHUP the terminal is gone: writes to it fail (EIO) with an 'error' event, which unhandled would crash
  // meshctl in the middle of its clean-up (the spinner's last frame, `released ID`, a resume hint). stderr is the
  // last channel, so a failure there has nowhere to be reported: it is dropped.
  const onStderrError = () => undefined;
  streams.stderr.on('error', onStderrError);

  // SIGINT (Ctrl-C), SIGTERM (CI cancellation, `timeout`) and SIGHUP (the terminal or ssh session went away) all
  // abort the command through the one signal every command watches, so each gets the same clean-up (`--rm`
  // releases, a follow prints its resume hint, an upload is reset); the abort reason names the signal, so the exit
  // status is 130, 143 or 129. Node's default for SIGTERM and SIGHUP is to die on the spot, skipping all of that.
  let interrupted: AbortSignalName | undefined;
  const exitFor = (sig: AbortSignalName) => new AbortError('', { signal: sig }).exitCode;
  const WHY = { SIGINT: 'interrupted', SIGTERM: 'terminated', SIGHUP: 'hung up' } as const;
  const onSignal = (sig: AbortSignalName) => {
    if (interrupted) process.exit(exitFor(sig)); // a second signal: don't wait for clean-up
    interrupted = sig;
    state.factory?.spinner.stop();
    controller.abort(new AbortError(WHY[sig], { signal: sig }));
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, () => onSignal(sig)] as const);
  const handleSignals = opts.signals ?? onProcess;
  if (handleSignals) for (const [sig, on] of handlers) process.on(sig, on);

  /**
   * Runs `work`, ending early (with the abort reason) when interrupted or when stdout closes. The command sees
   * the same signal; it gets a short grace period to finish its clean-up (`submit --rm` releases its unit)
   * before main closes its connections.
   */
  const raceAbort = <T>(work: Promise<T>): Promise<T> => {
    const signal = controller.signal;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        timer = setTimeout(() => reject(signal.reason), ABORT_GRACE_MS);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        signal.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      };
      work.then(
        (v) => {
          settle();
          if (signal.aborted) reject(signal.reason);
          else resolve(v);
        },
        (e) => {
          settle();
          reject(signal.aborted && !explainsAbort(e, signal.reason) ? signal.reason : e);
        },
      );
    });
  };

  const invoke: Invoke = async (globals, output, o, load) => {
    state.debug ||= globals.debug;
    if (!globals.color) streams.disableColor();
    const [{ Factory }, { prepareStyles }] = await Promise.all([import('../cmdutil/factory.js'), import('../render/style.js')]);
    await prepareStyles(streams.colorEnabled('stdout') || streams.colorEnabled('stderr'));
    const nested = spec.nested;
    const f = new Factory(
      streams,
      globals,
      controller.signal,
      nested ? { runCommandLine: (argv) => nested(argv, streams, { signals: false, signal: controller.signal }) } : {},
      output,
    );
    state.factory = f;
    const mod = await load();
    const work = mod.run(o, f);
    await (mod.ownsInterrupt ? work : raceAbort(work));
    state.exit = EXIT.OK;
  };

  try {
    await spec.body(invoke, streams);
    return state.exit;
  } catch (err) {
    state.factory?.spinner.stop();
    const reported = await spec.onError?.(err, streams, stdoutClosed);
    if (reported !== undefined) {
      state.exit = reported;
      return state.exit;
    }
    state.exit = printError(streams, stdoutClosed ? new StdoutClosedError(err) : err, { debug: state.debug });
    return state.exit;
  } finally {
    parent?.removeEventListener('abort', onParentAbort);
    await state.factory?.close();
    // Output a command wrote without waiting (cert inspect of a large bundle) may still be on its way to a pipe;
    // its EPIPE (`| head`) would arrive after the listener is gone and crash with a stack trace. Wait for it.
    await flushed(streams.stdout).catch(() => undefined);
    streams.stdout.off('error', onStdoutError);
    streams.stderr.off('error', onStderrError);
    if (handleSignals) {
      for (const [sig, on] of handlers) process.off(sig, on);
      if (interrupted) {
        // Something (a stdin read, a socket) may still hold the event loop after an interrupt: don't hang.
        const code = state.exit;
        setTimeout(() => process.exit(code), 1000).unref();
      }
    }
  }
}

/**
 * After an abort a command's error is usually a consequence of it (a closed socket) and the abort reason stands
 * in for it. An error of its own whose cause is the abort reason explains what the interruption left behind
 * (`upload interrupted at byte N ...`): that one is kept.
 */
function explainsAbort(err: unknown, reason: unknown): boolean {
  return err instanceof MeshctlError && !(err instanceof AbortError) && err.cause === reason;
}
