// `work results` streaming (Receptor's Workceptor.GetResults, pkg/workceptor/workceptor.go):
// - wait for the unit's stdout file (a complete unit without one streams nothing);
// - send bytes from `startPos` (a negative start position streams nothing: Receptor's seek fails);
// - keep following while the unit runs;
// - stop once the unit is complete (Succeeded or Failed) AND the bytes sent from this stream reach the
//   recorded StdoutSize (the fix for receptor issue #597). Canceled units are not complete, so a stream on
//   a canceled unit keeps waiting, as in Receptor, until the client goes away or the unit is released.
// Every write waits for `drain`, so memory stays flat however large the output. When the sink can hand
// buffers back (a socket: its write callback), chunks are read into a ring of four 64 KiB buffers; a fresh
// buffer per read would leave dead 64 KiB backing stores for V8 to collect only under external-memory
// pressure, which raised the node's peak RSS by ~35 MiB while streaming 1 GiB (bench/memory.js).
import { open, type FileHandle } from 'node:fs/promises';
import { isComplete } from './status.js';
import type { UnitBase } from './unit-base.js';

export interface ResultsSink {
  /** Resolves when the chunk is accepted (after `drain` if needed); rejects once the peer is gone. */
  write(chunk: Buffer): Promise<void>;
  /** Like write, for a buffer the reader wants back: `returned` runs once the sink no longer holds it. */
  lend?(chunk: Buffer, returned: () => void): Promise<void>;
  /** Aborted when the peer disconnects. */
  signal: AbortSignal;
}

const CHUNK = 64 * 1024;
const RING = 4;

/** Buffers handed out and given back; take() waits while all are lent. */
class BufferRing {
  private readonly free: Buffer[] = [];
  private waiter: (() => void) | undefined;

  constructor(count: number, size: number) {
    for (let i = 0; i < count; i++) this.free.push(Buffer.allocUnsafe(size));
  }

  async take(signal: AbortSignal): Promise<Buffer | undefined> {
    while (this.free.length === 0) {
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.waiter = undefined;
          resolve();
        };
        this.waiter = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return this.free.pop();
  }

  give(buf: Buffer): void {
    this.free.push(buf);
    this.waiter?.();
  }
}
/** Re-check interval when no notification arrives (covers writers fs.watch cannot see). */
const FALLBACK_MS = 1000;

/** Resolves true when the stream ended because the unit completed and every byte was sent. */
export async function streamResults(unit: UnitBase, startPos: number, sink: ResultsSink): Promise<boolean> {
  let fh: FileHandle | undefined;
  for (;;) {
    if (sink.signal.aborted || unit.released) return false;
    const seq = unit.changeSeq;
    try {
      fh = await open(unit.stdoutPath, 'r');
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
      if (isComplete(unit.status.State)) return false;
      await unit.waitForChange(seq, 500, sink.signal);
    }
  }
  try {
    if (startPos < 0) return false;
    let pos = startPos;
    const ring = sink.lend ? new BufferRing(RING, CHUNK) : undefined;
    for (;;) {
      if (sink.signal.aborted || unit.released) return false;
      const seq = unit.changeSeq;
      const buf = ring ? await ring.take(sink.signal) : Buffer.allocUnsafe(CHUNK);
      if (!buf) return false;
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        if (ring && sink.lend) await sink.lend(buf.subarray(0, bytesRead), () => ring.give(buf));
        else await sink.write(buf.subarray(0, bytesRead));
        continue;
      }
      ring?.give(buf);
      const st = unit.status;
      if (isComplete(st.State) && pos >= st.StdoutSize) return true;
      await unit.waitForChange(seq, FALLBACK_MS, sink.signal);
    }
  } finally {
    await fh.close();
  }
}
