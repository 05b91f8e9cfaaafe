// Writing data to stdout with backpressure, and noticing that the reader went away (`| head`).
import type { Writable } from 'node:stream';

/** stdout was closed by its reader (EPIPE). Not a failure of ours: the CLI exits quietly. */
export class StdoutClosedError extends Error {
  override name = 'StdoutClosedError';
  constructor(cause?: unknown) {
    super('stdout closed', cause === undefined ? undefined : { cause });
  }
}

export function isBrokenPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

/**
 * Writes one chunk; when the stream's buffer is full, waits for 'drain' (so a fast node and a slow reader
 * never pile the whole stream up in memory). Rejects with StdoutClosedError if the stream errors or closes.
 */
export function writeChunk(out: Writable, chunk: Uint8Array | string): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.reject(new StdoutClosedError());
  // An error of this write (EPIPE) surfaces asynchronously as 'error'; the CLI's own listener records it and the
  // next write sees a destroyed stream.
  if (out.write(chunk)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(isBrokenPipe(err) ? new StdoutClosedError(err) : err);
    };
    const onClose = () => {
      cleanup();
      reject(new StdoutClosedError());
    };
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/** Resolves once everything written so far has been handed to the OS (or rejects if stdout broke). */
export function flushed(out: Writable): Promise<void> {
  if (out.destroyed) return Promise.reject(new StdoutClosedError());
  return new Promise((resolve, reject) => {
    out.write('', (err) => (err ? reject(isBrokenPipe(err) ? new StdoutClosedError(err) : err) : resolve()));
  });
}
