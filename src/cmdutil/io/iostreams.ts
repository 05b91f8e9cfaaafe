// IOStreams owns the three standard streams of one CLI run (after gh's pkg/iostreams): commands never
// touch process.stdout/stderr/stdin, they get an IOStreams. Tests build one over PassThrough streams.
import type { Readable, Writable } from 'node:stream';
import { isatty } from 'node:tty';

export interface IOStreamsInit {
  /** The stream, or a function that makes it on first use (process.stdin costs ~10 ms to set up). */
  stdin: Readable | (() => Readable);
  stdout: Writable;
  stderr: Writable;
  /** Defaults: the streams' own `isTTY`. Tests force them. */
  stdinIsTTY?: boolean;
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  /** Defaults: the streams' own `columns`, read at each call (a terminal can be resized). Tests force them. */
  stdoutColumns?: number;
  stderrColumns?: number;
  env?: Record<string, string | undefined>;
}

/**
 * Narrower than this, a spinner frame and a few words do not fit on one line: no spinner. It also covers a
 * terminal that reports 0 columns (`stty cols 0`, some CI pseudo-terminals), where ora divided by the width and
 * looped for ever (issue 11).
 */
export const MIN_SPINNER_COLUMNS = 20;

export class IOStreams {
  private stdinValue: Readable | undefined;
  private readonly makeStdin: (() => Readable) | undefined;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly env: Record<string, string | undefined>;
  private readonly columnsOverride: { stdout?: number; stderr?: number };
  private colorOff = false;

  constructor(init: IOStreamsInit) {
    if (typeof init.stdin === 'function') this.makeStdin = init.stdin;
    else this.stdinValue = init.stdin;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
    this.stdinIsTTY = init.stdinIsTTY ?? (typeof init.stdin === 'function' ? false : Boolean((init.stdin as { isTTY?: boolean }).isTTY));
    this.stdoutIsTTY = init.stdoutIsTTY ?? Boolean((init.stdout as { isTTY?: boolean }).isTTY);
    this.stderrIsTTY = init.stderrIsTTY ?? Boolean((init.stderr as { isTTY?: boolean }).isTTY);
    this.env = init.env ?? {};
    this.columnsOverride = { stdout: init.stdoutColumns, stderr: init.stderrColumns };
  }

  get stdin(): Readable {
    this.stdinValue ??= this.makeStdin!();
    return this.stdinValue;
  }

  static fromProcess(): IOStreams {
    return new IOStreams({
      // Touching process.stdin creates the stream (a TTY or pipe handle): only commands that read it pay.
      stdin: () => process.stdin,
      stdinIsTTY: isatty(0),
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
    });
  }

  /**
   * Colour on a stream: NO_COLOR (any non-empty value) wins, then FORCE_COLOR (non-empty and not '0'),
   * else only when that stream is a terminal that is not `TERM=dumb`. https://no-color.org/
   */
  colorEnabled(stream: 'stdout' | 'stderr' = 'stdout'): boolean {
    if (this.colorOff || this.env.NO_COLOR) return false;
    const force = this.env.FORCE_COLOR;
    if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
    if (this.dumbTerminal()) return false;
    return stream === 'stdout' ? this.stdoutIsTTY : this.stderrIsTTY;
  }

  /**
   * `TERM=dumb` (Emacs shell buffers, some CI runners): a terminal that understands no escape sequence, so no
   * cursor movement (spinner) and no colour or bold, unless FORCE_COLOR asks for colour (as chalk and gh do).
   */
  dumbTerminal(): boolean {
    return this.env.TERM === 'dumb';
  }

  /**
   * The width of a terminal stream in columns; 0 when the stream is not a terminal or its width is unknown (a
   * pseudo-terminal nobody sized reports 0). Read at each call: the window may have been resized.
   */
  columns(stream: 'stdout' | 'stderr'): number {
    if (!(stream === 'stdout' ? this.stdoutIsTTY : this.stderrIsTTY)) return 0;
    const n = this.columnsOverride[stream] ?? (this[stream] as { columns?: number }).columns;
    return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
  }

  /** `--no-color`: no colour on either stream for the rest of the run, whatever the environment says. */
  disableColor(): void {
    this.colorOff = true;
  }

  /** Spinners and progress only when a person watches both streams (gh's rule). */
  canPrompt(): boolean {
    return this.stdinIsTTY && this.stdoutIsTTY;
  }

  /**
   * The spinner draws only on a terminal that can take it: stdout and stderr terminals (gh's rule), not CI, not
   * `TERM=dumb`, and at least MIN_SPINNER_COLUMNS wide (a width of 0 is unknown, and then nothing is drawn).
   */
  spinnerEnabled(): boolean {
    return (
      this.stdoutIsTTY && this.stderrIsTTY && !this.env.CI && !this.dumbTerminal() && this.columns('stderr') >= MIN_SPINNER_COLUMNS
    );
  }
}
