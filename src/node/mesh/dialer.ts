// The redial loop of a peer backend (Receptor: pkg/backends/utils.go dialerSession): dial, run the link
// until it ends, wait, dial again. The wait starts at `redialDelayMs`, grows ×1.5 per attempt up to
// `redialMaxDelayMs` and goes back to the start after a successful dial, as Receptor's
// IncrementalDuration; ours adds ±10 % jitter so two nodes dialling each other do not stay in step.
import type { NodeLogger } from '../logger.js';
import type { Link } from './link.js';
import type { FrameTransport } from './transport/frame-transport.js';

export interface DialerOptions {
  label: string;
  redial: boolean;
  initialDelayMs: number;
  maxDelayMs: number;
  dial(signal: AbortSignal): Promise<FrameTransport>;
  /** Turns a transport into a running link. */
  attach(t: FrameTransport): Link;
  logger: NodeLogger;
  onError(err: Error): void;
}

export class Dialer {
  private readonly abort = new AbortController();
  private current: Link | undefined;
  readonly done: Promise<void>;

  constructor(private readonly o: DialerOptions) {
    this.done = this.run();
  }

  /** The link of the current session, if one is running. */
  get link(): Link | undefined {
    return this.current;
  }

  private async run(): Promise<void> {
    let delay = this.o.initialDelayMs;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let failed: Error | undefined;
      try {
        const t = await this.o.dial(signal);
        if (signal.aborted) {
          t.destroy();
          return;
        }
        delay = this.o.initialDelayMs;
        this.current = this.o.attach(t);
        await this.current.closed;
        this.current = undefined;
      } catch (err) {
        failed = err as Error;
        if (!signal.aborted) this.o.onError(failed);
      }
      if (signal.aborted) return;
      if (!this.o.redial) {
        // pkg/backends/utils.go dialerSession's texts.
        if (failed) this.o.logger.error(`Backend connection failed: ${failed.message}`);
        else this.o.logger.error('Backend connection exited');
        return;
      }
      if (failed) this.o.logger.warning(`Backend connection failed (will retry): ${failed.message}`);
      else this.o.logger.warning('Backend connection exited (will retry)');
      const wait = delay * (0.9 + Math.random() * 0.2);
      delay = Math.min(delay * 1.5, this.o.maxDelayMs);
      // The abort listener is removed when the wait ends: a peer that stays down is redialled for as long as the
      // node runs, and a listener left per attempt grew without bound (MaxListenersExceededWarning after ~10).
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, wait);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** Stops redialling and drops the current link. */
  async close(): Promise<void> {
    this.abort.abort();
    this.current?.close('backend closed');
    await this.done;
  }
}
