// A deliberately slow consumer for backpressure tests: reads at most `chunk` bytes every `everyMs` from a
// paused Readable (a child's stdout pipe), so the producer behind it fills the pipe and must wait. Every byte
// read is hashed and counted. `drain()` switches to full speed and resolves at end of stream.
//
//   const slow = new SlowReader(child.stdout!, { chunk: 64 * 1024, everyMs: 20 });   // ~3 MiB/s
//   ...measure while slow...
//   const { bytes, sha256 } = await slow.drain();
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface SlowReaderOptions {
  /** Bytes taken per tick. */
  chunk: number;
  everyMs: number;
}

export class SlowReader {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly timer: NodeJS.Timeout;
  private ended = false;
  private readonly endedP: Promise<void>;

  constructor(
    private readonly src: Readable,
    opts: SlowReaderOptions,
  ) {
    src.pause();
    this.endedP = new Promise<void>((resolve, reject) => {
      src.once('end', () => {
        this.ended = true;
        resolve();
      });
      src.once('error', reject);
    });
    this.timer = setInterval(() => {
      // read(n) with n > readableLength returns null until n bytes are buffered: ask only for what is there.
      const n = Math.min(opts.chunk, src.readableLength);
      const b = (n > 0 ? src.read(n) : src.read(0)) as Buffer | null;
      if (b) this.take(b);
    }, opts.everyMs);
  }

  private take(b: Buffer): void {
    this.bytes += b.length;
    this.hash.update(b);
  }

  /** Reads the rest at full speed; resolves at end of stream with the totals. */
  async drain(): Promise<{ bytes: number; sha256: string }> {
    clearInterval(this.timer);
    if (!this.ended) {
      for (let b = this.src.read() as Buffer | null; b; b = this.src.read() as Buffer | null) this.take(b);
      this.src.on('data', (b: Buffer) => this.take(b));
      this.src.resume();
      await this.endedP;
    }
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Stops reading (for cleanup after a failure); the source is destroyed. */
  stop(): void {
    clearInterval(this.timer);
    this.src.destroy();
  }
}
