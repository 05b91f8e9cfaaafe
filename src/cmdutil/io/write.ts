// Writing data to stdout with backpressure, and noticing that the reader went away (`| head`).
import { fstatSync, writeSync } from 'node:fs';
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

/**
 * A sink for bulk bytes (work results) that writes each chunk to stdout before it returns: with fs.writeSync on
 * stdout's descriptor when that is a file, a pipe or a socket and nothing is queued in the stream, so the caller may
 * reuse the chunk's memory at once (Conn.pump's reused read buffer) and no stream or promise step is paid per chunk.
 * When the descriptor is full (EAGAIN: a non-blocking pipe whose reader lags) the rest goes through the stream
 * without a copy, and the returned promise holds the chunk until that write has completed (Conn.pump reads nothing
 * meanwhile: backpressure). Anything else (a terminal, a stream without a descriptor, as in tests) gets a copy
 * of the chunk through writeChunk.
 */
export function bulkWriter(out: Writable): (chunk: Buffer) => void | Promise<void> {
  const fd = syncWritableFd(out);
  // A stream without a descriptor may keep the chunk after its write callback (a PassThrough's readable side, a
  // collector in tests): the caller's buffer is reused at once, so such a stream gets its own copy.
  if (fd === undefined) return (chunk) => writeChunk(out, Buffer.from(chunk));
  return (chunk) => {
    // Something still queued in the stream goes out first: bytes stay in order.
    if (out.writableLength > 0 || out.destroyed || out.writableEnded) return written(out, chunk);
    let off = 0;
    try {
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') return written(out, chunk.subarray(off));
      if (code === 'EPIPE') return Promise.reject(new StdoutClosedError(err));
      return Promise.reject(err);
    }
  };
}

/** Writes through the stream and resolves once the bytes are out (the caller's buffer is free again then). */
function written(out: Writable, chunk: Buffer): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.reject(new StdoutClosedError());
  return new Promise((resolve, reject) => {
    out.write(chunk, (err) => (err ? reject(isBrokenPipe(err) ? new StdoutClosedError(err) : err) : resolve()));
  });
}

/** stdout's descriptor when writing to it directly is safe and useful: a regular file, a pipe or a socket. */
function syncWritableFd(out: Writable): number | undefined {
  const fd = (out as { fd?: unknown }).fd;
  if (typeof fd !== 'number' || (out as { isTTY?: boolean }).isTTY) return undefined;
  try {
    const st = fstatSync(fd);
    return st.isFile() || st.isFIFO() || st.isSocket() ? fd : undefined;
  } catch {
    return undefined;
  }
}
