// Normalises the accepted payload sources to byte chunks, pulled one at a time so a large file or stdin is never
// held in memory (the writer awaits drain between chunks).
import { Readable } from 'node:stream';
import type { PayloadSource } from './options.js';

export async function* payloadChunks(payload: PayloadSource): AsyncGenerator<Uint8Array> {
  if (payload === null || payload === undefined) return;
  if (typeof payload === 'string') {
    if (payload.length > 0) yield Buffer.from(payload, 'utf8');
    return;
  }
  if (payload instanceof Uint8Array) {
    if (payload.length > 0) yield payload;
    return;
  }
  for await (const chunk of payload as AsyncIterable<Uint8Array | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (b.length > 0) yield b;
  }
}

/** A payload pulled chunk by chunk that can be given up while a read is still waiting (stdin with no data yet). */
export interface PayloadReader {
  next(): Promise<IteratorResult<Uint8Array>>;
  /** Stops reading. Does not wait: a read in progress settles on its own. */
  cancel(): void;
}

export function payloadReader(payload: PayloadSource): PayloadReader {
  const it = payloadChunks(payload);
  return {
    next: () => it.next(),
    cancel() {
      // A Readable is destroyed, as breaking out of `for await` over it would. It has to be: `it.return()` queues
      // behind a pending next(), and a stdin that never sends another byte would keep that read (and the
      // process) waiting forever.
      if (payload instanceof Readable) payload.destroy();
      it.return(undefined).catch(() => undefined);
    },
  };
}
