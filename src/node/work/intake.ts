// A submit's payload, from the client's connection into the unit's `stdin` file. A unit runs only on a
// payload the node received whole: Receptor copies the connection into the file until EOF and marks the
// unit Failed with `Error reading input data: <error>` when the copy fails (pkg/workceptor/controlsvc.go,
// `submit`, around ReadFromConn). The node follows that and closes the gaps measured against it:
// - EOF counts only when the client half-closed its side. A connection that was reset, or closed without
//   `end` (a TLS socket torn down, a node shutting down), is an error, not the end of the payload.
// - A client that closed a Unix socket outright sends no reset, and a TCP reset can reach Node as a plain
//   EOF: after EOF the connection is probed (see PayloadConnection.stillThere) before the unit runs.
// - A failure to store the payload (disk full) fails the unit with the write's errno text, and the caller
//   stops reading commands on that connection: the rest of the payload must never be read as commands.
// - A client that is gone before the `Work unit created` line fails the unit as Receptor does
//   (`write: broken pipe`); no unit stays Pending without a client.
// Receptor's io.Copy into the file splices a Unix socket straight into it. Here the bytes are read into a
// few reused blocks (on a socket, by Node itself: see PayloadConnection.pump) and each full block is
// written while the next fills; a block is read into again only once its write is over, and reading
// stops while every block is taken, so memory stays flat (a few MiB) however large the payload.
// A client that stops sending without half-closing must not pin a block per connection, nor keep its bytes
// out of the file: after IDLE_MS without a read the part-filled block is written (the connection first
// takes back the room it was lent, PayloadSink.reclaim) and, once the writes are over, the free blocks
// are dropped; the next read allocates again.
import { open, type FileHandle } from 'node:fs/promises';
import { CommandError } from './command-error.js';
import { errnoText } from './lookpath.js';
import { WorkState } from './status.js';
import type { UnitBase } from './unit-base.js';

/** The client side of a submit, as the control layer provides it. */
export interface PayloadConnection {
  /** Writes a line to the client; rejects once the client is gone. */
  write(text: string): Promise<void>;
  /** The next payload chunk; null at the client's half-close; rejects on a reset or read error. */
  read(): Promise<Buffer | null>;
  /**
   * Optional, the fast path: puts the whole payload into `sink` (read straight into its blocks where the
   * connection can), until the client's half-close ('eof') or until the sink failed ('stopped'); rejects
   * as `read` does. Without it the intake copies what `read` returns.
   */
  pump?(sink: PayloadSink): Promise<'eof' | 'stopped'>;
  /**
   * Called after a clean EOF: resolves to an error when the client is in fact gone (it closed both
   * directions, or reset the connection), undefined when it is still there to read the reply. The
   * error's `op` ('read' | 'write') and `code` say what the client did.
   */
  stillThere(): Promise<(Error & { op?: 'read' | 'write'; code?: string }) | undefined>;
}

/**
 * Where a connection puts payload bytes (PayloadConnection.pump). Bytes land in blocks of a small pool; a
 * full block is written to the stdin file while the next one fills, one write at a time, in order.
 */
export interface PayloadSink {
  /**
   * Free room in the current block for the next read, or undefined when every block is full or being
   * written (stop reading until `ready`). The bytes must be reported with `filled` before any other call.
   */
  space(): Buffer | undefined;
  /** `n` bytes were read into the start of the last `space()`. False: the sink is full, stop reading. */
  filled(n: number): boolean;
  /** Copies `bytes` in (all of them, whatever the room). False: the sink is full, stop reading. */
  push(bytes: Buffer): boolean;
  /** Resolves when there is room again, or once the sink failed. */
  ready(): Promise<void>;
  /** A write to the file failed: read no further. */
  readonly failed: boolean;
  /**
   * Set by a connection that reads straight into `space()`: called (synchronously) before the sink takes
   * back the room it handed out, to write it after a stall. The connection must then read elsewhere and
   * report those bytes with `push`, never with `filled`. Without it, handed-out room is never taken back.
   */
  reclaim?: (() => void) | undefined;
}

/** The payload did not arrive whole; the unit is Failed. The connection must not be read any further. */
export class PayloadError extends CommandError {
  override name = 'PayloadError';
}

/** Go's text for a failed read or write on a connection (`read: connection reset by peer`). */
export function connErrorText(op: 'read' | 'write', err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ECONNRESET: 'connection reset by peer',
    EPIPE: 'broken pipe',
    ETIMEDOUT: 'connection timed out',
  };
  // EPIPE is a write's error even when a read is what finds it stored on the socket.
  if (e?.code === 'EPIPE') return 'write: broken pipe';
  const reason = (e?.code && reasons[e.code]) ?? (op === 'write' ? reasons.EPIPE! : e?.message ?? String(err));
  return `${op}: ${reason}`;
}

/**
 * The pool: BLOCKS blocks of BLOCK bytes. Reads land in one block while the previous one is written; a
 * write of a whole block costs one thread-pool round trip per MiB instead of one per socket read (64 KiB,
 * or a 16 KiB TLS record), and no read waits for a write unless every block is taken. Measured with
 * bench/node-ingest.js (docs/performance.md, "Node payload ingest").
 */
const BLOCK = 1024 * 1024;
const BLOCKS = 3;
/** A block with less room than this is written out rather than read into: the reads would be small. */
const MIN_ROOM = 64 * 1024;
/** No read for this long: write the part-filled block and drop the free ones (a stalled client). */
const IDLE_MS = 75;

/** What StdinSink writes to: a FileHandle (tests slow its writes down). */
export interface SinkFile {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
}

/** The stdin file behind a PayloadSink: blocks written in order, one write at a time. Exported for tests. */
export class StdinSink implements PayloadSink {
  /** Why storing failed (`write PATH: no space left on device`), once it did. */
  failure: string | undefined;
  /** Bytes stored in the file so far. */
  stored = 0;
  private cur: Buffer | undefined;
  private fill = 0;
  private readonly free: Buffer[] = [];
  /** Full blocks waiting for their write, oldest first. */
  private readonly queue: { block: Buffer; len: number }[] = [];
  private writing: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  /** Blocks allocated so far (at most `size.blocks`). */
  private blocks = 0;
  /** Bytes pushed while no block had room, oldest first (see push). */
  private overflow: Buffer[] = [];

  private readonly minRoom: number;
  reclaim: (() => void) | undefined;
  /** `space()` handed out room that no `filled` has reported yet. */
  private lentOut = false;
  /** Reads so far (filled/push calls): the idle timer compares it with what it saw when armed. */
  private reads = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleSeen = 0;
  /** No read since the last idle flush: drop free blocks once the writes are over. */
  private idle = false;
  /** Closed (finish/abort): no idle flush any more. */
  private done = false;

  constructor(
    private readonly file: SinkFile,
    private readonly path: string,
    /** Block size and count (tests use small ones to make reading stall often). */
    private readonly size: { block: number; blocks: number } = { block: BLOCK, blocks: BLOCKS },
  ) {
    this.minRoom = Math.min(MIN_ROOM, size.block >> 2);
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  space(): Buffer | undefined {
    if (!this.hasRoom()) return undefined;
    this.lentOut = true;
    return this.cur!.subarray(this.fill);
  }

  filled(n: number): boolean {
    this.lentOut = false;
    this.active();
    this.fill += n;
    if (this.cur!.length - this.fill < this.minRoom) this.rotate();
    return this.hasRoom();
  }

  /** True when `cur` has room (taking a free block if need be); no view is made (one per read is enough). */
  private hasRoom(): boolean {
    if (this.failed || this.overflow.length > 0) return false;
    if (this.cur === undefined) {
      this.cur = this.take();
      this.fill = 0;
    }
    return this.cur !== undefined;
  }

  push(bytes: Buffer): boolean {
    this.active();
    for (let off = 0; off < bytes.length && !this.failed; ) {
      if (this.cur === undefined && this.overflow.length === 0) {
        this.cur = this.take();
        this.fill = 0;
      }
      if (this.cur === undefined || this.overflow.length > 0) {
        // Every block is full or being written: the rest waits, copied (`bytes` may be a read buffer that
        // is refilled next), for the next block that comes free. At most one read's worth.
        this.overflow.push(Buffer.from(bytes.subarray(off)));
        break;
      }
      const n = bytes.copy(this.cur, this.fill, off);
      off += n;
      this.fill += n;
      if (this.cur.length - this.fill < this.minRoom) this.rotate();
    }
    return this.hasRoom();
  }

  ready(): Promise<void> {
    if (this.hasRoom() || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A read arrived: arm the idle timer (one per IDLE_MS at most, not one per read). */
  private active(): void {
    this.reads++;
    this.idle = false;
    if (this.idleTimer === undefined && !this.done) {
      this.idleSeen = this.reads;
      this.idleTimer = setTimeout(() => this.onIdleTimer(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  private onIdleTimer(): void {
    this.idleTimer = undefined;
    if (this.done || this.failed) return;
    if (this.reads !== this.idleSeen) {
      // Reads came since it was armed: look again later.
      this.idleSeen = this.reads;
      this.idleTimer = setTimeout(() => this.onIdleTimer(), IDLE_MS);
      this.idleTimer.unref();
      return;
    }
    // Room the connection still reads into is taken back first; without a way to, the block stays.
    if (this.lentOut) {
      if (!this.reclaim) return;
      this.reclaim();
      this.lentOut = false;
    }
    this.idle = true;
    // Bytes waiting for a block (overflow) are written when one frees up: drain() sees to it.
    if (this.cur !== undefined && this.overflow.length === 0) this.rotate();
    if (this.writing === undefined) this.trim();
  }

  /** Drops the free blocks of an idle sink (allocated again on the next read). */
  private trim(): void {
    if (!this.idle) return;
    this.blocks -= this.free.length;
    this.free.length = 0;
  }

  private stopIdle(): void {
    this.done = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Writes what is left and waits for every write; `failure` then says how it went. */
  async finish(): Promise<void> {
    this.stopIdle();
    for (;;) {
      if (this.writing) await this.writing;
      else if (this.failed) break;
      else if (this.cur !== undefined && this.fill > 0) this.rotate();
      else break;
    }
  }

  /** Drops what is not written yet and waits for the write under way (the file is closed next). */
  async abort(): Promise<void> {
    this.stopIdle();
    this.queue.length = 0;
    this.overflow = [];
    this.cur = undefined;
    while (this.writing) await this.writing;
  }

  /** A free block, or undefined when all BLOCKS are full or being written. */
  private take(): Buffer | undefined {
    const b = this.free.pop();
    if (b !== undefined) return b;
    if (this.blocks >= this.size.blocks) return undefined;
    this.blocks++;
    return Buffer.allocUnsafeSlow(this.size.block);
  }

  private rotate(): void {
    if (this.fill > 0) this.queue.push({ block: this.cur!, len: this.fill });
    else this.free.push(this.cur!);
    this.cur = undefined;
    this.fill = 0;
    // drain() ends after an await at the earliest, so `writing` is cleared only after it is set.
    if (this.writing === undefined && this.queue.length > 0) this.writing = this.drain();
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const { block, len } = next;
      try {
        // A write may store fewer bytes than asked (a disk filling up); the next one then reports why.
        for (let off = 0; off < len; ) {
          const { bytesWritten } = await this.file.write(block, off, len - off);
          if (bytesWritten === 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
          off += bytesWritten;
        }
        this.stored += len;
      } catch (err) {
        this.failure ??= `write ${this.path}: ${errnoText(err as NodeJS.ErrnoException)}`;
        this.queue.length = 0;
      }
      // The block may be read into again only now: its write is over. Bytes that found no room come first.
      this.free.push(block);
      if (this.overflow.length > 0 && !this.failed) {
        const waiting = this.overflow;
        this.overflow = [];
        for (const bytes of waiting) this.push(bytes);
      }
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    }
    this.writing = undefined;
    this.trim();
  }
}

/** The payload through `read`, copied into the sink (a connection without `pump`). */
async function pullInto(conn: PayloadConnection, sink: PayloadSink): Promise<'eof' | 'stopped'> {
  for (;;) {
    if (sink.failed) return 'stopped';
    const chunk = await conn.read();
    if (chunk === null) return 'eof';
    if (!sink.push(chunk)) await sink.ready();
  }
}

/**
 * Sends `created`, then copies the payload into the unit's stdin file. `probe`: check after EOF that the
 * client is still there (stillThere); off where the reply may yet be an ERROR line, which the probe's
 * bytes could not precede. Resolves with the byte count once
 * the whole payload is stored; otherwise marks the unit Failed and throws PayloadError.
 */
export async function receivePayload(unit: UnitBase, conn: PayloadConnection, created: string, probe = true): Promise<number> {
  let file: FileHandle;
  try {
    file = await open(unit.stdinPath, 'w', 0o600);
  } catch (err) {
    const text = `open ${unit.stdinPath}: ${errnoText(err as NodeJS.ErrnoException)}`;
    await unit.updateBasic(WorkState.Failed, `Error reading input data: ${text}`, 0);
    throw new PayloadError(text);
  }
  let failure: string | undefined;
  let bytes = 0;
  try {
    await unit.updateBasic(WorkState.Pending, 'Waiting for Input Data', 0);
    try {
      await conn.write(created);
    } catch (err) {
      failure = connErrorText('write', err);
    }
    if (failure === undefined) {
      const sink = new StdinSink(file, unit.stdinPath);
      let end: 'eof' | 'stopped' | undefined;
      try {
        end = conn.pump ? await conn.pump(sink) : await pullInto(conn, sink);
      } catch (err) {
        failure = connErrorText('read', err);
      }
      if (failure === undefined) await sink.finish();
      else await sink.abort();
      if (failure === undefined && sink.failure !== undefined) {
        failure = sink.failure;
        // The unit will never run on it: give the space back, so at least its Failed status can be stored.
        await file.truncate(0).catch(() => undefined);
      } else if (failure === undefined && end === 'eof' && probe) {
        const gone = await conn.stillThere();
        if (gone) failure = connErrorText(gone.op ?? 'write', gone);
      }
      bytes = sink.stored;
    }
  } finally {
    try {
      await file.close();
    } catch (err) {
      failure ??= `close ${unit.stdinPath}: ${errnoText(err as NodeJS.ErrnoException)}`;
    }
  }
  if (failure !== undefined) {
    await unit.updateBasic(WorkState.Failed, `Error reading input data: ${failure}`, 0);
    throw new PayloadError(failure);
  }
  return bytes;
}
