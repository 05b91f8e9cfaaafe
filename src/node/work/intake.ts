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
   * Called after a clean EOF: resolves to an error when the client is in fact gone (it closed both
   * directions, or reset the connection), undefined when it is still there to read the reply. The
   * error's `op` ('read' | 'write') and `code` say what the client did.
   */
  stillThere(): Promise<(Error & { op?: 'read' | 'write'; code?: string }) | undefined>;
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
    while (failure === undefined) {
      let chunk: Buffer | null;
      try {
        chunk = await conn.read();
      } catch (err) {
        failure = connErrorText('read', err);
        break;
      }
      if (chunk === null) {
        const gone = probe ? await conn.stillThere() : undefined;
        if (gone) failure = connErrorText(gone.op ?? 'write', gone);
        break;
      }
      try {
        // A write may store fewer bytes than asked (a disk filling up); the next one then reports why.
        for (let off = 0; off < chunk.length; ) {
          const { bytesWritten } = await file.write(chunk, off);
          if (bytesWritten === 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
          off += bytesWritten;
        }
      } catch (err) {
        failure = `write ${unit.stdinPath}: ${errnoText(err as NodeJS.ErrnoException)}`;
        // The unit will never run on it: give the space back, so at least its Failed status can be stored.
        await file.truncate(0).catch(() => undefined);
        break;
      }
      bytes += chunk.length;
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
