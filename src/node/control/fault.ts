// Fault injection for tests (meshctl/testing's cutResults): a `work results` stream that ends after N bytes of
// results, as a network cutting the connection would: the bytes before the cut arrive, then the connection
// ends. Nothing here runs unless StartNodeOptions.faults asks for it.
import type { Duplex } from 'node:stream';
import type { ResultsSink } from '../work/results.js';
import { SessionClosedError } from './session.js';

export type { NodeFaults } from './context.js';

/** Ends `stream` (its written bytes flushed first), then destroys it so neither side can go on. */
function cutConnection(stream: Duplex, last?: Buffer): void {
  if (stream.destroyed) return;
  stream.once('finish', () => stream.destroy());
  stream.once('error', () => stream.destroy());
  stream.end(last);
}

/**
 * A sink that passes `limit` bytes to `write`, then cuts `stream`. A cut at 0 happens at once: the
 * client sees the header line and then the end, whether or not the unit has written anything yet.
 */
export function cuttingSink(stream: Duplex, limit: number, write: (chunk: Buffer) => Promise<void>, signal: AbortSignal): ResultsSink {
  let sent = 0;
  if (limit <= 0) cutConnection(stream);
  return {
    signal,
    async write(chunk) {
      if (sent >= limit) throw new SessionClosedError('connection closed');
      if (sent + chunk.length < limit) {
        sent += chunk.length;
        return write(chunk);
      }
      const last = Buffer.from(chunk.subarray(0, limit - sent));
      sent = limit;
      cutConnection(stream, last);
      throw new SessionClosedError('connection closed');
    },
  };
}
