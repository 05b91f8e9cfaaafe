// One end of a channel on one link (docs/mesh.md "Streams"). A stream between two nodes is a chain of
// channels, one per link on its path; each node on the path owns one Port per adjacent link: the
// endpoints wrap theirs in a MeshStream, the hops in between join two Ports with a Relay.
//
// Flow control is per channel and per direction, by credit: a sender may have at most the bytes the
// receiver granted in flight; the receiver grants again only once bytes have left its buffer (read by
// the application, or sent on by a relay). So what a node holds for a channel never exceeds its window,
// whatever the size of the stream, and a stalled channel never stops its link.

/**
 * What a Port needs of the link's multiplexer (mux.ts `Mux`, which creates the ports). Declared here, not imported,
 * so port.ts and mux.ts do not import each other (test/unit/architecture/imports.test.ts forbids any circle).
 */
export interface PortMux {
  markReady(port: Port): void;
  sendReset(port: Port, reason: string): void;
  sendCredit(port: Port, bytes: number): void;
  release(port: Port): void;
}

/** What the owner of a Port does with what arrives on it. */
export interface PortSink {
  /** Bytes from the peer. The owner calls port.consumed(n) once they have left its buffer. */
  data(chunk: Buffer): void;
  /** The peer will send nothing more. */
  fin(): void;
  /** The channel was torn down (by the peer, by a hop, or because the link went away). */
  reset(reason: string): void;
  /** n bytes given to write() were framed onto the link (their buffer space is free again). */
  sent?(n: number): void;
  /** The FIN queued by end() went out. */
  finSent?(): void;
}

type OpenWaiter = { ok(window: number): void; fail(reason: string): void };

export class Port {
  /** Bytes we may still send (granted by the peer). */
  sendCredit = 0;
  /** Bytes the peer may still send us (granted by us, not yet used). */
  private recvAllowance: number;
  /** Bytes consumed but not yet granted back (sent in batches to save CREDIT frames). */
  private pendingGrant = 0;
  private out: Buffer[] = [];
  private outLength = 0;
  private finWanted = false;
  private finWasSent = false;
  private finWasReceived = false;
  private done = false;
  /** Set while this port's OPEN waits for OPEN_OK / OPEN_FAIL. */
  opening: OpenWaiter | undefined;
  /** In the mux's ready list. */
  queued = false;
  private owner: PortSink | undefined;
  /**
   * What arrived before the owner attached: a dialler gets its stream only once OPEN_OK resolved a
   * promise, but DATA (the service's greeting) can follow OPEN_OK in the same read, before that.
   */
  private early: (['data', Buffer] | ['fin'] | ['reset', string])[] = [];

  get sink(): PortSink | undefined {
    return this.owner;
  }

  set sink(s: PortSink | undefined) {
    this.owner = s;
    if (!s || this.early.length === 0) return;
    const pending = this.early;
    this.early = [];
    for (const e of pending) {
      if (e[0] === 'data') s.data(e[1]);
      else if (e[0] === 'fin') s.fin();
      else s.reset(e[1]);
    }
  }

  constructor(
    readonly mux: PortMux,
    readonly id: number,
    /** Our receive window for this channel, announced in OPEN / OPEN_OK. */
    readonly window: number,
  ) {
    this.recvAllowance = window;
  }

  /** Bytes queued for the link, not yet framed. */
  get outBytes(): number {
    return this.outLength;
  }

  get closed(): boolean {
    return this.done;
  }

  /** Queues bytes for the peer (sent as credit allows). */
  write(chunk: Buffer): void {
    if (this.done || this.finWanted || chunk.length === 0) return;
    this.out.push(chunk);
    this.outLength += chunk.length;
    this.mux.markReady(this);
  }

  /** Half-close: FIN goes out after the queued bytes. */
  end(): void {
    if (this.done || this.finWanted) return;
    this.finWanted = true;
    this.mux.markReady(this);
  }

  /** Tears the channel down and tells the peer (RESET). */
  reset(reason: string): void {
    if (this.done) return;
    this.mux.sendReset(this, reason);
    this.finish();
    // An open still waiting for its answer fails with the same reason.
    const w = this.opening;
    this.opening = undefined;
    w?.fail(reason);
  }

  /** The owner freed n bytes of what data() gave it: the peer may send that much more. */
  consumed(n: number): void {
    if (this.done || this.finWasReceived) return;
    this.pendingGrant += n;
    // Grant in quarter windows: few CREDIT frames, and the sender never waits for a whole round trip.
    if (this.pendingGrant >= Math.max(1, this.window >> 2)) {
      this.recvAllowance += this.pendingGrant;
      this.mux.sendCredit(this, this.pendingGrant);
      this.pendingGrant = 0;
    }
  }

  /** For the mux: has a frame to send now. */
  hasWork(): boolean {
    if (this.done) return false;
    if (this.outLength > 0) return this.sendCredit > 0;
    return this.finWanted && !this.finWasSent;
  }

  /** For the mux: the next DATA (≤ maxPayload and credit) or FIN payload; undefined if none. */
  take(maxPayload: number): { data: Buffer } | { fin: true } | undefined {
    if (this.done) return undefined;
    if (this.outLength > 0) {
      const n = Math.min(maxPayload, this.sendCredit, this.outLength);
      if (n <= 0) return undefined;
      const data = this.takeBytes(n);
      this.sendCredit -= n;
      this.sink?.sent?.(n);
      return { data };
    }
    if (this.finWanted && !this.finWasSent) {
      this.finWasSent = true;
      this.sink?.finSent?.();
      if (this.finWasReceived) this.finish();
      return { fin: true };
    }
    return undefined;
  }

  private takeBytes(n: number): Buffer {
    this.outLength -= n;
    const first = this.out[0]!;
    if (first.length === n) {
      this.out.shift();
      return first;
    }
    if (first.length > n) {
      this.out[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const data = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.out[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(data, at, 0, k);
      at += k;
      if (k === c.length) this.out.shift();
      else this.out[0] = c.subarray(k);
    }
    return data;
  }

  // ---- called by the mux for frames from the peer ----

  onData(data: Buffer): void {
    if (this.done) return;
    if (this.finWasReceived) {
      this.fail('protocol error: data after end of stream');
      return;
    }
    this.recvAllowance -= data.length;
    if (this.recvAllowance < 0) {
      this.fail('protocol error: peer sent more than its flow-control credit');
      return;
    }
    if (this.owner) this.owner.data(data);
    else this.early.push(['data', data]);
  }

  onCredit(bytes: number): void {
    if (this.done) return;
    this.sendCredit += bytes;
    if (this.hasWork()) this.mux.markReady(this);
  }

  onFin(): void {
    if (this.done || this.finWasReceived) return;
    this.finWasReceived = true;
    if (this.owner) this.owner.fin();
    else this.early.push(['fin']);
    if (this.finWasSent) this.finish();
  }

  onReset(reason: string): void {
    if (this.done) return;
    this.finish();
    this.notifyGone(reason);
  }

  /** Local failure: RESET the peer and tell the owner. */
  fail(reason: string): void {
    if (this.done) return;
    this.reset(reason);
    this.notifyGone(reason);
  }

  /** The link went away: no RESET can be sent; tell the owner. */
  linkLost(reason: string): void {
    if (this.done) return;
    this.finish();
    this.notifyGone(reason);
  }

  private notifyGone(reason: string): void {
    const w = this.opening;
    this.opening = undefined;
    if (w) w.fail(reason);
    else if (this.owner) this.owner.reset(reason);
    else this.early.push(['reset', reason]);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.out = [];
    this.outLength = 0;
    this.mux.release(this);
  }
}
