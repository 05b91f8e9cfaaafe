// A byte connection as the protocol layers see it: the consumer pulls with next() from a small bounded
// read-ahead (the socket pauses when 256 KiB wait, so a slow consumer slows the peer and memory stays flat),
// writes that wait for `drain`, half-close, and reset.
import type { Socket } from 'node:net';
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
  /**
   * Tears the connection down so the peer sees an abort, not an orderly end: a TCP RST (for TLS, on the TCP
   * socket under it, with no close_notify). Returns false when there is no reset to send: a Unix socket is
   * simply closed, and its peer reads a plain end of stream.
   */
  reset(): boolean;
  readonly destroyed: boolean;
}

/**
 * Wraps a connected net.Socket / tls.TLSSocket. `mapError` turns socket errors into meshctl errors. `tcp` is the
 * TCP socket reset() resets: `sock` itself for TCP, the socket under it for TLS (a TLSSocket's own handle is
 * not a TCP handle, and its resetAndDestroy() throws ERR_INVALID_HANDLE_TYPE); none for a Unix socket.
 */
export class StreamConn implements Conn {
  // Flowing reads into a bounded queue: the socket is paused only when 256 KiB are waiting (backpressure
  // still reaches the peer), so libuv can batch reads instead of stopping and restarting per 64 KiB chunk.
  private static readonly HIGH = 256 * 1024;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | undefined;
  private waiter: { resolve: (b: Buffer | null) => void; reject: (e: Error) => void } | undefined;

  constructor(
    private readonly sock: Duplex,
    private readonly mapError: (err: Error) => Error = (e) => e,
    private readonly tcp?: Socket,
  ) {
    sock.on('data', (d: Buffer) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(d);
        return;
      }
      this.queue.push(d);
      this.queued += d.length;
      if (this.queued >= StreamConn.HIGH) sock.pause();
    });
    const end = () => {
      this.ended = true;
      this.settle();
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', (err) => {
      this.failure ??= err;
      this.settle();
    });
  }

  private settle(): void {
    const w = this.waiter;
    if (!w || this.queue.length) return;
    if (this.failure) {
      this.waiter = undefined;
      w.reject(this.mapError(this.failure));
    } else if (this.ended) {
      this.waiter = undefined;
      w.resolve(null);
    }
  }

  next(): Promise<Buffer | null> {
    // Everything queued in one piece: TLS delivers 16 KiB records one callback each, and one copy costs less
    // than a trip through the stream layers per record.
    const b = this.queue.length > 1 ? Buffer.concat(this.queue.splice(0)) : this.queue.shift();
    if (b) {
      this.queued = this.queue.length ? this.queued - b.length : 0;
      if (this.queued < StreamConn.HIGH / 2 && this.sock.isPaused() && !this.ended) this.sock.resume();
      return Promise.resolve(b);
    }
    if (this.failure) return Promise.reject(this.mapError(this.failure));
    if (this.ended || this.sock.destroyed) return Promise.resolve(null);
    if (this.sock.isPaused()) this.sock.resume();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
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
    this.ended = true;
    this.settle();
  }

  reset(): boolean {
    let sent = false;
    const tcp = this.tcp;
    if (tcp && !tcp.destroyed) {
      // resetAndDestroy sets SO_LINGER 0 and closes: the kernel drops unsent bytes and sends RST at once.
      tcp.resetAndDestroy();
      sent = true;
    }
    this.destroy();
    return sent;
  }

  get destroyed(): boolean {
    return this.sock.destroyed;
  }
}
