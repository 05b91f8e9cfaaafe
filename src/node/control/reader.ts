// Pull-based reading of a control connection. Receptor reads commands one byte at a time so it never
// consumes bytes after a newline (they may be a submit payload or bytes for a `connect` bridge,
// pkg/controlsvc/controlsvc.go readCommandBytes). Here the socket is read in chunks, and whatever follows
// the newline is kept aside and handed to the next reader: the next command, the payload, or the bridge.
// The stream stays in paused mode, so a session that is not reading applies TCP backpressure.
// A submit's payload is read differently (pump): on a socket, straight into the intake's blocks.
import net from 'node:net';
import type { Readable } from 'node:stream';
import type { PayloadSink } from '../work/intake.js';
import { RequestMeter } from './limits.js';

/** What `onread` stands on in Node (lib/internal/stream_base_commons.js onStreamRead, lib/net.js initSocketHandle). */
interface UserBufferHooks {
  handle: { useUserBuffer(buf: Uint8Array): void; reading?: boolean };
  buf: symbol;
  cb: symbol;
  gen: symbol;
}

/**
 * `onread` for a socket that already exists. Node offers `onread` only to sockets it creates for a client
 * (net.connect, tls.connect), not to those a server accepts; the same three slots of the socket and the
 * handle's useUserBuffer are set here as its constructor sets them. Undefined when this Node has them
 * under other names, or the socket already reads into a buffer of its own: then the payload is copied
 * from the stream as before.
 */
export function userBufferHooks(stream: Readable): UserBufferHooks | undefined {
  if (!readerTesting.userBuffer || !(stream instanceof net.Socket)) return undefined;
  const handle = (stream as unknown as { _handle?: UserBufferHooks['handle'] | null })._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function') return undefined;
  const own = Object.getOwnPropertySymbols(stream);
  const find = (name: string): symbol | undefined => own.find((x) => x.description === name);
  const buf = find('kBuffer');
  const cb = find('kBufferCb');
  const gen = find('kBufferGen');
  if (!buf || !cb || !gen) return undefined;
  const slots = stream as unknown as Record<symbol, unknown>;
  if (slots[buf] !== null || slots[cb] !== null || slots[gen] !== null) return undefined;
  return { handle, buf, cb, gen };
}

/**
 * Test seam: `userBuffer: false` makes userBufferHooks find nothing, so a payload goes through the copying
 * fallback; `installs` counts the sockets switched to reads into the sink (the fast path is in use).
 */
export const readerTesting = { userBuffer: true, installs: 0 };

/** Room read into after a stall (or after the pump): what lands there is copied out before the next read. */
const SCRATCH = 64 * 1024;

export interface LineResult {
  /** The line without `\n`, with every `\r` removed. */
  bytes: Buffer;
  /** The stream ended (a last line without `\n` is still returned, as Receptor executes it). */
  eof: boolean;
}

/** Longest line readLine() accepts when the caller gives no RequestMeter (a remote node's replies). */
export const MAX_LINE = 64 * 1024 * 1024;

interface Pumping {
  sink: PayloadSink;
  resolve(end: 'eof' | 'stopped'): void;
  reject(err: Error): void;
}

export class ByteReader {
  private readonly pending: Buffer[] = [];
  private ended = false;
  private error: Error | undefined;
  private waiter: (() => void) | undefined;
  /** Set once the socket reads into our buffers (pump); never unset, as Node cannot undo useUserBuffer. */
  private user: UserBufferHooks | undefined;
  private scratch: Buffer | undefined;
  /** The room of the sink the socket reads into next, as handed to Node; undefined: the scratch buffer. */
  private lent: Buffer | undefined;
  private pumping: Pumping | undefined;

  constructor(private readonly stream: Readable) {
    const wake = (): void => {
      const w = this.waiter;
      this.waiter = undefined;
      w?.();
    };
    stream.on('readable', wake);
    stream.on('end', () => {
      this.ended = true;
      this.settle();
      wake();
    });
    stream.on('close', () => {
      this.ended = true;
      this.settle();
      wake();
    });
    stream.on('error', (err: Error) => {
      this.error = err;
      this.settle();
      wake();
    });
  }

  /**
   * Puts the rest of the stream into `sink` until EOF ('eof', also when the stream closed: the caller tells
   * a half-close from a close) or until the sink failed ('stopped'); rejects on a read error. On a socket
   * the reads land straight in the sink's room (Node's `onread` with a buffer per read): no buffer is
   * allocated per read and nothing is copied. A read into room the sink did not hand out (the scratch
   * buffer, after a stall) is copied in. Reading stops while the sink is full: TCP backpressure.
   */
  async pump(sink: PayloadSink): Promise<'eof' | 'stopped'> {
    // What is already here: the bytes after the request line, and what the stream has buffered.
    for (;;) {
      if (sink.failed) return 'stopped';
      let chunk = this.pending.shift();
      if (chunk === undefined && !this.user) {
        const c = this.stream.read() as Buffer | string | null;
        if (c !== null) chunk = typeof c === 'string' ? Buffer.from(c) : c;
      }
      if (chunk === undefined) break;
      if (!sink.push(chunk)) await sink.ready();
    }
    if (this.error) throw this.error;
    if (this.ended || this.stream.readableEnded || this.stream.destroyed) return 'eof';
    if (!this.user && !this.installUserBuffer()) {
      for (;;) {
        if (sink.failed) return 'stopped';
        const chunk = await this.read();
        if (chunk === null) return 'eof';
        if (!sink.push(chunk)) await sink.ready();
      }
    }
    // After a stall the sink writes the block the socket would read into next: point the socket elsewhere.
    sink.reclaim = () => this.reclaim();
    try {
      return await new Promise<'eof' | 'stopped'>((resolve, reject) => {
        this.pumping = { sink, resolve, reject };
        this.startReading();
      });
    } finally {
      sink.reclaim = undefined;
    }
  }

  /**
   * The socket reads into the scratch buffer from now on, not into the room the sink lent (nextRoom). Node
   * takes the next read's buffer only from onread's return value or useUserBuffer; the latter adds a small
   * listener to the handle each time (freed with it), once per stall at most.
   */
  private reclaim(): void {
    const hooks = this.user;
    if (!hooks || this.lent === undefined || this.stream.destroyed) return;
    this.lent = undefined;
    (this.stream as unknown as Record<symbol, unknown>)[hooks.buf] = this.scratch;
    hooks.handle.useUserBuffer(this.scratch!);
  }

  /** Switches the socket to reads into our buffers (see userBufferHooks). Synchronous: no read comes between. */
  private installUserBuffer(): boolean {
    const hooks = userBufferHooks(this.stream);
    if (!hooks) return false;
    this.scratch = Buffer.allocUnsafeSlow(SCRATCH);
    const slots = this.stream as unknown as Record<symbol, unknown>;
    const first = this.nextRoom();
    slots[hooks.buf] = first;
    slots[hooks.cb] = (n: number, buf: Buffer): boolean => this.onUserRead(n, buf);
    slots[hooks.gen] = (): Buffer => this.nextRoom();
    hooks.handle.useUserBuffer(first);
    this.user = hooks;
    readerTesting.installs++;
    return true;
  }

  /** Where Node reads next: the sink's room while pumping and the sink has some, else the scratch buffer. */
  private nextRoom(): Buffer {
    const p = this.pumping;
    this.lent = p && !p.sink.failed ? p.sink.space() : undefined;
    return this.lent ?? this.scratch!;
  }

  /** Node's onread callback: `n` bytes were read into `buf`. False stops reading (readStop). */
  private onUserRead(n: number, buf: Buffer): boolean {
    const p = this.pumping;
    const lent = this.lent;
    this.lent = undefined;
    if (!p) {
      // Not pumping (after the payload: EOF, or input dropped after a failed submit): a copy for read().
      this.pending.push(Buffer.from(buf.subarray(0, n)));
      const w = this.waiter;
      this.waiter = undefined;
      w?.();
      return this.pending.length < 16;
    }
    // `buf` is the room the sink handed out (zero-copy) or the scratch buffer, refilled by the next read.
    const more = buf === lent ? p.sink.filled(n) : p.sink.push(buf.subarray(0, n));
    if (p.sink.failed) {
      this.pumping = undefined;
      p.resolve('stopped');
      return false;
    }
    if (!more) {
      void p.sink.ready().then(() => {
        if (this.pumping !== p) return;
        if (p.sink.failed) {
          this.pumping = undefined;
          p.resolve('stopped');
        } else {
          this.startReading();
        }
      });
    }
    return more;
  }

  /** Reads again after a stop (Node's Socket.read restarts a user-buffer handle that is not reading). */
  private startReading(): void {
    if (this.stream.destroyed) return;
    this.stream.read(0);
  }

  /** The pump ends with the stream. */
  private settle(): void {
    const p = this.pumping;
    if (!p) return;
    this.pumping = undefined;
    if (this.error) p.reject(this.error);
    else p.resolve('eof');
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
