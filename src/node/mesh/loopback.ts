// Two Muxes joined in memory: how a node dials its own services (`connect localhost control`) through the
// same channel code, flow control included, as a remote dial. Frames are handed over on a later
// microtask so a write never re-enters the writer.
import { Mux, type MuxHost, type MuxOptions, type MuxOutput } from './mux.js';
import { FRAME_HEADER } from './wire/frame.js';
import { decodeMessage } from './wire/messages.js';

class LoopOutput implements MuxOutput {
  peer!: Mux;
  readonly writableLength = 0;
  write(frame: Buffer): boolean {
    const peer = this.peer;
    queueMicrotask(() => peer.receive(decodeMessage({ type: frame[4]!, payload: frame.subarray(FRAME_HEADER) })));
    return true;
  }
  cork(): void {}
  uncork(): void {}
}

/** [dialing side, accepting side]. The accepting side's OPENs go to `host`. */
export function loopbackMuxes(options: MuxOptions, host: MuxHost): [Mux, Mux] {
  const toB = new LoopOutput();
  const toA = new LoopOutput();
  const a = new Mux(toB, true, options, { onOpen: (m, port) => m.refuse(port, 'unexpected open on loopback') });
  const b = new Mux(toA, false, options, host);
  toB.peer = b;
  toA.peer = a;
  return [a, b];
}
