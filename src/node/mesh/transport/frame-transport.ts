// A link's byte connection seen as frames: one implementation over any Node Duplex (a TCP socket, a TLS
// socket, or the byte stream of a WebSocket). Links never import node:net or ws; the files next to this
// one make the Duplex. Reading is never paused: every byte a peer may send is bounded by the channel
// credits it was granted (docs/mesh.md "Flow control"), so a link always drains its socket and one
// stalled stream cannot block the link.
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { FrameParser, type Frame } from '../wire/frame.js';

export interface FrameHandlers {
  frame(frame: Frame): void;
  /** The transport went below its high-water mark after write() returned false. */
  drain(): void;
  /** The connection is gone (peer closed, error, or destroy()). Called once. */
  close(err?: Error): void;
  /**
   * Sees the peer's first bytes (all bytes so far, on each read) before any frame is parsed, so a link can
   * tell a foreign protocol (Receptor's netceptor) from ours (link.ts). 'wait': more bytes are needed;
   * 'frames': parse them, and everything after, as frames; 'drop': parse nothing (the link closes).
   */
  firstBytes?(head: Buffer): 'wait' | 'frames' | 'drop';
}

export interface FrameTransport {
  /** `tcp`, `tls`, `ws` or `wss`. */
  readonly kind: string;
  /** `host:port` of the other end, for logs. */
  readonly remoteAddress: string;
  /** DER of the peer's TLS certificate, when it sent one. */
  readonly peerCertificate: Buffer | undefined;
  /** Bytes accepted by write() and not yet handed to the kernel. */
  readonly writableLength: number;
  start(handlers: FrameHandlers): void;
  /** Queues one encoded frame. false: above the high-water mark, wait for `drain` before writing more. */
  write(frame: Buffer): boolean;
  /** Batches the writes made until uncork() (fewer syscalls for many small frames). */
  cork(): void;
  uncork(): void;
  /** Flushes what is queued, then closes. */
  end(): void;
  destroy(err?: Error): void;
  readonly closed: boolean;
}

export class DuplexFrameTransport implements FrameTransport {
  private readonly parser = new FrameParser();
  private handlers: FrameHandlers | undefined;
  private closedFlag = false;
  private failure: Error | undefined;
  /** The peer's bytes held while handlers.firstBytes decides; undefined once it has. */
  private head: Buffer | undefined = Buffer.alloc(0);
  readonly peerCertificate: Buffer | undefined;

  constructor(
    private readonly stream: Duplex,
    readonly kind: string,
    readonly remoteAddress: string,
    peerCertificate?: Buffer,
  ) {
    this.peerCertificate = peerCertificate ?? (stream instanceof TLSSocket ? stream.getPeerX509Certificate()?.raw : undefined);
    // Listening for errors from the start: an error before start() must not become an uncaught exception.
    stream.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  get writableLength(): number {
    return this.stream.writableLength;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  start(handlers: FrameHandlers): void {
    this.handlers = handlers;
    const s = this.stream;
    s.on('data', (chunk: Buffer) => {
      if (this.closedFlag) return;
      if (this.head !== undefined && this.handlers!.firstBytes) {
        const head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
        const verdict = this.handlers!.firstBytes(head);
        if (verdict === 'wait') {
          this.head = head;
          return;
        }
        this.head = undefined;
        if (verdict === 'drop') return;
        chunk = head;
      }
      this.head = undefined;
      let frames: Frame[];
      try {
        frames = this.parser.push(chunk);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      for (const f of frames) {
        if (this.closedFlag) return;
        this.handlers!.frame(f);
      }
    });
    s.on('drain', () => {
      if (!this.closedFlag) this.handlers!.drain();
    });
    // A peer's FIN ends the link: links are full duplex and never half-closed.
    s.on('end', () => this.destroy());
    s.on('close', () => this.finish());
    if (s.destroyed) this.finish();
  }

  write(frame: Buffer): boolean {
    if (this.closedFlag || this.stream.destroyed) return true;
    return this.stream.write(frame);
  }

  cork(): void {
    this.stream.cork();
  }

  uncork(): void {
    this.stream.uncork();
  }

  end(): void {
    if (this.closedFlag) return;
    this.stream.end();
    // A peer that never closes its side must not keep the socket forever.
    setTimeout(() => this.destroy(), 2000).unref();
  }

  destroy(err?: Error): void {
    if (err) this.failure ??= err;
    if (!this.stream.destroyed) this.stream.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.handlers?.close(this.failure);
  }
}
