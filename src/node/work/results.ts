// `work results` streaming (Receptor's Workceptor.GetResults, pkg/workceptor/workceptor.go):
// - wait for the unit's stdout file (a complete unit without one streams nothing);
// - send bytes from `startPos` (a negative start position streams nothing: Receptor's seek fails);
// - keep following while the unit runs;
// - stop once the unit is complete (Succeeded or Failed) AND the bytes sent from this stream reach the
//   recorded StdoutSize (the fix for receptor issue #597). Canceled units are not complete, so a stream on
//   a canceled unit keeps waiting, as in Receptor, until the client goes away or the unit is released.
// Chunks are read into fresh 64 KiB buffers and every write waits for `drain`, so memory stays flat
// however large the output.
import { open, type FileHandle } from 'node:fs/promises';
import { isComplete } from './status.js';
import type { UnitBase } from './unit-base.js';

export interface ResultsSink {
  /** Resolves when the chunk is accepted (after `drain` if needed); rejects once the peer is gone. */
  write(chunk: Buffer): Promise<void>;
  /** Aborted when the peer disconnects. */
  signal: AbortSignal;
}

const CHUNK = 64 * 1024;
/** Re-check interval when no notification arrives (covers writers fs.watch cannot see). */
const FALLBACK_MS = 1000;

export async function streamResults(unit: UnitBase, startPos: number, sink: ResultsSink): Promise<void> {
  let fh: FileHandle | undefined;
  for (;;) {
    if (sink.signal.aborted || unit.released) return;
    const seq = unit.changeSeq;
    try {
      fh = await open(unit.stdoutPath, 'r');
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
      if (isComplete(unit.status.State)) return;
      await unit.waitForChange(seq, 500, sink.signal);
    }
  }
  try {
    if (startPos < 0) return;
    let pos = startPos;
    for (;;) {
      if (sink.signal.aborted || unit.released) return;
      const seq = unit.changeSeq;
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        await sink.write(buf.subarray(0, bytesRead));
        continue;
      }
      const st = unit.status;
      if (isComplete(st.State) && pos >= st.StdoutSize) return;
      await unit.waitForChange(seq, FALLBACK_MS, sink.signal);
    }
  } finally {
    await fh.close();
  }
}
