// The frame scheduler and channel table of one link (docs/mesh.md "Streams", "Fairness"). Control frames
// (handshake, routing, adverts, datagrams, credits, opens, resets) go first; DATA/FIN frames are pulled
// from the channels that have both bytes and credit, one frame per channel in turn, so a fast stream
// cannot starve a slow one. Frames are only produced while the transport's write buffer is below
// `writeBufferBytes`: the link itself never grows an unbounded queue.
import { Port } from './port.js';
import { encodeMessage, type LinkMessage, type OpenInfo } from './wire/messages.js';

export interface MuxOutput {
  write(frame: Buffer): boolean;
  readonly writableLength: number;
  cork(): void;
  uncork(): void;
}

export interface MuxOptions {
  /** Receive window of each channel, bytes. */
  window: number;
  /** Largest DATA payload. */
  maxDataFrame: number;
  /** Stop producing frames while the transport holds this many unsent bytes. */
  writeBufferBytes: number;
  /** Datagrams are dropped (as an overloaded Receptor would) once the control queue holds this much. */
  maxControlQueueBytes: number;
}

export interface MuxHost {
  /** An OPEN arrived: accept it (port.sink + mux.accept), relay it, or mux.refuse it. */
  onOpen(mux: Mux, port: Port, info: OpenInfo): void;
}

export class Mux {
  private readonly ports = new Map<number, Port>();
  private readonly ready: Port[] = [];
  private control: Buffer[] = [];
  private controlBytes = 0;
  private nextId: number;
  private pumpScheduled = false;
  /** When a frame last went to the transport (Date.now()): the link sends a heartbeat only after a quiet spell. */
  lastSentAt = Date.now();
  private waitingDrain = false;
  private closedReason: string | undefined;

  constructor(
    private readonly out: MuxOutput,
    /** The link's dialer numbers its channels odd, the listener even: ids never collide. */
    dialer: boolean,
    readonly options: MuxOptions,
    private readonly host: MuxHost,
  ) {
    this.nextId = dialer ? 1 : 2;
  }

  get channelCount(): number {
    return this.ports.size;
  }

  /** Bytes held by this link: channel queues, control queue and the transport's write buffer. */
  get bufferedBytes(): number {
    let n = this.controlBytes + this.out.writableLength;
    for (const p of this.ports.values()) n += p.outBytes;
    return n;
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  // ---- sending ----

  sendControl(m: LinkMessage): void {
    if (this.closedReason !== undefined) return;
    const frame = encodeMessage(m);
    if (m.type === 'datagram' && this.controlBytes + frame.length > this.options.maxControlQueueBytes) return;
    this.control.push(frame);
    this.controlBytes += frame.length;
    this.schedulePump();
  }

  /** Opens a channel toward `info.toNode` over this link; resolves with the port once accepted. */
  open(info: OpenInfo): { port: Port; accepted: Promise<Port> } {
    const port = new Port(this, this.allocateId(), this.options.window);
    this.ports.set(port.id, port);
    const accepted = new Promise<Port>((resolve, reject) => {
      port.opening = {
        ok: (window) => {
          port.sendCredit += window;
          resolve(port);
        },
        fail: (reason) => reject(new Error(reason)),
      };
    });
    if (this.closedReason !== undefined) port.linkLost(this.closedReason);
    else this.sendControl({ type: 'open', id: port.id, window: port.window, open: info });
    return { port, accepted };
  }

  /** Answers an incoming OPEN positively (the port's sink must be set). */
  accept(port: Port): void {
    this.sendControl({ type: 'open-ok', id: port.id, window: port.window });
    if (port.hasWork()) this.markReady(port);
  }

  /** Answers an incoming OPEN negatively and forgets the port. */
  refuse(port: Port, reason: string): void {
    if (port.closed) return;
    this.sendControl({ type: 'open-fail', id: port.id, reason });
    port.linkLost(reason);
  }

  sendCredit(port: Port, bytes: number): void {
    this.sendControl({ type: 'credit', id: port.id, bytes });
  }

  sendReset(port: Port, reason: string): void {
    this.sendControl({ type: 'reset', id: port.id, reason });
  }

  markReady(port: Port): void {
    if (port.queued || port.closed) return;
    port.queued = true;
    this.ready.push(port);
    this.schedulePump();
  }

  /** Port finished: forget it. */
  release(port: Port): void {
    if (this.ports.get(port.id) === port) this.ports.delete(port.id);
  }

  /** The transport can take more bytes. */
  drained(): void {
    this.waitingDrain = false;
    this.schedulePump();
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = this.nextId + 2 > 0xffffffff ? this.nextId % 2 === 1 ? 1 : 2 : this.nextId + 2;
      if (!this.ports.has(id)) return id;
    }
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.waitingDrain || this.closedReason !== undefined) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.waitingDrain || this.closedReason !== undefined) return;
    let lastAccepted = true;
    this.out.cork();
    try {
      while (this.out.writableLength < this.options.writeBufferBytes) {
        const frame = this.nextFrame();
        if (!frame) return;
        lastAccepted = this.out.write(frame);
        this.lastSentAt = Date.now();
      }
      if (!lastAccepted) {
        // A write was refused: the transport emits 'drain' once its buffer empties.
        this.waitingDrain = true;
      } else {
        // Over our limit but under the stream's own high-water mark: no 'drain' will come, look again soon.
        this.pumpScheduled = true;
        setImmediate(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    } finally {
      this.out.uncork();
    }
  }

  private nextFrame(): Buffer | undefined {
    const c = this.control.shift();
    if (c) {
      this.controlBytes -= c.length;
      return c;
    }
    while (this.ready.length > 0) {
      const port = this.ready.shift()!;
      port.queued = false;
      const item = port.take(this.options.maxDataFrame);
      if (port.hasWork()) {
        port.queued = true;
        this.ready.push(port);
      }
      if (item) return 'fin' in item ? encodeMessage({ type: 'fin', id: port.id }) : encodeMessage({ type: 'data', id: port.id, data: item.data });
    }
    return undefined;
  }

  // ---- receiving ----

  /** A channel frame from the peer. */
  receive(m: LinkMessage): void {
    if (this.closedReason !== undefined) return;
    switch (m.type) {
      case 'open': {
        if (this.ports.has(m.id)) {
          // A reused id: the peer lost track; refuse rather than mix two channels.
          this.sendControl({ type: 'open-fail', id: m.id, reason: 'protocol error: channel id in use' });
          return;
        }
        const port = new Port(this, m.id, this.options.window);
        port.sendCredit = m.window;
        this.ports.set(m.id, port);
        this.host.onOpen(this, port, m.open);
        return;
      }
      case 'open-ok': {
        const port = this.ports.get(m.id);
        const w = port?.opening;
        if (!port || !w) return;
        port.opening = undefined;
        w.ok(m.window);
        if (port.hasWork()) this.markReady(port);
        return;
      }
      case 'open-fail': {
        const port = this.ports.get(m.id);
        if (port?.opening) port.linkLost(m.reason);
        return;
      }
      case 'data':
        this.ports.get(m.id)?.onData(m.data);
        return;
      case 'credit':
        this.ports.get(m.id)?.onCredit(m.bytes);
        return;
      case 'fin':
        this.ports.get(m.id)?.onFin();
        return;
      case 'reset':
        this.ports.get(m.id)?.onReset(m.reason);
        return;
      default:
        return;
    }
  }

  /** The link is gone: every channel learns it, nothing more is sent. */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.control = [];
    this.controlBytes = 0;
    this.ready.length = 0;
    for (const p of [...this.ports.values()]) p.linkLost(reason);
    this.ports.clear();
  }
}
