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
  /**
   * Optional push path for bulk reads: hands every further chunk to `sink` until end of stream (resolves) or a
   * socket error (rejects). The chunk may be a view of a reused read buffer: it is valid until `sink` returns, or,
   * when `sink` returns a promise, until that promise settles (reading pauses meanwhile, which is the
   * backpressure). Chunks already queued by next() come first. Without it, callers loop on next().
   */
  pump?(sink: ChunkSink): Promise<void>;
}

/** Takes one chunk: returns nothing once it is done with the bytes, or a promise to hold them (and reads) until then. */
export type ChunkSink = (chunk: Buffer) => void | Promise<void>;

/**
 * A socket made to read into one reused buffer (net.connect's `onread`), for makeReusedReadSocket's caller to
 * wrap in a StreamConn: Node's default read path allocates a fresh 64 KiB buffer per read and sends each through
 * the Readable stream machinery, which costs more CPU than the copy itself on a fast local socket.
 */
export interface ReusedReadHook {
  onread: { buffer: Buffer; callback: (nread: number, buf: Buffer) => boolean };
  attach(conn: StreamConn): void;
}

/** 1 MiB: a Unix socket or loopback TCP read returns whatever is queued, often well over 64 KiB. */
export const READ_BUFFER_SIZE = 1024 * 1024;

export function reusedReadHook(size = READ_BUFFER_SIZE): ReusedReadHook {
  let conn: StreamConn | undefined;
  const early: Buffer[] = [];
  return {
    onread: {
      buffer: Buffer.allocUnsafe(size),
      // Bytes that come before the StreamConn exists (a greeting racing the connect callback) are copied aside.
      callback: (nread, buf) => (conn ? conn.onRead(nread, buf) : (early.push(Buffer.from(buf.subarray(0, nread))), true)),
    },
    attach(c) {
      conn = c;
      for (const b of early.splice(0)) c.onRead(b.length, b);
    },
  };
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
  /** pump(): where chunks go, and how pump's promise settles. */
  private sink: { take: ChunkSink; resolve: () => void; reject: (e: Error) => void } | undefined;
  /** The sink returned a promise for the last chunk and has not settled it. */
  private holding = false;
  /** pump() over owned chunks (TLS records): a reused buffer gathering them, and how much it holds. */
  private static readonly BATCH = 1024 * 1024;
  private batch: Buffer | undefined;
  private batchLen = 0;
  private flushQueued = false;

  constructor(
    private readonly sock: Duplex,
    private readonly mapError: (err: Error) => Error = (e) => e,
    private readonly tcp?: Socket,
    reused?: ReusedReadHook,
  ) {
    // With a reused read buffer the socket emits no 'data': onRead gets the bytes.
    if (reused) reused.attach(this);
    else sock.on('data', (d: Buffer) => this.onChunk(d, false));
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

  /** net.connect's onread callback (reusedReadHook): false pauses reading. */
  onRead(nread: number, buf: Buffer): boolean {
    return this.onChunk(buf.subarray(0, nread), true);
  }

  /** A chunk from the socket; `borrowed`: a view of the reused read buffer, which the next read overwrites. */
  private onChunk(d: Buffer, borrowed: boolean): boolean {
    if (this.sink) {
      if (borrowed) return this.deliver(d);
      // Owned chunks (a TLSSocket's 16 KiB records, one 'data' each, each a callback of its own: microtasks run
      // between them) are gathered into one batch per turn of the event loop, flushed once this turn's reads are
      // done (setImmediate) or the batch is full: a quarter or fewer of the sink calls and stdout writes, for one
      // copy.
      if (this.holding) {
        this.queue.push(d);
        return false;
      }
      if (this.batchLen + d.length > StreamConn.BATCH) {
        if (!this.flushBatch()) {
          this.queue.push(d);
          return false;
        }
      }
      if (d.length >= StreamConn.BATCH) return this.deliver(d);
      this.batch ??= Buffer.allocUnsafe(StreamConn.BATCH);
      d.copy(this.batch, this.batchLen);
      this.batchLen += d.length;
      if (!this.flushQueued) {
        this.flushQueued = true;
        setImmediate(() => {
          this.flushQueued = false;
          if (this.sink && !this.holding) this.flushBatch();
        });
      }
      return true;
    }
    if (borrowed) d = Buffer.from(d);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(d);
      return true;
    }
    this.queue.push(d);
    this.queued += d.length;
    if (this.queued >= StreamConn.HIGH) {
      this.sock.pause();
      return false;
    }
    return true;
  }

  /** Hands the batched bytes to the sink; false when it holds them (reading is paused until it lets go). */
  private flushBatch(): boolean {
    if (this.batchLen === 0) return true;
    const view = this.batch!.subarray(0, this.batchLen);
    this.batchLen = 0;
    return this.deliver(view);
  }

  /** One chunk to the sink; false when the sink holds it (returned a promise): reading pauses until it settles. */
  private deliver(d: Buffer): boolean {
    const sink = this.sink!;
    let r: void | Promise<void>;
    try {
      r = sink.take(d);
    } catch (err) {
      this.failPump(err as Error);
      return false;
    }
    if (r === undefined) return true;
    // The sink holds the bytes (and so the read buffer) until its promise settles: no read until then.
    this.sock.pause();
    this.holding = true;
    r.then(
      () => {
        this.holding = false;
        if (this.sink !== sink) return;
        // Records that came while the batch was held, then what was batched behind them.
        while (this.queue.length) {
          const q = this.queue.shift()!;
          if (!this.deliver(q)) return;
        }
        if (!this.flushBatch()) return;
        if (this.ended) this.finishPump();
        else this.sock.resume();
      },
      (err: Error) => {
        this.holding = false;
        this.failPump(err);
      },
    );
    return false;
  }

  pump(take: ChunkSink): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const start = async () => {
        // What next() left queued goes first, in order.
        while (this.queue.length) {
          const b = this.queue.shift()!;
          this.queued -= b.length;
          await take(b);
        }
        this.queued = 0;
        this.sink = { take, resolve, reject };
        if (this.failure || this.ended || this.sock.destroyed) this.settle();
        else this.sock.resume();
      };
      start().catch((err: Error) => {
        this.sink = undefined;
        reject(err);
      });
    });
  }

  private failPump(err: Error): void {
    const s = this.sink;
    this.sink = undefined;
    this.sock.pause();
    s?.reject(err);
  }

  private finishPump(): void {
    const s = this.sink;
    this.sink = undefined;
    s?.resolve();
  }

  private settle(): void {
    if (this.sink) {
      // A sink still holding a chunk settles the pump when its promise does (onChunk); a paused socket is one.
      if (this.failure) this.failPump(this.mapError(this.failure));
      else if (this.ended && !this.holding && this.flushBatch() && !this.holding) this.finishPump();
      return;
    }
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
