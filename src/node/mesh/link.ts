// One link between two nodes, speaking Receptor's netceptor protocol (docs/netceptor-wire.md, "The connection
// handshake"): there is no greeting. Each side sends its routing update at once and then every
// `initialUpdateMs` (receptor: sendInitialConnectMessage, every 1 s, 11 times) until the peer's first routing
// update arrives; that update names the peer (ForwardingNode) and the link is up at the cost this side charges
// (nodecost for that peer, else the backend's cost). The per-link rules (own ID, allowedpeers, already
// connected, cost disagreement, ForwardingNode changing) are `LinkHandshake`'s, receptor's runProtocol as a
// pure state machine; a refusal sends a reject message (`03 5b 5d`) and closes.
//
// Liveness follows netceptor.go monitorConnectionAging: a link that receives nothing for `idleTimeoutMs`
// (21 s) is dropped. Receptor has no keepalive message: every node's routing updates every 10 s keep links
// busy. A link that has carried nothing from us for `heartbeatMs` (a node configured with a longer update
// period) gets our last routing update again as its keepalive, which every netceptor peer reads and drops as seen.
//
// Data messages on an established link bypass the handshake's decoder: the mesh reads their 36-byte header
// in place and forwards the bytes (mesh.ts), so a relayed stream costs no JSON and no copy of the payload.
import { nodeIdsFromCertificate } from '../../certs/index.js';
import {
  decodeMessage,
  encodeReject,
  foreignProtocol,
  LinkHandshake,
  MsgType,
  type ServiceAdvertisement,
  type RoutingUpdate,
} from '../../protocol/netceptor/index.js';
import type { NodeLogger } from '../logger.js';
import { foreignPeerLine } from './log-text.js';
import type { FrameTransport } from './transport/frame-transport.js';

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
  /** Give up on a link whose peer has not named itself within this time (receptor: 11 updates 1 s apart). */
  handshakeTimeoutMs: number;
  /** Period of the initial routing updates (receptor: 1 s). */
  initialUpdateMs: number;
}

export interface LinkHost {
  readonly nodeId: string;
  readonly logger: NodeLogger;
  /** Our current routing update, encoded (a fresh sequence each call): the initial updates. */
  routingUpdate(): Buffer;
  /**
   * A keepalive for a quiet link: our last flooded routing update again. Its UpdateID is known mesh-wide, so the peer
   * drops it after reading it (a fresh update would be flooded to every node of the mesh: a keepalive costing the
   * whole mesh CPU).
   */
  keepalive(): Buffer;
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
  route(link: Link, update: RoutingUpdate): void;
  advert(link: Link, advert: ServiceAdvertisement): void;
  /** A data message (type 0) as received, header included. */
  data(link: Link, message: Buffer): void;
}

type State = 'connecting' | 'up' | 'closed';

export class Link {
  private state: State = 'connecting';
  private readonly handshake: LinkHandshake;
  private claimed = false;
  /** The peer's node ID, once its first routing update arrived. */
  remoteNode = '';
  /** The agreed cost, once up. */
  cost = 0;
  private lastReceived = Date.now();
  /** When a message last went to the transport (Date.now()): keepalives only after a quiet spell. */
  private lastSentAt = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly handshakeTimer: NodeJS.Timeout;
  private initialTimer: NodeJS.Timeout | undefined;
  private foreignTimer: NodeJS.Timeout | undefined;
  private received = 0;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private finished = false;

  constructor(
    readonly transport: FrameTransport,
    /** True on the side that dialled. */
    readonly dialer: boolean,
    private readonly policy: LinkPolicy,
    private readonly timers: LinkTimers,
    /** Bytes the transport may hold before forwarded data messages are dropped. */
    private readonly maxQueuedBytes: number,
    private readonly host: LinkHost,
  ) {
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    this.handshake = new LinkHandshake(host.nodeId, { cost: policy.cost, nodecost: policy.nodecost, allowedpeers: policy.allowedpeers }, (node) => {
      if (!this.host.claim(this, node)) return false;
      this.claimed = true;
      return true;
    });
    const tick = Math.max(10, Math.min(timers.heartbeatMs, Math.floor(timers.idleTimeoutMs / 4)));
    this.timer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastReceived > timers.idleTimeoutMs) {
        // Receptor: monitorConnectionAging "Timing out connection %s, idle for the past %s".
        this.host.logger.warning(`Timing out connection ${this.label}, idle for the past ${timers.idleTimeoutMs}ms`);
        this.close(`connection to ${this.label} timed out`);
        return;
      }
      if (this.state === 'up' && now - this.lastSentAt >= timers.heartbeatMs) this.sendControl(this.host.keepalive());
    }, tick);
    this.timer.unref();
    this.handshakeTimer = setTimeout(() => {
      if (this.state !== 'connecting') return;
      // sendInitialConnectMessage's text after its last try.
      this.host.logger.error('Giving up on connection initialization');
      this.close(`handshake with ${this.label} timed out`);
    }, timers.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    transport.start({
      first: (head) => this.onFirstBytes(head),
      message: (m) => this.onMessage(m),
      drain: () => undefined,
      close: (err) => this.close(err ? `connection to ${this.label} lost: ${err.message}` : `connection to ${this.label} lost`),
    });
    if (!this.finished) this.sendInitialUpdate();
  }

  /** runProtocol's sendInitialConnectMessage: our routing update now, then every initialUpdateMs until the peer answers. */
  private sendInitialUpdate(): void {
    if (this.state !== 'connecting') return;
    this.host.logger.debug('Sending initial connection message');
    this.sendControl(this.host.routingUpdate());
    this.initialTimer = setTimeout(() => this.sendInitialUpdate(), this.timers.initialUpdateMs);
    this.initialTimer.unref();
  }

  /** A stream backend's first bytes: refuse a peer that plainly speaks something else than netceptor. */
  private onFirstBytes(head: Buffer): void {
    if (this.state !== 'connecting' || head.length < 4 || this.foreignTimer) return;
    if (head[0] === 0 && head[1] === 0 && head.length < 32) return this.nameEmptyFrameLater();
    const foreign = foreignProtocol(head);
    if (foreign !== undefined) this.refuseForeign(foreign);
  }

  /**
   * 00 00 (an empty frame) may be the start of meshctl's old u32 length: give its HELLO a moment to arrive, then
   * name what the peer speaks from all its first bytes.
   */
  private nameEmptyFrameLater(): void {
    if (this.foreignTimer) return;
    this.foreignTimer = setTimeout(() => {
      this.foreignTimer = undefined;
      if (this.state !== 'connecting') return;
      this.refuseForeign(foreignProtocol(this.transport.firstBytes ?? Buffer.alloc(2)) ?? 'a zero-length netceptor frame (not netceptor, or a broken peer)');
    }, 100);
    this.foreignTimer.unref();
  }

  /** A peer that speaks `foreign`: one error line (log-text.ts foreignPeerLine), and the connection is closed. */
  private refuseForeign(foreign: string): void {
    this.host.logger.error(foreignPeerLine(this.host.nodeId, this.transport.remoteAddress, foreign));
    this.host.rejected(this, `it speaks ${foreign}`, false);
    this.close(`refused ${this.transport.remoteAddress}: it speaks ${foreign}`);
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

  /** Bytes waiting in the transport. */
  get bufferedBytes(): number {
    return this.transport.writableLength;
  }

  /** Sends a routing update, advert or reject: never dropped. */
  sendControl(message: Buffer): void {
    if (this.state === 'closed') return;
    this.lastSentAt = Date.now();
    this.transport.send(message);
  }

  /**
   * Sends a data message (ours or forwarded). Dropped when the link already holds maxQueuedBytes: datagrams
   * are unreliable, and streams over them retransmit (session.ts). Returns false when dropped.
   */
  sendData(message: Buffer): boolean {
    if (this.state !== 'up') return false;
    if (this.transport.writableLength > this.maxQueuedBytes) return false;
    this.lastSentAt = Date.now();
    this.transport.send(message);
    return true;
  }

  private onMessage(m: Buffer): void {
    if (this.state === 'closed') return;
    this.lastReceived = Date.now();
    this.received++;
    // Before the handshake an empty message is the start of a foreign protocol: onFirstBytes names and refuses it.
    if (this.state === 'connecting' && m.length === 0) return this.nameEmptyFrameLater();
    if (this.state === 'up' && m.length > 0 && m[0] === MsgType.Data) {
      this.host.data(this, m);
      return;
    }
    if (this.state === 'connecting' && this.policy.requirePeerNodeIdInCert && m[0] === MsgType.Route) {
      const problem = this.certificateProblem(m);
      if (problem !== undefined) return this.reject(problem.node, problem.reason);
    }
    const ev = this.handshake.receive(m);
    switch (ev.kind) {
      case 'established':
        this.remoteNode = ev.remote;
        this.cost = ev.cost;
        this.state = 'up';
        clearTimeout(this.handshakeTimer);
        clearTimeout(this.initialTimer);
        // runProtocol: from here on every line of the node's log names this peer, until the next one connects.
        this.host.logger.updateSuffix?.({ remote_id: ev.remote });
        this.host.logger.info(`Connection established with ${ev.remote}`);
        this.host.logger.debug('Stopping initial updates');
        this.host.up(this);
        return;
      case 'reject':
        this.remoteNode ||= ev.remote;
        return this.reject(ev.remote, ev.reason);
      case 'rejected-by-peer':
        // Receptor's text (runProtocol): the reason is in the rejecting node's own log.
        this.host.logger.warning('Received a rejection message from peer.');
        this.host.rejected(this, 'remote node rejected the connection', true);
        this.close('remote node rejected the connection');
        return;
      case 'message': {
        const msg = ev.message;
        if (msg.type === 'route') return this.host.route(this, msg);
        if (msg.type === 'advert') return this.host.advert(this, msg);
        if (msg.type === 'data') return this.host.data(this, m);
        return;
      }
      case 'ignore':
        if (this.host.logger.enabled('debug')) this.host.logger.debug(`Ignoring message from ${this.label}: ${ev.why}`);
        return;
      case 'protocol-error': {
        // Receptor would log and go on (or, on an empty message, panic); a peer that sends what is not netceptor is
        // not a receptor node: name what it speaks when we can, log at error level and close.
        const foreign = this.received === 1 && this.transport.firstBytes ? foreignProtocol(this.transport.firstBytes) : undefined;
        if (foreign !== undefined) return this.refuseForeign(foreign);
        const what = `protocol error: ${ev.error}`;
        this.host.logger.error(`${this.host.nodeId}: closing connection with ${this.label} (${this.transport.remoteAddress}) because of a ${what}`);
        this.host.rejected(this, what, false);
        this.close(`${this.label}: ${what}`);
        return;
      }
    }
  }

  private certificateProblem(m: Buffer): { node: string; reason: string } | undefined {
    let node: string;
    try {
      const d = decodeMessage(m);
      if (d.type !== 'route') return undefined;
      node = d.ForwardingNode;
    } catch {
      return undefined;
    }
    const der = this.transport.peerCertificate;
    let ids: string[] = [];
    try {
      ids = der ? nodeIdsFromCertificate(der) : [];
    } catch {
      ids = [];
    }
    if (ids.includes(node)) return undefined;
    return { node, reason: `its certificate does not carry node ID ${node} (found [${ids.join(' ')}])` };
  }

  /** Refuses the peer: a reject message, then close once it is flushed. */
  private reject(node: string, reason: string): void {
    this.remoteNode ||= node;
    // Receptor's text (sendAndLogConnectionRejection).
    this.host.logger.error(`${this.host.nodeId}: rejected connection with node ${node} because ${reason}`);
    this.host.rejected(this, reason, false);
    this.transport.send(encodeReject());
    this.stopTimers();
    const wasUp = this.state === 'up';
    this.state = 'closed';
    // Let the reject reach the socket, then close.
    setImmediate(() => {
      this.transport.end();
      this.finish(`rejected connection with node ${node} because ${reason}`, false, wasUp);
    });
  }

  private stopTimers(): void {
    clearInterval(this.timer);
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.initialTimer);
    clearTimeout(this.foreignTimer);
  }

  /** Drops the link. */
  close(reason = `connection to ${this.label} closed`, destroyTransport = true): void {
    this.finish(reason, destroyTransport, this.state === 'up');
  }

  private finish(reason: string, destroyTransport: boolean, wasUp: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.state = 'closed';
    this.stopTimers();
    if (destroyTransport) this.transport.destroy();
    const claimed = this.claimed;
    this.claimed = false;
    this.host.down(this, reason, claimed, wasUp);
    this.resolveClosed();
  }
}
