// A stream's endpoint as a Node Duplex. Reading grants the peer credit only for bytes the Readable side
// accepted (push() returned true, or later in _read), so a consumer that stops reading stops the sender
// within one window. Writing completes a write() only once its bytes are down to `writeBuffer` in the
// channel queue, so write() returns false and 'drain' follows as with a socket. end() sends FIN (the
// other direction stays open); destroy() closes gracefully (queued bytes, then FIN); destroy(err) sends
// RESET with err's message.
import { Duplex } from 'node:stream';
import { MeshError } from './errors.js';
import type { Port } from './port.js';

/** How long a stream destroyed after end() waits for the peer's FIN before resetting. */
const LINGER_MS = 30_000;

export interface StreamAddress {
  node: string;
  service: string;
}

export class MeshStream extends Duplex {
  private inbox: Buffer[] = [];
  private inboxBytes = 0;
  private readableWants = true;
  private finReceived = false;
  private pendingWrite: ((err?: Error | null) => void) | undefined;
  private pendingFinal: ((err?: Error | null) => void) | undefined;

  constructor(
    private readonly port: Port,
    /** This end's address (the node and the service, or the dialer's ephemeral service). */
    readonly local: StreamAddress,
    /** The other end's address. */
    readonly remote: StreamAddress,
    private readonly writeBuffer = 64 * 1024,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    port.sink = {
      data: (chunk) => this.onData(chunk),
      fin: () => this.onFin(),
      reset: (reason) => this.destroy(new MeshError('ESTREAMRESET', reason)),
      sent: () => this.releaseWrite(),
      finSent: () => {
        const cb = this.pendingFinal;
        this.pendingFinal = undefined;
        cb?.();
      },
    };
  }

  /** Bytes this stream holds: unread input not yet handed to the Readable, unsent output. */
  get bufferedBytes(): number {
    return this.inboxBytes + this.port.outBytes;
  }

  private onData(chunk: Buffer): void {
    if (this.inbox.length === 0 && this.readableWants) {
      this.readableWants = this.push(chunk);
      this.port.consumed(chunk.length);
      return;
    }
    this.inbox.push(chunk);
    this.inboxBytes += chunk.length;
  }

  private onFin(): void {
    this.finReceived = true;
    if (this.inbox.length === 0) this.push(null);
  }

  override _read(): void {
    this.readableWants = true;
    while (this.inbox.length > 0 && this.readableWants) {
      const chunk = this.inbox.shift()!;
      this.inboxBytes -= chunk.length;
      this.readableWants = this.push(chunk);
      this.port.consumed(chunk.length);
    }
    if (this.inbox.length === 0 && this.finReceived) this.push(null);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.port.closed) {
      callback(new MeshError('ESTREAMRESET', 'stream closed'));
      return;
    }
    this.port.write(chunk);
    if (this.port.outBytes <= this.writeBuffer) callback();
    else this.pendingWrite = callback;
  }

  private releaseWrite(): void {
    if (this.pendingWrite && this.port.outBytes <= this.writeBuffer) {
      const cb = this.pendingWrite;
      this.pendingWrite = undefined;
      cb();
    }
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.port.closed) {
      callback();
      return;
    }
    this.pendingFinal = callback;
    this.port.end();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.inbox = [];
    this.inboxBytes = 0;
    if (!this.port.closed) {
      if (!err) {
        // destroy() without an error closes like a socket: what was written still goes out, then FIN
        // (TLSSocket and pipe() destroy their stream right after ending it); later input is discarded
        // but granted, so the peer can finish. A peer that never sends its FIN is reset after LINGER_MS.
        // destroy(err) resets the stream at once, with err's message as the reason.
        const port = this.port;
        const linger = setTimeout(() => port.reset('stream closed by peer application'), LINGER_MS);
        linger.unref();
        port.sink = {
          data: (chunk) => port.consumed(chunk.length),
          fin: () => clearTimeout(linger),
          reset: () => clearTimeout(linger),
          finSent: () => undefined,
        };
        port.end();
      } else {
        this.port.reset(err.message);
      }
    }
    const w = this.pendingWrite;
    const f = this.pendingFinal;
    this.pendingWrite = undefined;
    this.pendingFinal = undefined;
    const e = err ?? new MeshError('ESTREAMRESET', 'stream closed');
    w?.(e);
    f?.(e);
    callback(err);
  }
}
