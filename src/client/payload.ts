// Normalises the accepted payload sources to an async iterable of byte chunks, pulled one at a time so a
// large file or stdin is never held in memory (the writer awaits drain between chunks).
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
