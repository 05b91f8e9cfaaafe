// A byte connection as the protocol layers see it: pull-based reads (backpressure comes for free: nothing
// is read from the socket until the consumer asks), writes that wait for `drain`, and half-close.
import type { Duplex } from 'node:stream';

export interface Conn {
  /** The next chunk, or null at end of stream. Rejects with the socket's error. */
  next(): Promise<Buffer | null>;
  /** Resolves once the bytes are handed to the kernel buffer (awaits `drain` when the socket is full). */
  write(data: Uint8Array | string): Promise<void>;
  /** Half-close: sends FIN (and TLS close_notify); reading goes on. */
  end(): Promise<void>;
  /** Tears the connection down; pending reads reject with `err` if given, else end. */
  destroy(err?: Error): void;
  readonly destroyed: boolean;
}

/** Wraps a connected net.Socket / tls.TLSSocket. `mapError` turns socket errors into meshctl errors. */
export class StreamConn implements Conn {
  private readonly iter: AsyncIterator<Buffer>;
  private failure: Error | undefined;

  constructor(
    private readonly sock: Duplex,
    private readonly mapError: (err: Error) => Error = (e) => e,
  ) {
    // Readable's async iterator pulls one chunk per next(): the socket is paused in between.
    this.iter = sock[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    sock.on('error', (err) => {
      this.failure ??= err;
    });
  }

  async next(): Promise<Buffer | null> {
    try {
      const r = await this.iter.next();
      return r.done ? null : (r.value as Buffer);
    } catch (err) {
      throw this.mapError(err as Error);
    }
  }

  write(data: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.sock.destroyed || this.sock.writableEnded) {
        reject(this.mapError(this.failure ?? Object.assign(new Error('connection closed'), { code: 'EPIPE' })));
        return;
      }
      const cleanup = () => {
        this.sock.off('drain', onDrain);
        this.sock.off('close', onClose);
        this.sock.off('error', onError);
      };
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        cleanup();
        reject(this.mapError(this.failure ?? Object.assign(new Error('connection closed'), { code: 'EPIPE' })));
      };
      const onError = (err: Error) => {
        cleanup();
        reject(this.mapError(err));
      };
      const ok = this.sock.write(data, (err) => {
        if (err && !ok) onError(err);
      });
      if (ok) {
        resolve();
        return;
      }
      this.sock.on('drain', onDrain);
      this.sock.on('close', onClose);
      this.sock.on('error', onError);
    });
  }

  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.sock.writableEnded || this.sock.destroyed) {
        resolve();
        return;
      }
      this.sock.end(() => resolve());
    });
  }

  destroy(err?: Error): void {
    if (err) this.failure ??= err;
    this.sock.destroy();
    // Wake a pending next(): Readable's iterator settles on 'close' (ending, or rejecting with the error).
    void this.iter.return?.().catch(() => undefined);
  }

  get destroyed(): boolean {
    return this.sock.destroyed;
  }
}
