// One link session between two nodes over a FrameTransport (docs/mesh.md "Handshake", "Liveness").
// Handshake: each side sends HELLO (its node ID and link protocol versions); on the peer's HELLO a side
// decides as Receptor's runProtocol does — refuse our own node ID, a peer outside allowedpeers, a node
// already connected — and answers ACCEPT with the cost it charges for the link (nodecost for that peer,
// else the link's cost) or REJECT with the reason. The link is up once both ACCEPTs agree on the cost
// ("we disagree about the connection cost" otherwise). Liveness: a link that receives nothing for
// `idleTimeoutMs` is dropped (Receptor: 21 s idle, checked every 5 s: netceptor.go monitorConnectionAging). Receptor
// sends no keepalive: the route updates every node sends on every link each 10 s keep links busy. We do the same
// and send a HEARTBEAT frame only on a link that has carried nothing from us for `heartbeatMs` (a node with a longer
// route update period, or one whose updates are held up), so an idle mesh wakes no more often than Receptor's.
//
// Who speaks first (docs/mesh.md "Mis-wiring"): a receptor node reads a u16 little-endian length, and our 4-byte
// big-endian length word of a small frame starts 00 00: receptor 1.6.5 reads a zero-length frame and panics in
// runProtocol (`data[0]` of an empty message, netceptor.go) and exits. So a link never sends its HELLO to a peer
// that may be a receptor: the accepting side says nothing until the peer's first bytes are a meshctl HELLO;
// the dialing side first listens for PEER_SPEAKS_FIRST_MS, since a receptor always speaks first (its routing
// update), and says HELLO only after that silence. Bytes that are not ours are named (netceptor, HTTP, TLS...),
// logged at error level, and the connection is closed without a byte sent.
import { nodeIdsFromCertificate } from '../../certs/index.js';
import { decodeMessage as decodeNetceptor, foreignProtocol, type NetceptorMessage } from '../../protocol/netceptor/index.js';
import type { NodeLogger } from '../logger.js';
import { foreignPeerLine } from './log-text.js';
import { Mux, type MuxHost, type MuxOptions } from './mux.js';
import type { FrameTransport } from './transport/frame-transport.js';
import {
  decodeMessage,
  HELLO_MAGIC,
  LINK_PROTOCOL_MAX,
  LINK_PROTOCOL_MIN,
  type AdvertMessage,
  type Datagram,
  type LinkMessage,
  type RouteUpdate,
} from './wire/messages.js';
import { FrameType, MAX_FRAME_LENGTH } from './wire/frame.js';

/**
 * How long a dialing node listens before it says HELLO. Receptor sends its first routing update as soon as a
 * connection's session starts, on every backend, dialer or listener alike: runProtocol starts
 * sendInitialConnectMessage at once, whose first update goes out before its first 1 s wait (netceptor.go
 * runProtocol, sendInitialConnectMessage; pkg/backends/tcp.go and websockets.go hand the session over as soon
 * as it is accepted). So its update reaches us within about one round trip after our connect (TLS: after the
 * server's side of the handshake completes) plus receptor's scheduling. 500 ms covers a loaded 2-core host
 * (goroutine and GC delays of tens of ms) and round trips up to ~400 ms; a receptor slower than that still
 * gets our HELLO and crashes, which is why the wait errs long. It delays only meshctl-to-meshctl link set-up.
 */
export const PEER_SPEAKS_FIRST_MS = 500;

/**
 * Could `m[0..]` start a netceptor message receptor sends first: a routing update or service advert (type 1 or 2,
 * then Go's JSON object) or a reject (type 3)? Requiring the `{` keeps a TLS record (16 03 01 ...) from being
 * taken for a u16-framed netceptor message and waited on.
 */
function netceptorStart(m: Buffer, at: number): boolean {
  const t = m[at];
  if (t === 3) return true;
  return (t === 1 || t === 2) && (m.length <= at + 1 || m[at + 1] === 0x7b);
}

export type FirstBytes = { kind: 'wait' } | { kind: 'meshctl' } | { kind: 'foreign'; speaks: string };

function netceptorSpeaks(m: NetceptorMessage): string | undefined {
  // Receptor's first message on a link is a routing update naming itself (ForwardingNode, as runProtocol reads it).
  if (m.type === 'route') return `Receptor's netceptor protocol, node ID ${m.ForwardingNode || m.NodeID}`;
  if (m.type === 'advert') return `Receptor's netceptor protocol, node ID ${m.NodeID}`;
  if (m.type === 'reject') return "Receptor's netceptor protocol (it sent a reject)";
  return undefined;
}

function tryNetceptor(msg: Buffer): string | undefined {
  try {
    return netceptorSpeaks(decodeNetceptor(msg));
  } catch {
    return undefined;
  }
}

/**
 * Names the protocol of a peer's first bytes: a meshctl HELLO frame (u32 BE length, type HELLO), netceptor
 * (a u16 LE length and a message, as receptor's tcp and tls backends frame it; or a bare message, as its
 * websocket backend sends one per binary message), or something else (foreignProtocol). 'wait': too few bytes.
 */
export function classifyFirstBytes(head: Buffer): FirstBytes {
  if (head.length >= 5) {
    const len = head.readUInt32BE(0);
    if (len >= 1 && len <= MAX_FRAME_LENGTH && head[4] === FrameType.HELLO) return { kind: 'meshctl' };
  }
  // ws/wss: one netceptor message per WebSocket message, no length (receptor's reject is 3 bytes: `\x03[]`).
  if (netceptorStart(head, 0)) {
    const speaks = tryNetceptor(head);
    if (speaks !== undefined) return { kind: 'foreign', speaks };
  }
  if (head.length < 5) return { kind: 'wait' };
  // tcp/tls: u16 LE length, then the message; wait for the whole first message (at most 65537 bytes).
  const size = head.readUInt16LE(0);
  if (size > 0 && netceptorStart(head, 2)) {
    if (head.length < 2 + size) return { kind: 'wait' };
    const speaks = tryNetceptor(head.subarray(2, 2 + size));
    if (speaks !== undefined) return { kind: 'foreign', speaks };
  }
  const named = foreignProtocol(head);
  if (named !== undefined) return { kind: 'foreign', speaks: named };
  return { kind: 'foreign', speaks: `an unknown protocol (first bytes ${head.subarray(0, 16).toString('hex')})` };
}

/** Per-backend admission settings (Receptor's BackendInfo plus our certificate check). */
export interface LinkPolicy {
  /** Cost of the link (tcp-listener/tcp-peer `cost`), > 0. */
  cost: number;
  /** Per-peer costs (listeners' `nodecost`). */
  nodecost?: Record<string, number> | undefined;
  /** Only these node IDs may connect (`allowedpeers`); undefined: anyone. */
  allowedpeers?: readonly string[] | undefined;
  /**
   * Require the peer's TLS certificate to carry its node ID (otherName SAN). Receptor's backends do not
   * check this; off by default.
   */
  requirePeerNodeIdInCert?: boolean | undefined;
}

export interface LinkTimers {
  heartbeatMs: number;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
}

export interface LinkHost {
  readonly nodeId: string;
  readonly logger: NodeLogger;
  readonly muxHost: MuxHost;
  /** Claims `node` for this link; returns false if another link already holds it. */
  claim(link: Link, node: string): boolean;
  /** The handshake completed. */
  up(link: Link): void;
  /**
   * The link closed (every link, up or not, ends with one call). `wasClaimed`: it held its node ID;
   * `wasUp`: it had completed the handshake.
   */
  down(link: Link, reason: string, wasClaimed: boolean, wasUp: boolean): void;
  rejected(link: Link, reason: string, byPeer: boolean): void;
  route(link: Link, update: RouteUpdate): void;
  advert(link: Link, advert: AdvertMessage): void;
  datagram(link: Link, datagram: Datagram): void;
}

type State = 'hello' | 'accepting' | 'up' | 'closed';

export class Link {
  readonly mux: Mux;
  private state: State = 'hello';
  private claimed = false;
  /** The peer's node ID, once its HELLO arrived. */
  remoteNode = '';
  /** The agreed cost, once up. */
  cost = 0;
  version = 0;
  private lastReceived = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly handshakeTimer: NodeJS.Timeout;
  /** The dialer's wait for the peer to speak first (PEER_SPEAKS_FIRST_MS). */
  private helloTimer: NodeJS.Timeout | undefined;
  /** Our HELLO is sent: until then nothing at all goes out on the link. */
  private spoke = false;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    readonly transport: FrameTransport,
    /** True on the side that dialled. */
    readonly dialer: boolean,
    private readonly policy: LinkPolicy,
    private readonly timers: LinkTimers,
    muxOptions: MuxOptions,
    private readonly host: LinkHost,
  ) {
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    this.mux = new Mux(transport, dialer, muxOptions, host.muxHost);
    const tick = Math.max(10, Math.min(timers.heartbeatMs, Math.floor(timers.idleTimeoutMs / 4)));
    this.timer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastReceived > timers.idleTimeoutMs) {
        // Receptor: monitorConnectionAging "Timing out connection %s, idle for the past %s".
        this.host.logger.warning(`Timing out connection ${this.label}, idle for the past ${timers.idleTimeoutMs}ms`);
        this.close(`connection to ${this.label} timed out`);
        return;
      }
      // Only after a quiet spell: the peer hears from us at least every heartbeatMs + tick, well within its idle limit.
      // Never before our HELLO: the peer may be a receptor (see PEER_SPEAKS_FIRST_MS).
      if (this.spoke && now - this.mux.lastSentAt >= timers.heartbeatMs) this.mux.sendControl({ type: 'heartbeat' });
    }, tick);
    this.timer.unref();
    this.handshakeTimer = setTimeout(() => {
      if (this.state === 'hello' || this.state === 'accepting') this.close(`handshake with ${this.label} timed out`);
    }, timers.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    transport.start({
      firstBytes: (head) => this.onFirstBytes(head),
      frame: (f) => {
        this.lastReceived = Date.now();
        let m: LinkMessage;
        try {
          m = decodeMessage(f);
        } catch (err) {
          this.close(`protocol error from ${this.label}: ${(err as Error).message}`);
          return;
        }
        this.onMessage(m);
      },
      drain: () => this.mux.drained(),
      close: (err) => this.close(err ? `connection to ${this.label} lost: ${err.message}` : `connection to ${this.label} lost`),
    });
    if (dialer && !this.finished) {
      // Kept within a quarter of the handshake timeout, so tests' short timers still leave room for the rest.
      const wait = Math.min(PEER_SPEAKS_FIRST_MS, Math.floor(timers.handshakeTimeoutMs / 4));
      this.helloTimer = setTimeout(() => this.sayHello(), wait);
      this.helloTimer.unref();
    }
  }

  /** Sends our HELLO, once. */
  private sayHello(): void {
    if (this.spoke || this.state === 'closed') return;
    this.spoke = true;
    clearTimeout(this.helloTimer);
    this.mux.sendControl({ type: 'hello', hello: { magic: HELLO_MAGIC, min: LINK_PROTOCOL_MIN, max: LINK_PROTOCOL_MAX, node: this.host.nodeId } });
    // runProtocol's initial update loop (our HELLO plays its part).
    this.host.logger.debug('Sending initial connection message');
  }

  /** The peer's first bytes: ours go on to the frame parser; anything else is named, logged and closed. */
  private onFirstBytes(head: Buffer): 'wait' | 'frames' | 'drop' {
    if (this.state === 'closed') return 'drop';
    const c = classifyFirstBytes(head);
    if (c.kind === 'wait') return 'wait';
    if (c.kind === 'meshctl') return 'frames';
    this.lastReceived = Date.now();
    const address = this.transport.remoteAddress;
    const line = foreignPeerLine(this.host.nodeId, address, c.speaks);
    this.host.logger.error(line);
    this.host.rejected(this, `it speaks ${c.speaks}`, false);
    // Nothing is sent: a receptor would read any frame of ours as a zero-length one and panic.
    this.close(`refused ${address}: it speaks ${c.speaks}`);
    return 'drop';
  }

  /** The peer's node ID, or its address before the handshake. */
  get label(): string {
    return this.remoteNode !== '' ? this.remoteNode : this.transport.remoteAddress;
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Resolves once the link is closed. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  send(m: LinkMessage): void {
    if (this.state === 'up') this.mux.sendControl(m);
  }

  private onMessage(m: LinkMessage): void {
    if (this.state === 'closed') return;
    switch (m.type) {
      case 'hello':
        // The peer spoke meshctl first: answer with our HELLO (the dialer may still be waiting, see sayHello).
        this.sayHello();
        return this.onHello(m.hello);
      case 'accept':
        return this.onAccept(m.accept.cost, m.accept.version);
      case 'reject':
        // Receptor's text (runProtocol): the reason is in the rejecting node's own log.
        this.host.logger.warning('Received a rejection message from peer.');
        this.host.rejected(this, m.reject.reason, true);
        this.close(`remote node rejected the connection: ${m.reject.reason}`);
        return;
      case 'heartbeat':
      case 'unknown':
        return;
      default:
        break;
    }
    if (this.state !== 'up') {
      this.close(`protocol error from ${this.label}: ${m.type} before the handshake completed`);
      return;
    }
    switch (m.type) {
      case 'route':
        return this.host.route(this, m.update);
      case 'advert':
        return this.host.advert(this, m.advert);
      case 'datagram':
        return this.host.datagram(this, m.datagram);
      default:
        this.mux.receive(m);
    }
  }

  private onHello(h: { magic: string; min: number; max: number; node: string }): void {
    if (this.state !== 'hello') {
      this.close(`protocol error from ${this.label}: second hello`);
      return;
    }
    if (h.magic !== HELLO_MAGIC) {
      this.close(`${this.transport.remoteAddress} is not a meshctl mesh node`);
      return;
    }
    this.remoteNode = h.node;
    const version = Math.min(h.max, LINK_PROTOCOL_MAX);
    if (version < Math.max(h.min, LINK_PROTOCOL_MIN) || h.node === '') {
      this.reject(
        h.node === ''
          ? 'it sent an empty node ID'
          : `it speaks link protocol versions ${h.min}-${h.max} and we speak ${LINK_PROTOCOL_MIN}-${LINK_PROTOCOL_MAX}`,
      );
      return;
    }
    this.version = version;
    // The order of Receptor's checks in runProtocol: own ID, allowed peers, (nodecost), already connected.
    if (h.node === this.host.nodeId) return this.reject('it tried to connect using our own node ID');
    // runProtocol: from here on every line of the node's log names this peer, until the next one connects.
    this.host.logger.updateSuffix?.({ remote_id: h.node });
    if (this.policy.allowedpeers && !this.policy.allowedpeers.includes(h.node)) return this.reject('it is not in the allowed peers list');
    if (this.policy.requirePeerNodeIdInCert) {
      const der = this.transport.peerCertificate;
      let ids: string[] = [];
      try {
        ids = der ? nodeIdsFromCertificate(der) : [];
      } catch {
        ids = [];
      }
      if (!ids.includes(h.node)) return this.reject(`its certificate does not carry node ID ${h.node} (found [${ids.join(' ')}])`);
    }
    this.cost = this.policy.nodecost?.[h.node] ?? this.policy.cost;
    if (!this.host.claim(this, h.node)) return this.reject('it connected using a node ID we are already connected to');
    this.claimed = true;
    this.state = 'accepting';
    this.mux.sendControl({ type: 'accept', accept: { version, cost: this.cost } });
  }

  private onAccept(peerCost: number, version: number): void {
    if (this.state !== 'accepting') {
      this.close(`protocol error from ${this.label}: accept before hello`);
      return;
    }
    if (version !== this.version) return this.reject(`it chose link protocol version ${version}, expected ${this.version}`);
    if (peerCost !== this.cost) return this.reject('we disagree about the connection cost');
    this.state = 'up';
    clearTimeout(this.handshakeTimer);
    this.host.logger.info(`Connection established with ${this.remoteNode}`);
    this.host.logger.debug('Stopping initial updates');
    this.host.up(this);
  }

  /** Refuses the peer: REJECT with the reason, then close once it is flushed. */
  private reject(reason: string): void {
    // Receptor's text (sendAndLogConnectionRejection).
    this.host.logger.error(`${this.host.nodeId}: rejected connection with node ${this.remoteNode} because ${reason}`);
    this.host.rejected(this, reason, false);
    this.mux.sendControl({ type: 'reject', reject: { reason } });
    // Let the REJECT frame reach the transport, then close.
    setImmediate(() => {
      this.transport.end();
      this.close(`rejected connection with node ${this.remoteNode} because ${reason}`, false);
    });
    this.stopTimers();
    this.state = 'closed';
  }

  private stopTimers(): void {
    clearInterval(this.timer);
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.helloTimer);
  }

  private finished = false;

  /** Drops the link: every stream through it is reset with `reason`. */
  close(reason = `connection to ${this.label} closed`, destroyTransport = true): void {
    if (this.finished) return;
    this.finished = true;
    const wasUp = this.state === 'up';
    this.state = 'closed';
    this.stopTimers();
    this.mux.close(reason);
    if (destroyTransport) this.transport.destroy();
    const claimed = this.claimed;
    this.claimed = false;
    this.host.down(this, reason, claimed, wasUp);
    this.resolveClosed();
  }
}
