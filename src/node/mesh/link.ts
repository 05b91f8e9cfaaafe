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
import { nodeIdsFromCertificate } from '../../certs/index.js';
import type { NodeLogger } from '../logger.js';
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
      if (now - this.mux.lastSentAt >= timers.heartbeatMs) this.mux.sendControl({ type: 'heartbeat' });
    }, tick);
    this.timer.unref();
    this.handshakeTimer = setTimeout(() => {
      if (this.state === 'hello' || this.state === 'accepting') this.close(`handshake with ${this.label} timed out`);
    }, timers.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    transport.start({
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
    this.mux.sendControl({ type: 'hello', hello: { magic: HELLO_MAGIC, min: LINK_PROTOCOL_MIN, max: LINK_PROTOCOL_MAX, node: host.nodeId } });
    // runProtocol's initial update loop (our HELLO plays its part).
    host.logger.debug('Sending initial connection message');
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
