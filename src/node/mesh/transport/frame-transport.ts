// A link's connection seen as netceptor messages (docs/netceptor-wire.md "Framing, per backend"): one
// interface for every backend, so links never import node:net, ws or dgram. Stream backends (tcp, tls) frame
// each message with a u16 little-endian length (receptor pkg/framer); message backends (ws: one binary
// WebSocket message, udp: one datagram) use their own boundaries. Reading is never paused: a link must keep
// draining its peer (receptor does too), and a congested link drops forwarded datagrams rather than queueing
// them without bound (see link.ts).
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { encodeStreamFrame, StreamDeframer } from '../../../protocol/netceptor/index.js';

export interface MessageHandlers {
  /** One whole netceptor message as the peer sent it (possibly empty: the link refuses that). */
  message(m: Buffer): void;
  /** The transport went below its high-water mark after send() returned false. */
  drain(): void;
  /** The connection is gone (peer closed, error, or destroy()). Called once. */
  close(err?: Error): void;
  /**
   * Stream backends: the peer's first bytes, before any message is complete, so a link can name and refuse a
   * foreign protocol (HTTP, TLS, meshctl's old link protocol) at once instead of waiting for a frame that never ends.
   */
  first?(head: Buffer): void;
}

export interface FrameTransport {
  /** `tcp`, `tls`, `ws`, `wss` or `udp`. */
  readonly kind: string;
  /** `host:port` of the other end, for logs. */
  readonly remoteAddress: string;
  /** DER of the peer's TLS certificate, when it sent one. */
  readonly peerCertificate: Buffer | undefined;
  /** Bytes accepted by send() and not yet handed to the kernel. */
  readonly writableLength: number;
  /** The peer's first bytes as received (up to 64), for naming a foreign protocol in a log line. */
  readonly firstBytes: Buffer | undefined;
  start(handlers: MessageHandlers): void;
  /**
   * Queues one netceptor message (1..65535 bytes on stream backends, 65507 on udp). false: above the
   * high-water mark, wait for `drain` before sending more.
   */
  send(message: Buffer): boolean;
  /** Batches the sends made until uncork() (fewer syscalls for many small messages). */
  cork(): void;
  uncork(): void;
  /** Flushes what is queued, then closes. */
  end(): void;
  destroy(err?: Error): void;
  readonly closed: boolean;
}

/** A stream backend (tcp, tls): u16 LE framing over a Node Duplex. */
export class DuplexFrameTransport implements FrameTransport {
  private readonly deframer = new StreamDeframer();
  private handlers: MessageHandlers | undefined;
  private closedFlag = false;
  private failure: Error | undefined;
  firstBytes: Buffer | undefined;
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

  start(handlers: MessageHandlers): void {
    this.handlers = handlers;
    const s = this.stream;
    s.on('data', (chunk: Buffer) => {
      if (this.closedFlag) return;
      if (this.firstBytes === undefined || this.firstBytes.length < 64) {
        this.firstBytes = Buffer.from(Buffer.concat([this.firstBytes ?? Buffer.alloc(0), chunk]).subarray(0, 64));
        this.handlers!.first?.(this.firstBytes);
        if (this.closedFlag) return;
      }
      for (const m of this.deframer.push(chunk)) {
        if (this.closedFlag) return;
        this.handlers!.message(m);
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

  send(message: Buffer): boolean {
    if (this.closedFlag || this.stream.destroyed) return true;
    return this.stream.write(encodeStreamFrame(message));
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

/**
 * The receiving side the message backends share (ws, udp): a message backend hands over messages as they arrive,
 * possibly before the link called start(); those are held (at most `limit`) and replayed in order by start(), and a
 * close that came meanwhile is reported after them, once.
 */
export class MessageInbox {
  /** The peer's first bytes (up to 64 of its first message). */
  firstBytes: Buffer | undefined;
  /** Why the connection ended, if it failed (the first error wins). */
  failure: Error | undefined;
  private handlers: MessageHandlers | undefined;
  private early: Buffer[] = [];
  private closedFlag = false;
  private closeReported = false;

  constructor(private readonly limit: number) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  start(handlers: MessageHandlers): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const m of early) {
      if (this.closeReported) return;
      handlers.message(m);
    }
    if (this.closedFlag) this.reportClose();
  }

  /** One message from the peer. False when it was not taken: `limit` messages are already held before start(). */
  deliver(m: Buffer): boolean {
    if (this.closedFlag) return true;
    this.firstBytes ??= Buffer.from(m.subarray(0, 64));
    if (this.handlers) this.handlers.message(m);
    else if (this.early.length >= this.limit) return false;
    else this.early.push(m);
    return true;
  }

  drain(): void {
    if (!this.closedFlag) this.handlers?.drain();
  }

  fail(err: Error): void {
    this.failure ??= err;
  }

  /** Ends the connection (held messages are dropped); true when this call ended it. */
  close(err?: Error): boolean {
    if (err) this.fail(err);
    this.early = [];
    if (this.closedFlag) return false;
    this.closedFlag = true;
    if (this.handlers) this.reportClose();
    return true;
  }

  private reportClose(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.handlers!.close(this.failure);
  }
}
