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
  env?: Record<string, string | undefined>;
}

export class IOStreams {
  private stdinValue: Readable | undefined;
  private readonly makeStdin: (() => Readable) | undefined;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly env: Record<string, string | undefined>;
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
   * else only when that stream is a terminal. https://no-color.org/
   */
  colorEnabled(stream: 'stdout' | 'stderr' = 'stdout'): boolean {
    if (this.colorOff || this.env.NO_COLOR) return false;
    const force = this.env.FORCE_COLOR;
    if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
    return stream === 'stdout' ? this.stdoutIsTTY : this.stderrIsTTY;
  }

  /** `--no-color`: no colour on either stream for the rest of the run, whatever the environment says. */
  disableColor(): void {
    this.colorOff = true;
  }

  /** Spinners and progress only when a person watches both streams (gh's rule). */
  canPrompt(): boolean {
    return this.stdinIsTTY && this.stdoutIsTTY;
  }

  spinnerEnabled(): boolean {
    return this.stdoutIsTTY && this.stderrIsTTY && !this.env.CI;
  }
}
