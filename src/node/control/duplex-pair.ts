// Two connected in-memory Duplex streams: what one side writes the other reads. Used to run a local
// service (the node's own control service) behind `connect localhost control`, in place of a mesh
// stream. Writes complete only once the other side wants more data, so backpressure crosses the pair;
// end() on one side ends the other side's readable half (half-close).
import { Duplex } from 'node:stream';

class PairSide extends Duplex {
  peer!: PairSide;
  private pendingCallback: ((err?: Error | null) => void) | undefined;

  constructor() {
    super({ allowHalfOpen: true });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.peer.destroyed) {
      callback(new Error('peer closed'));
      return;
    }
    if (this.peer.push(chunk)) callback();
    else this.pendingCallback = callback;
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.peer.push(null);
    callback();
  }

  override _read(): void {
    const cb = this.peer.pendingCallback;
    this.peer.pendingCallback = undefined;
    cb?.();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const cb = this.pendingCallback;
    this.pendingCallback = undefined;
    cb?.(err ?? new Error('closed'));
    if (!this.peer.destroyed) this.peer.destroy();
    callback(err);
  }
}

export function createDuplexPair(): [Duplex, Duplex] {
  const a = new PairSide();
  const b = new PairSide();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
