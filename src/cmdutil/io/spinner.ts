// A spinner on stderr while waiting on something slow. Only when a person watches a terminal that can take it
// (IOStreams.spinnerEnabled: stdout and stderr are terminals, not CI, not TERM=dumb, a known width), shown only
// after a short delay so fast replies never flicker.
//
// It draws one line and nothing else: `\r`, the frame and the text cut to the width, then "erase to the end of
// the line". The line never reaches the last column, so it cannot wrap, and clearing it is the same two codes
// whatever happened in between. ora (used before) counted the lines its text would wrap to by dividing by the
// terminal's width: with 0 columns (`stty cols 0`, some CI pseudo-terminals) that is Infinity, and its clear()
// looped for ever writing cursor codes, 7.8 MB in 30 s, growing to 3.2 GB, deaf to SIGINT and SIGTERM (issue 11).
// Here the width is read before every frame; below MIN_SPINNER_COLUMNS (a window resized mid-spin) the line is
// cleared and nothing more is drawn until it is wide again. Every frame is one bounded write, skipped while the
// terminal has not drained the previous ones, and the timers never keep the process alive.
import { printable } from '../../printable.js';
import { MIN_SPINNER_COLUMNS, type IOStreams } from './iostreams.js';

const SHOW_AFTER_MS = 250;
/** ora's default ("dots" of cli-spinners), so the look is unchanged. */
const FRAME_MS = 80;
const UNICODE_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** The Linux console (TERM=linux) has no braille glyphs. */
const ASCII_FRAMES = ['-', '\\', '|', '/'];
const CLEAR_LINE = '\r\x1b[K';

/**
 * `text` cut to at most `max` terminal columns, with `…` when cut. Counts every character outside printable
 * ASCII as two columns: wide (CJK, emoji) characters would otherwise make the line wrap; narrow ones only make
 * the cut a little early.
 */
export function fitLine(text: string, max: number): string {
  if (max <= 0) return '';
  let width = 0;
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i++) {
    const w = columnsOf(chars[i]!);
    if (width + w > max) {
      // Room for the ellipsis: drop characters until it fits.
      let cut = i;
      while (cut > 0 && width + 1 > max) width -= columnsOf(chars[--cut]!);
      return chars.slice(0, cut).join('') + (width + 1 <= max ? '…' : '');
    }
    width += w;
  }
  return text;
}

function columnsOf(ch: string): number {
  const c = ch.codePointAt(0)!;
  return c >= 0x20 && c < 0x7f ? 1 : 2;
}

export class Spinner {
  private showTimer: NodeJS.Timeout | undefined;
  private frameTimer: NodeJS.Timeout | undefined;
  private text = '';
  private frame = 0;
  /** Something is on the line that stop() must erase. */
  private drawn = false;
  /** The last write was not taken at once: skip frames until 'drain'. */
  private waitingDrain = false;
  private readonly frames: readonly string[];

  constructor(
    private readonly io: IOStreams,
    private readonly enabled: boolean = io.spinnerEnabled(),
  ) {
    this.frames = io.env.TERM === 'linux' ? ASCII_FRAMES : UNICODE_FRAMES;
  }

  /** Runs `fn` with the spinner showing `text`; always stopped before returning or throwing. */
  async while<T>(text: string, fn: () => Promise<T>): Promise<T> {
    this.start(text);
    try {
      return await fn();
    } finally {
      this.stop();
    }
  }

  start(text: string): void {
    this.stop();
    if (!this.enabled) return;
    // The text may quote what the user typed (a node or unit id): control characters escaped.
    this.text = printable(text);
    this.showTimer = setTimeout(() => {
      this.showTimer = undefined;
      this.frame = 0;
      this.frameTimer = setInterval(() => this.draw(), FRAME_MS);
      this.frameTimer.unref();
      this.draw();
    }, SHOW_AFTER_MS);
    this.showTimer.unref();
  }

  /** Idempotent; the single error path calls it before printing. */
  stop(): void {
    if (this.showTimer) clearTimeout(this.showTimer);
    if (this.frameTimer) clearInterval(this.frameTimer);
    this.showTimer = undefined;
    this.frameTimer = undefined;
    this.erase();
  }

  private draw(): void {
    if (this.waitingDrain) return;
    const columns = this.io.columns('stderr');
    if (columns < MIN_SPINNER_COLUMNS) {
      this.erase();
      return;
    }
    const frame = this.frames[this.frame++ % this.frames.length]!;
    const colored = this.io.colorEnabled('stderr') ? `\x1b[36m${frame}\x1b[39m` : frame;
    // One column is left free: writing into the last one makes some terminals wrap at once.
    const rest = fitLine(this.text, columns - 1 - 2);
    this.write(`\r${colored} ${rest}\x1b[K`);
    this.drawn = true;
  }

  private erase(): void {
    if (!this.drawn) return;
    this.drawn = false;
    this.write(CLEAR_LINE);
  }

  private write(s: string): void {
    const stderr = this.io.stderr;
    if (stderr.destroyed || stderr.writableEnded) return;
    if (!stderr.write(s) && !this.waitingDrain) {
      this.waitingDrain = true;
      stderr.once('drain', () => {
        this.waitingDrain = false;
      });
    }
  }
}
