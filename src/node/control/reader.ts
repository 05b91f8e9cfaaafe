// Pull-based reading of a control connection. Receptor reads commands one byte at a time so it never
// consumes bytes after a newline (they may be a submit payload or bytes for a `connect` bridge,
// pkg/controlsvc/controlsvc.go readCommandBytes). Here the socket is read in chunks, and whatever follows
// the newline is kept aside and handed to the next reader: the next command, the payload, or the bridge.
// The stream stays in paused mode, so a session that is not reading applies TCP backpressure.
import type { Readable } from 'node:stream';
import { RequestMeter } from './limits.js';

export interface LineResult {
  /** The line without `\n`, with every `\r` removed. */
  bytes: Buffer;
  /** The stream ended (a last line without `\n` is still returned, as Receptor executes it). */
  eof: boolean;
}

/** Longest line readLine() accepts when the caller gives no RequestMeter (a remote node's replies). */
export const MAX_LINE = 64 * 1024 * 1024;

export class ByteReader {
  private readonly pending: Buffer[] = [];
  private ended = false;
  private error: Error | undefined;
  private waiter: (() => void) | undefined;

  constructor(private readonly stream: Readable) {
    const wake = (): void => {
      const w = this.waiter;
      this.waiter = undefined;
      w?.();
    };
    stream.on('readable', wake);
    stream.on('end', () => {
      this.ended = true;
      wake();
    });
    stream.on('close', () => {
      this.ended = true;
      wake();
    });
    stream.on('error', (err: Error) => {
      this.error = err;
      wake();
    });
  }

  /** The next chunk, or null at end of stream. Rejects on a read error. */
  async read(): Promise<Buffer | null> {
    for (;;) {
      const p = this.pending.shift();
      if (p) return p;
      if (this.error) throw this.error;
      const chunk = this.stream.read() as Buffer | null;
      if (chunk !== null) return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (this.ended || this.stream.readableEnded || this.stream.destroyed) return null;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** Puts bytes back in front of the stream. */
  unshift(buf: Buffer): void {
    if (buf.length > 0) this.pending.unshift(buf);
  }

  /**
   * One command line, as readCommandBytes returns it. The line's bytes are counted in `meter` as they
   * arrive (after `\r` removal), so a line over a bound is refused while it is still coming in (a
   * RequestLimitError) rather than buffered whole. Linear in the line's length: each chunk is scanned
   * once, and the parts are joined once at the end.
   */
  async readLine(meter: RequestMeter = new RequestMeter(MAX_LINE)): Promise<LineResult> {
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return { bytes: join(parts, size), eof: true };
      const nl = chunk.indexOf(0x0a);
      const part = stripCR(nl === -1 ? chunk : chunk.subarray(0, nl));
      if (nl !== -1) this.unshift(chunk.subarray(nl + 1));
      if (part.length > 0) {
        size += part.length;
        // Throws when over a bound; the bytes read so far are dropped with `parts`.
        meter.grow(size);
        parts.push(part);
      }
      if (nl !== -1) return { bytes: join(parts, size), eof: false };
    }
  }
}

function join(parts: Buffer[], size: number): Buffer {
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts, size);
}

/** `buf` without its `\r` bytes (Receptor drops them anywhere in a line); `buf` itself when it has none. */
export function stripCR(buf: Buffer): Buffer {
  let cr = buf.indexOf(0x0d);
  if (cr === -1) return buf;
  const out = Buffer.allocUnsafe(buf.length);
  let w = 0;
  let from = 0;
  while (cr !== -1) {
    w += buf.copy(out, w, from, cr);
    from = cr + 1;
    cr = buf.indexOf(0x0d, from);
  }
  w += buf.copy(out, w, from);
  return out.subarray(0, w);
}
