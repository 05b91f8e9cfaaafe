// Pull-based reading of a control connection. Receptor reads commands one byte at a time so it never
// consumes bytes after a newline (they may be a submit payload or bytes for a `connect` bridge,
// pkg/controlsvc/controlsvc.go readCommandBytes). Here the socket is read in chunks, and whatever follows
// the newline is kept aside and handed to the next reader: the next command, the payload, or the bridge.
// The stream stays in paused mode, so a session that is not reading applies TCP backpressure.
import type { Readable } from 'node:stream';

export interface LineResult {
  /** The line without `\n`, with every `\r` removed. */
  bytes: Buffer;
  /** The stream ended (a last line without `\n` is still returned, as Receptor executes it). */
  eof: boolean;
}

/** Longest command line accepted before the session is dropped (Receptor has no limit). */
export const MAX_LINE = 64 * 1024 * 1024;

export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
}

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

  /** One command line, as readCommandBytes returns it. */
  async readLine(): Promise<LineResult> {
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return { bytes: stripCR(Buffer.concat(parts)), eof: true };
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) {
        parts.push(chunk);
        size += chunk.length;
        if (size > MAX_LINE) throw new LineTooLongError(`command line longer than ${MAX_LINE} bytes`);
        continue;
      }
      parts.push(chunk.subarray(0, nl));
      this.unshift(chunk.subarray(nl + 1));
      return { bytes: stripCR(Buffer.concat(parts)), eof: false };
    }
  }
}

function stripCR(buf: Buffer): Buffer {
  if (buf.indexOf(0x0d) === -1) return buf;
  return Buffer.from(buf.filter((b) => b !== 0x0d));
}
