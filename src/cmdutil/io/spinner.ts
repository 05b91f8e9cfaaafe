// A spinner on stderr while waiting on something slow. Only when a person watches (IOStreams.spinnerEnabled:
// stdout and stderr are terminals, not CI), shown only after a short delay so fast replies never flicker, and
// ora is imported only when a spinner is actually drawn.
import type { IOStreams } from './iostreams.js';

const SHOW_AFTER_MS = 250;

interface OraLike {
  start(): unknown;
  stop(): unknown;
}

export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private ora: OraLike | undefined;
  private generation = 0;

  constructor(
    private readonly io: IOStreams,
    private readonly enabled: boolean = io.spinnerEnabled(),
  ) {}

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
    const gen = ++this.generation;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void import('ora').then(({ default: ora }) => {
        if (gen !== this.generation) return; // stopped meanwhile
        this.ora = ora({
          text,
          stream: this.io.stderr,
          isEnabled: true,
          // ora would otherwise put stdin in raw mode to swallow keystrokes: stdin may be a submit payload.
          discardStdin: false,
          color: this.io.colorEnabled('stderr') ? 'cyan' : false,
        } as Parameters<typeof ora>[0]).start();
      });
    }, SHOW_AFTER_MS);
    this.timer.unref();
  }

  /** Idempotent; the single error path calls it before printing. */
  stop(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.ora?.stop();
    this.ora = undefined;
  }
}
