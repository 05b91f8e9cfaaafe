// A submit's payload upload: sends the payload while listening to the node, and ends it either with a half-close
// (the whole payload was sent) or with a reset (anything else).
//
// Receptor copies the payload until EOF and only then starts the unit and answers (pkg/workceptor/controlsvc.go,
// `submit`: cfo.ReadFromConn → io.Copy; pkg/controlsvc/controlsvc.go ReadFromConn). So:
// - the node says nothing during the upload unless something went wrong: a line before our EOF is an `ERROR:`
//   (it could not store the payload), and it ends the upload at once. Reading only after sending everything
//   would hang on a node that stopped reading;
// - a clean EOF means "this is the whole payload": an upload stopped for any other reason (Ctrl-C, SIGTERM, a
//   payload read error, the node's ERROR) must end with a reset, which fails the node's read and the unit with
//   it ("Error reading input data: ... connection reset by peer").
import { ConnectionError, MeshctlError, ServerError, UploadInterruptedError, type UploadStop } from '../errors.js';
import { parseReply } from '../protocol/replies.js';
import type { PayloadSource } from './options.js';
import { payloadReader } from './payload.js';
import { abortReason, type Session } from './session.js';

const STOP: unique symbol = Symbol('stop');

export interface UploadOptions {
  unitId: string;
  /** For messages: the address, as Session's `where`. */
  where: string;
  signal?: AbortSignal;
}

/**
 * Sends `payload` on a session whose `Work unit created` line has been read, half-closes, and returns the node's
 * final line (null if it closed without one). Throws UploadInterruptedError if the upload stops early, after
 * resetting the connection; an abort while waiting for the final line throws the signal's AbortError.
 */
export async function uploadPayload(session: Session, payload: PayloadSource, o: UploadOptions): Promise<string | null> {
  session.guardPayload();
  const source = payloadReader(payload);
  let sent = 0;

  // The first stop wins and ends the one wait in progress (one at a time: a handler per chunk on a shared
  // promise would pile up for the whole upload).
  let stop: { stop: UploadStop; cause: unknown } | undefined;
  let interrupt: (() => void) | undefined;
  const fire = (s: UploadStop, cause: unknown): void => {
    if (stop) return;
    stop = { stop: s, cause };
    interrupt?.();
  };
  const orStop = <T>(p: Promise<T>): Promise<T | typeof STOP> =>
    new Promise<T | typeof STOP>((resolve, reject) => {
      if (stop) return resolve(STOP);
      interrupt = () => resolve(STOP);
      p.then(
        (v) => {
          interrupt = undefined;
          resolve(v);
        },
        (err: unknown) => {
          interrupt = undefined;
          reject(err);
        },
      );
    });

  // One read for the whole upload; after our EOF the same read delivers the final line.
  let uploading = true;
  const reply = session.readLine();
  reply.then(
    (line) => {
      if (!uploading) return;
      if (line === null) fire('connection', new ConnectionError('ECLOSED', `${o.where} closed the connection`));
      else fire('node', lineError(line, o.where));
    },
    (err: unknown) => {
      if (uploading) fire('connection', err);
    },
  );
  const onAbort = () => fire('aborted', abortReason(o.signal!));
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for (;;) {
      let item: IteratorResult<Uint8Array> | typeof STOP;
      try {
        item = await orStop(source.next());
      } catch (err) {
        fire('payload', err);
        break;
      }
      if (item === STOP || item.done) break;
      const chunk = item.value;
      const written = session.write(chunk);
      sent += chunk.length;
      try {
        if ((await orStop(written)) === STOP) break;
      } catch (err) {
        // The connection broke under the write. If the node said why first (an ERROR line, then it closed),
        // that line is already on its way to `reply`: the connection is gone, so the read settles promptly.
        await settledWithin(reply, 1000);
        fire('connection', err);
        break;
      }
    }
    if (!stop) {
      // From here a line is the final reply, whenever it comes; only an abort still stops the half-close.
      uploading = false;
      await orStop(session.end());
    }
    if (stop) {
      const reset = session.reset();
      source.cancel();
      throw new UploadInterruptedError({ unitId: o.unitId, bytesSent: sent, stop: stop.stop, reset, cause: stop.cause });
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }

  // The whole payload is with the node; it answers once the unit has started (for remote work, once the payload
  // has been forwarded). Only an abort ends the wait (no timeout).
  if (!o.signal) return reply;
  const signal = o.signal;
  return new Promise<string | null>((resolve, reject) => {
    const abort = () => {
      session.close();
      reject(abortReason(signal));
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    reply.then(
      (line) => {
        signal.removeEventListener('abort', abort);
        resolve(line);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err);
      },
    );
  });
}

/** A line from the node during the upload: its ERROR, or anything else as a protocol error. */
function lineError(line: string, where: string): MeshctlError {
  const reply = parseReply(line);
  if (reply.kind === 'error') return new ServerError(reply.message);
  const shown = line.length > 80 ? line.slice(0, 80) + '...' : line;
  return new MeshctlError('EPROTOCOL', `unexpected reply from ${where} before the end of the payload: '${shown}'`);
}

function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    p.then(done, done);
  });
}
