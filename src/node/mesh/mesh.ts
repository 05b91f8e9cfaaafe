// The embedded mesh of one node (docs/mesh.md): links to peers (TCP, TLS, WebSocket, UDP) speaking Receptor's
// netceptor protocol (docs/netceptor-wire.md), link-state routing, service advertisements, routed datagrams
// (ping, traceroute) and streams to services on any reachable node. The status data it exposes has Receptor's
// shapes (pkg/netceptor/netceptor.go Status).
//
// Streams: receptor carries them as QUIC over data messages (conn.go). Ours travel end to end as data messages
// too, from the dialer's ephemeral service to the service, so every hop (meshctl or receptor) forwards them as
// datagrams and applies its firewall rules to them as receptor would; a StreamSession (session.ts) makes each one
// reliable and ordered, and a Mux with one channel (mux.ts) runs the stream's flow control over it.
//
//   const mesh = new Mesh({ nodeId: 'hop' });
//   const l = await mesh.addTcpListener({ port: 0 });
//   mesh.addTcpPeer({ address: 'controller:2222' });
//   mesh.listenService('echo', (stream) => stream.pipe(stream));
//   const s = await mesh.dialService('exec1', 'control');
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { MeshctlError } from '../../errors.js';
import { formatGoDuration } from '../../protocol/duration.js';
import {
  DATA_HEADER_LENGTH,
  encodeData,
  encodeRoutingUpdate,
  encodeServiceAdvertisement,
  NameTable,
  type RoutingUpdate,
  type ServiceAdvertisement,
} from '../../protocol/netceptor/index.js';
import type { PingResult, TracerouteResult } from '../../protocol/types.js';
import { goTimeString } from '../go-time.js';
import { SilentLogger, type NodeLogger } from '../logger.js';
import { AdvertStore, nowNs, toMessage, type StoredAdvert, type WireWorkCommand } from './adverts.js';
import { Dialer } from './dialer.js';
import { errorFromProblem, MeshError, PROBLEM } from './errors.js';
import { firewallDecision, type FirewallAction, type FirewallRule, type MessageAddress } from './firewall.js';
import { Link, type LinkHost, type LinkPolicy } from './link.js';
import { advertValue, costList, goDialError, goListenAddr, routingTableLines } from './log-text.js';
import { loopbackMuxes } from './loopback.js';
import { Mux, type MuxHost, type MuxOptions } from './mux.js';
import { DEFAULT_LIMITS, DEFAULT_TIMERS, type MeshLimits, type MeshTimers } from './options.js';
import type { Port } from './port.js';
import { RoutingState } from './routing.js';
import { isQuicPacket, QuicStreams } from './quic-streams.js';
import { DEFAULT_SESSION_OPTIONS, StreamSession, type SessionEvents, type SessionIO } from './session.js';
import { MeshStream, type StreamAddress } from './stream.js';
import type { FrameTransport } from './transport/frame-transport.js';
import { dialTcp, listenTcp, splitHostPort, type LinkClientTls, type LinkServerTls } from './transport/tcp.js';
import { dialWs, listenWs } from './transport/ws.js';
import { FRAME_HEADER } from './wire/frame.js';
import { decodeMessage as decodeChannelMessage, type Datagram, type OpenInfo } from './wire/messages.js';

export type { WireWorkCommand } from './adverts.js';

export interface MeshOptions {
  nodeId: string;
  logger?: NodeLogger;
  timers?: Partial<MeshTimers>;
  limits?: Partial<MeshLimits>;
  /** Work types for the WorkCommands of adverts (Receptor: AddWorkCommand). Read on every advert/status. */
  workCommands?: () => WireWorkCommand[];
  /** Close the mesh when another node proves to own our ID (Receptor shuts down). Default true. */
  shutdownOnDuplicate?: boolean;
  /** Node `firewallrules`, parsed by parseFirewallRules (firewall.ts), checked on every datagram and stream. */
  firewall?: readonly FirewallRule[];
}

/** Receptor's `tcp-listener` / `ws-listener` parameters (ws adds `path`). */
export interface ListenerOptions {
  /** Default '0.0.0.0'. */
  bindaddr?: string;
  port: number;
  /** Default 1.0; must be > 0. */
  cost?: number;
  nodecost?: Record<string, number>;
  allowedpeers?: string[];
  tls?: LinkServerTls;
  requirePeerNodeIdInCert?: boolean;
}

/** Receptor's `udp-listener` parameters (pkg/backends/udp.go UDPListenerCfg: no TLS). */
export type UdpListenerOptions = Omit<ListenerOptions, 'tls' | 'requirePeerNodeIdInCert'>;

/** Receptor's `udp-peer` parameters (UDPDialerCfg). */
export type UdpPeerOptions = Omit<PeerOptions, 'tls' | 'requirePeerNodeIdInCert'>;

export interface WsListenerOptions extends ListenerOptions {
  /** URI path of the websocket (default '/'). */
  path?: string;
}

/** Receptor's `tcp-peer` / `ws-peer` parameters. */
export interface PeerOptions {
  /** `host:port` (tcp-peer) or `ws://host:port/path` / `wss://...` (ws-peer). */
  address: string;
  /** Keep redialling (default true). */
  redial?: boolean;
  cost?: number;
  allowedpeers?: string[];
  tls?: LinkClientTls;
  requirePeerNodeIdInCert?: boolean;
}

export interface WsPeerOptions extends PeerOptions {
  /** `Name: value` header sent with the upgrade request. */
  extraheader?: string;
}

export interface ListenerHandle {
  readonly kind: 'tcp' | 'tls' | 'ws' | 'wss' | 'udp';
  /** Bound address (port 0 resolved). */
  readonly address: net.AddressInfo;
  /** What a peer dials: `127.0.0.1:PORT` or `ws://127.0.0.1:PORT/path`. */
  readonly url: string;
  close(): Promise<void>;
}

export interface PeerHandle {
  readonly address: string;
  /** The node at the other end while connected. */
  readonly remoteNode: string | undefined;
  /** Resolves when the peer stopped for good (redial off and the link ended, or close()). */
  readonly stopped: Promise<void>;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Advertise the service (default true), as Receptor's ListenAndAdvertise. */
  advertise?: boolean;
  /** Advert tags, e.g. `{ type: 'Control Service' }`. */
  tags?: Record<string, string> | null;
  /** 1 Stream (default), 2 StreamTLS (the service expects TLS inside the stream). */
  connType?: number;
}

export interface ServiceHandle {
  readonly name: string;
  /** Stops accepting streams and withdraws the advert (open streams stay). */
  close(): void;
}

/** A stream as dialled or accepted: a StreamSession's MeshStream, or a QUIC stream with a receptor node. */
export type MeshDuplex = Duplex & { readonly local: StreamAddress; readonly remote: StreamAddress };

export type StreamHandler = (stream: MeshDuplex, from: StreamAddress) => void;

export interface DialOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The caller runs TLS inside the stream (see dialService). */
  tls?: boolean;
}

/** Receptor's Status fields for the mesh (ConnStatus, routing table, adverts, known costs). */
export interface MeshStatus {
  NodeID: string;
  Connections: { NodeID: string; Cost: number }[];
  RoutingTable: Record<string, string>;
  Advertisements: {
    NodeID: string;
    Service: string;
    Time: string;
    ConnType: number;
    Tags: Record<string, string> | null;
    WorkCommands: WireWorkCommand[] | null;
  }[];
  KnownConnectionCosts: Record<string, Record<string, number>>;
}

export interface PingOutcome {
  ok: boolean;
  /** Node that answered (the target, or the hop that reported the error; '' on timeout). */
  from: string;
  /** Round trip, nanoseconds. */
  ns: bigint;
  error?: string;
}

export interface MeshStats {
  links: number;
  connections: number;
  /** Stream channels (one per stream session, and the loopback's). */
  channels: number;
  streams: number;
  /** Always 0: a hop forwards a stream's data messages without keeping any state for it. */
  relays: number;
  /** Stream sessions (session.ts): one per stream to or from another node. */
  sessions: number;
  /** Data messages dropped by this node because a link's buffer was full (their streams retransmit). */
  dropped: number;
  /** Bytes held by the mesh for streams and links: channel queues, unread input, transport buffers. */
  bufferedBytes: number;
}

export interface MeshEvents {
  connection: [node: string, cost: number];
  disconnection: [node: string, reason: string];
  routes: [table: Record<string, string>];
  /** A dial or accepted connection that failed before a link existed (refused, TLS error...). */
  'link-error': [info: { backend: string; error: Error }];
  /** A handshake refused, by us or by the peer. */
  rejected: [info: { node: string; reason: string; byPeer: boolean }];
  /** Another node has our ID (see MeshOptions.shutdownOnDuplicate). */
  duplicate: [];
}

const RESERVED = new Set(['ping', 'unreach']);

/**
 * How long a dial to a node of unknown kind waits for any answer to its StreamSession before it tries QUIC too
 * (dialEither): several round trips on a loaded mesh, and what a first dial to a receptor node costs extra.
 */
const QUIC_FALLBACK_MS = 300;

/** How long a QUIC dialer's ephemeral service stays after its connection closed (see dialQuic). */
const QUIC_DRAIN_MS = 5_000;

/** How long a stream's session outlives the stream, so its last frames (FIN, RESET) are acknowledged. */
const SESSION_LINGER_MS = 5_000;

/** One stream to or from another node: its session and the Mux (one channel) over it. */
interface SessionEntry {
  session: StreamSession;
  mux: Mux;
  /** remote node, remote service, local service. */
  key: string;
  remoteNode: string;
  remoteService: string;
  localService: string;
  /** Something arrived from the peer: unreachable notices other than a refusal no longer end it. */
  heard: boolean;
  dialer: boolean;
  linger?: NodeJS.Timeout;
}

function sessionKey(remoteNode: string, remoteService: string, localService: string): string {
  return `${remoteNode}\0${remoteService}\0${localService}`;
}

/** A service name as receptor reads it from a data message: 8 bytes, NULs on the right stripped. */
function fixedString(b: Buffer, at: number): string {
  let end = at + 8;
  while (end > at && b[end - 1] === 0) end--;
  return b.toString('utf8', at, end);
}

interface DatagramListener {
  data(d: Datagram): void;
  unreachable(problem: string, from: string): void;
}

function positiveCost(cost: number | undefined, what: string): number {
  const c = cost ?? 1;
  // Receptor's Prepare(): "connection cost must be positive".
  if (!(c > 0)) throw new MeshctlError('EBADCONFIG', `${what}: connection cost must be positive`, { hint: 'set cost to a number above 0' });
  return c;
}

function checkNodecost(nodecost: Record<string, number> | undefined, what: string): void {
  for (const [node, c] of Object.entries(nodecost ?? {})) {
    if (!(c > 0)) throw new MeshctlError('EBADCONFIG', `${what}: connection cost must be positive for ${node}`, { hint: 'set every nodecost above 0' });
  }
}

/** Receptor: "Error creating listener %s: %s". */
function listenError(what: string, host: string, port: number, err: Error): MeshctlError {
  const code = (err as NodeJS.ErrnoException).code;
  return new MeshctlError('EBADCONFIG', `${what}: error creating listener ${host}:${port}: ${code ?? err.message}`, {
    cause: err,
    hint: code === 'EADDRINUSE' ? 'another process listens on that port; pick another port' : 'check bindaddr and port',
  });
}

function randomService(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  for (const b of randomBytes(8)) s += letters[b % letters.length];
  return s;
}

export class Mesh extends EventEmitter<MeshEvents> {
  readonly nodeId: string;
  readonly logger: NodeLogger;
  readonly timers: MeshTimers;
  readonly limits: MeshLimits;
  private readonly routing: RoutingState;
  private readonly adverts = new AdvertStore();
  private readonly links = new Set<Link>();
  /** Node ID → the link that claimed it (up or handshaking). */
  private readonly connections = new Map<string, Link>();
  private readonly services = new Map<string, { handler: StreamHandler; options: Required<ServiceOptions> }>();
  private readonly datagramListeners = new Map<string, DatagramListener>();
  private readonly streams = new Set<MeshStream>();
  private readonly names: NameTable;
  /** Stream sessions by sessionKey, and by the Mux running over each. */
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly sessionByMux = new Map<Mux, SessionEntry>();
  private droppedData = 0;
  /** The routing update we flooded last (keepalives resend it: see LinkHost.keepalive). */
  private lastUpdate: Buffer | undefined;
  /** Ids of stream sessions that ended recently, and until when (ms) their segments are not taken as new. */
  private readonly closedSessions = new Map<string, number>();
  /** Which stream protocol each remote node answered: StreamSessions (meshctl) or only QUIC (receptor). */
  private readonly streamKinds = new Map<string, 'session' | 'quic'>();
  private readonly quicStreams: QuicStreams;
  private readonly quicDuplexes = new Set<MeshDuplex>();
  private readonly listenerHandles = new Set<ListenerHandle>();
  private readonly dialers = new Set<Dialer>();
  private readonly muxOptions: MuxOptions;
  private readonly sessionOptions: typeof DEFAULT_SESSION_OPTIONS;
  private readonly sessionMuxOptions: MuxOptions;
  private readonly muxHost: MuxHost;
  private readonly loop: [Mux, Mux];
  private readonly intervals: NodeJS.Timeout[] = [];
  private floodTimer: NodeJS.Timeout | undefined;
  private recalcTimer: NodeJS.Timeout | undefined;
  private recalcWaiters: (() => void)[] = [];
  private adTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly workCommands: () => WireWorkCommand[];
  private readonly firewall: readonly FirewallRule[];

  constructor(options: MeshOptions) {
    super();
    if (options.nodeId === '') throw new MeshctlError('EBADCONFIG', 'mesh node ID must not be empty', { hint: 'set node id' });
    this.nodeId = options.nodeId;
    this.logger = options.logger ?? new SilentLogger();
    // netceptor.New: every line of the node's logger names the node (pkg/logger appendSuffix).
    this.logger.setSuffix?.({ node_id: this.nodeId });
    this.timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.workCommands = options.workCommands ?? (() => []);
    this.firewall = options.firewall ?? [];
    this.routing = new RoutingState(this.nodeId);
    this.names = new NameTable(this.nodeId);
    this.quicStreams = new QuicStreams({
      logger: this.logger,
      timers: { idleTimeoutMs: this.timers.streamIdleTimeoutMs, keepaliveMs: this.timers.streamKeepaliveMs },
      send: (localService, node, service, payload) => this.sendFrom(localService, node, service, payload),
    });
    this.muxOptions = {
      window: this.limits.streamWindow,
      maxDataFrame: this.limits.maxDataFrame,
      writeBufferBytes: this.limits.linkWriteBuffer,
      maxControlQueueBytes: this.limits.maxControlQueueBytes,
    };
    this.sessionOptions = {
      ...DEFAULT_SESSION_OPTIONS,
      keepaliveMs: this.timers.streamKeepaliveMs,
      idleTimeoutMs: this.timers.streamIdleTimeoutMs,
    };
    // session.ts: the Mux must stop on write()'s false (and wait for drain), not poll on writableLength.
    this.sessionMuxOptions = { ...this.muxOptions, writeBufferBytes: Math.max(this.muxOptions.writeBufferBytes, this.sessionOptions.maxInFlightBytes) };
    this.muxHost = { onOpen: (mux, port, info) => this.onOpen(mux, port, info) };
    this.loop = loopbackMuxes(this.muxOptions, this.muxHost);
    const every = (ms: number, f: () => void): void => {
      const t = setInterval(f, ms);
      t.unref();
      this.intervals.push(t);
    };
    every(this.timers.routeUpdateIntervalMs, () => this.sendRouteUpdate());
    every(this.timers.serviceAdIntervalMs, () => this.sendOwnAdverts());
    every(Math.max(1000, this.timers.seenUpdateExpireMs / 2), () => this.routing.expireSeen(Date.now(), this.timers.seenUpdateExpireMs));
    const shutdownOnDuplicate = options.shutdownOnDuplicate ?? true;
    this.on('duplicate', () => {
      if (shutdownOnDuplicate) void this.close();
    });
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  // ---------------------------------------------------------------- backends

  async addTcpListener(o: ListenerOptions): Promise<ListenerHandle> {
    this.assertOpen();
    const policy = this.listenerPolicy(o, 'tcp-listener');
    const host = o.bindaddr ?? '0.0.0.0';
    const server = await listenTcp({ host, port: o.port, tls: o.tls }, this.acceptHandlers(policy, `tcp-listener ${host}:${o.port}`)).catch((err: Error) => {
      throw listenError('tcp-listener', host, o.port, err);
    });
    const a = server.address;
    const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    // pkg/backends/tcp.go TCPListener.Start (TLS listeners too).
    this.logger.debug(`Listening on TCP ${goListenAddr(host, a.port)}`);
    return this.trackListener({ kind: o.tls ? 'tls' : 'tcp', address: a, url: `${h}:${a.port}`, close: () => server.close() });
  }

  async addWsListener(o: WsListenerOptions): Promise<ListenerHandle> {
    this.assertOpen();
    const policy = this.listenerPolicy(o, 'ws-listener');
    const host = o.bindaddr ?? '0.0.0.0';
    const path = o.path ?? '/';
    const server = await listenWs({ host, port: o.port, path, tls: o.tls }, this.acceptHandlers(policy, `ws-listener ${host}:${o.port}`)).catch((err: Error) => {
      throw listenError('ws-listener', host, o.port, err);
    });
    const a = server.address;
    const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    const scheme = o.tls ? 'wss' : 'ws';
    // pkg/backends/websockets.go WebsocketListener.Start.
    this.logger.debug(`Listening on Websocket ${goListenAddr(host, a.port)} path ${path}`);
    return this.trackListener({ kind: scheme, address: a, url: `${scheme}://${h}:${a.port}${path.startsWith('/') ? path : `/${path}`}`, close: () => server.close() });
  }

  addTcpPeer(o: PeerOptions): PeerHandle {
    this.assertOpen();
    const policy = this.peerPolicy(o, 'tcp-peer');
    try {
      splitHostPort(o.address);
    } catch (err) {
      throw new MeshctlError('EBADCONFIG', `tcp-peer: ${(err as Error).message}`, { hint: 'use HOST:PORT' });
    }
    // pkg/backends/tcp.go TCPDialerCfg.Run and TCPDialer.Start.
    this.logger.debug(`Running TCP peer connection ${o.address}`);
    return this.startDialer(o, policy, async (signal) => {
      let t: FrameTransport;
      try {
        t = await dialTcp({ address: o.address, tls: o.tls, signal, timeoutMs: this.timers.dialTimeoutMs });
      } catch (err) {
        // dialerSession logs Go's dial error ("dial tcp ADDR: connect: connection refused").
        const e = err as Error;
        const cause = (e as { cause?: unknown }).cause;
        const text = goDialError(o.address, (e as NodeJS.ErrnoException).code === undefined && cause instanceof Error ? cause : e);
        throw text === e.message ? e : Object.assign(new Error(text, { cause: e }), { code: (e as NodeJS.ErrnoException).code });
      }
      this.logger.debug(`TCPDialer connected to TCP ${o.address} Address ${t.remoteAddress}`);
      return t;
    });
  }

  addWsPeer(o: WsPeerOptions): PeerHandle {
    this.assertOpen();
    const policy = this.peerPolicy(o, 'ws-peer');
    let u: URL;
    try {
      u = new URL(o.address);
    } catch (err) {
      throw new MeshctlError('EBADCONFIG', `ws-peer: address ${o.address} is not a valid URL: ${(err as Error).message}`, { hint: 'use ws://HOST:PORT/PATH or wss://...' });
    }
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
      throw new MeshctlError('EBADCONFIG', `ws-peer: address ${o.address} is not a ws:// or wss:// URL`, { hint: 'use ws://HOST:PORT/PATH or wss://...' });
    }
    if (o.extraheader !== undefined && o.extraheader !== '' && !o.extraheader.includes(':')) {
      // Receptor's WebsocketDialerCfg.Prepare text.
      throw new MeshctlError('EBADCONFIG', 'ws-peer: extra header must be in the form key:value', { hint: 'e.g. extraheader: "Authorization: Bearer x"' });
    }
    // pkg/backends/websockets.go WebsocketDialerCfg.Run.
    this.logger.debug(`Running Websocket peer connection ${o.address}`);
    return this.startDialer(o, policy, (signal) =>
      dialWs({ url: o.address, tls: o.tls, signal, timeoutMs: this.timers.dialTimeoutMs, ...(o.extraheader ? { extraHeader: o.extraheader } : {}) }),
    );
  }

  async addUdpListener(o: UdpListenerOptions): Promise<ListenerHandle> {
    this.assertOpen();
    const policy = this.listenerPolicy(o, 'udp-listener');
    const host = o.bindaddr ?? '0.0.0.0';
    // Loaded on first use: most nodes have no UDP backend.
    const { listenUdp } = await import('./transport/udp.js');
    const server = await listenUdp({ host, port: o.port }, this.acceptHandlers(policy, `udp-listener ${host}:${o.port}`)).catch((err: Error) => {
      throw listenError('udp-listener', host, o.port, err);
    });
    const a = server.address;
    const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    // pkg/backends/udp.go UDPListener.Start.
    this.logger.debug(`Listening on UDP ${goListenAddr(host, a.port)}`);
    return this.trackListener({ kind: 'udp', address: a, url: `${h}:${a.port}`, close: () => server.close() });
  }

  addUdpPeer(o: UdpPeerOptions): PeerHandle {
    this.assertOpen();
    const policy = this.peerPolicy(o, 'udp-peer');
    try {
      splitHostPort(o.address);
    } catch (err) {
      throw new MeshctlError('EBADCONFIG', `udp-peer: ${(err as Error).message}`, { hint: 'use HOST:PORT' });
    }
    // pkg/backends/udp.go UDPDialerCfg.Run.
    this.logger.debug(`Running UDP peer connection ${o.address}`);
    return this.startDialer(o, policy, async (signal) => {
      const { dialUdp } = await import('./transport/udp.js');
      return dialUdp({ address: o.address, signal, timeoutMs: this.timers.dialTimeoutMs });
    });
  }

  /** Runs a link over an already connected transport (for custom backends and tests). */
  attach(transport: FrameTransport, dialer: boolean, policy: LinkPolicy): Link {
    const mesh = this;
    const host: LinkHost = {
      nodeId: this.nodeId,
      logger: this.logger,
      routingUpdate: () => encodeRoutingUpdate(this.makeRouteUpdate()),
      keepalive: () => this.lastUpdate ?? encodeRoutingUpdate(this.makeRouteUpdate()),
      claim: (link, node) => {
        const cur = this.connections.get(node);
        if (cur && !cur.isClosed) return false;
        this.connections.set(node, link);
        return true;
      },
      up: (link) => mesh.linkUp(link),
      down: (link, reason, claimed, wasUp) => mesh.linkDown(link, reason, claimed, wasUp),
      rejected: (link, reason, byPeer) => this.emit('rejected', { node: link.remoteNode, reason, byPeer }),
      route: (link, u) => mesh.onRoute(link, u),
      advert: (link, a) => mesh.onAdvert(link, a),
      data: (_link, m) => mesh.onData(m),
    };
    const link = new Link(transport, dialer, policy, this.timers, this.limits.maxControlQueueBytes, host);
    if (!link.isClosed) this.links.add(link);
    if (this.closing) link.close('mesh closed');
    return link;
  }

  private listenerPolicy(o: ListenerOptions, what: string): LinkPolicy {
    const cost = positiveCost(o.cost, what);
    checkNodecost(o.nodecost, what);
    return { cost, nodecost: o.nodecost, allowedpeers: o.allowedpeers, requirePeerNodeIdInCert: o.requirePeerNodeIdInCert };
  }

  private peerPolicy(o: PeerOptions, what: string): LinkPolicy {
    return { cost: positiveCost(o.cost, what), allowedpeers: o.allowedpeers, requirePeerNodeIdInCert: o.requirePeerNodeIdInCert };
  }

  private acceptHandlers(policy: LinkPolicy, label: string): Parameters<typeof listenTcp>[1] {
    return {
      connection: (t) => {
        if (this.closing) t.destroy();
        else this.attach(t, false, policy);
      },
      error: (err, remote) => {
        this.logger.error(`Error accepting connection on ${label} from ${remote}: ${err.message}`);
        this.emit('link-error', { backend: label, error: err });
      },
    };
  }

  private trackListener(h: ListenerHandle): ListenerHandle {
    const handle: ListenerHandle = {
      ...h,
      close: async () => {
        this.listenerHandles.delete(handle);
        await h.close();
      },
    };
    this.listenerHandles.add(handle);
    return handle;
  }

  private startDialer(o: PeerOptions, policy: LinkPolicy, dial: (signal: AbortSignal) => Promise<FrameTransport>): PeerHandle {
    const dialer = new Dialer({
      label: o.address,
      redial: o.redial ?? true,
      initialDelayMs: this.timers.redialDelayMs,
      maxDelayMs: this.timers.redialMaxDelayMs,
      dial,
      attach: (t) => this.attach(t, true, policy),
      logger: this.logger,
      onError: (error) => this.emit('link-error', { backend: o.address, error }),
    });
    this.dialers.add(dialer);
    void dialer.done.then(() => this.dialers.delete(dialer));
    return {
      address: o.address,
      get remoteNode() {
        const l = dialer.link;
        return l?.isUp ? l.remoteNode : undefined;
      },
      stopped: dialer.done,
      close: () => dialer.close(),
    };
  }

  // ---------------------------------------------------------------- links and routing

  private linkUp(link: Link): void {
    // runProtocol: the peer's name hash is known from the moment the connection is established.
    this.names.add(link.remoteNode);
    this.routing.connect(link.remoteNode, link.cost);
    this.scheduleFlood(0);
    this.scheduleRecalc();
    // Bring the newcomer up to date with every advert we know (Receptor waits for the next 60 s round; an advert
    // it already has is simply not news to it).
    for (const a of this.adverts.entries()) link.sendControl(encodeServiceAdvertisement(toMessage(a)));
    this.emit('connection', link.remoteNode, link.cost);
  }

  private linkDown(link: Link, reason: string, claimed: boolean, wasUp: boolean): void {
    this.links.delete(link);
    if (claimed && this.connections.get(link.remoteNode) === link) this.connections.delete(link.remoteNode);
    if (!wasUp) {
      this.logger.debug(`Connection with ${link.label} closed before the handshake completed: ${reason}`);
      return;
    }
    this.routing.disconnect(link.remoteNode);
    this.scheduleFlood(0);
    this.scheduleRecalc();
    this.logger.info(`Connection with ${link.remoteNode} closed: ${reason}`);
    this.emit('disconnection', link.remoteNode, reason);
  }

  /** Links that finished the handshake, by node ID. */
  private upConnections(): Map<string, Link> {
    const out = new Map<string, Link>();
    for (const [node, link] of this.connections) if (link.isUp) out.set(node, link);
    return out;
  }

  private scheduleFlood(extraDelay: number): void {
    if (this.closing || this.floodTimer) return;
    this.floodTimer = setTimeout(() => {
      this.floodTimer = undefined;
      this.sendRouteUpdate();
    }, this.timers.routeFloodDelayMs + extraDelay);
  }

  private scheduleRecalc(): void {
    if (this.closing || this.recalcTimer) return;
    this.recalcTimer = setTimeout(() => {
      this.recalcTimer = undefined;
      const waiting = this.recalcWaiters;
      this.recalcWaiters = [];
      queueMicrotask(() => {
        for (const w of waiting) w();
      });
      // updateRoutingTable: the debug line, then printRoutingTable's info lines, on every run.
      this.logger.debug('Re-calculating routing table');
      const changed = this.routing.recompute();
      if (this.logger.enabled('info')) for (const l of routingTableLines(this.routing.costs, this.routing.table)) this.logger.info(l);
      if (changed) this.emit('routes', Object.fromEntries(this.routing.table));
    }, this.timers.routeRecalcDelayMs);
  }

  /** makeRoutingUpdate: our established connections and their costs, with the next sequence number. */
  private makeRouteUpdate(suspectedDuplicate = 0n): RoutingUpdate {
    const costs = new Map<string, number>();
    for (const [node, link] of this.upConnections()) costs.set(node, link.cost);
    return this.routing.makeUpdate(costs, suspectedDuplicate);
  }

  /** sendRoutingUpdate: our connections to every neighbour (nothing when we have none). */
  private sendRouteUpdate(suspectedDuplicate = 0n): void {
    if (this.closing) return;
    const up = this.upConnections();
    if (up.size === 0) return;
    const update = this.makeRouteUpdate(suspectedDuplicate);
    // Built only when it is logged: an idle mesh sends and forwards these all the time.
    const conns = (): string => costList(Object.entries(update.Connections)).join(' ');
    if (suspectedDuplicate !== 0n) this.logger.warning(`Sending duplicate node notification ${update.UpdateID}. Connections: ${conns()}`);
    else if (this.logger.enabled('debug')) this.logger.debug(`Sending routing update ${update.UpdateID}. Connections: ${conns()}`);
    const msg = encodeRoutingUpdate(update);
    this.lastUpdate = msg;
    for (const link of up.values()) link.sendControl(msg);
  }

  private onRoute(link: Link, u: RoutingUpdate): void {
    // The ForwardingNode and cost checks are the link's (LinkHandshake, receptor's runProtocol).
    const r = this.routing.handle(u, Date.now());
    if (r.weAreDuplicate) {
      this.logger.error(`We are a duplicate node with ID ${this.nodeId} and epoch ${this.routing.epoch}.  Shutting down.`);
      this.emit('duplicate');
      return;
    }
    if (r.suspectEpoch !== undefined) {
      this.logger.error(`Duplicate node ID ${this.nodeId} detected via ${link.remoteNode}`);
      this.sendRouteUpdate(r.suspectEpoch);
      return;
    }
    if (r.forward) {
      // handleRoutingUpdate: the origin's name hash is learnt with its first accepted update.
      this.names.add(u.NodeID);
      // handleRoutingUpdate logs each update it has not seen before.
      if (u.SuspectedDuplicate !== 0n) {
        this.logger.warning(`Node ${u.NodeID} with epoch ${u.UpdateEpoch} sent update ${u.UpdateID} suspecting a duplicate node with epoch ${u.SuspectedDuplicate}`);
      } else if (this.logger.enabled('debug')) {
        this.logger.debug(`Received routing update ${u.UpdateID} from ${u.NodeID} via ${link.remoteNode}`);
      }
    }
    if (r.newNode) this.scheduleFlood(0);
    if (r.changed) this.scheduleRecalc();
    if (r.forward) {
      const copy = encodeRoutingUpdate({ ...u, ForwardingNode: this.nodeId });
      for (const [node, l] of this.upConnections()) if (node !== link.remoteNode) l.sendControl(copy);
    }
  }

  /**
   * A node already in KnownConnectionCosts whose route is being recomputed (routeRecalcDelayMs after its routing
   * update arrived): wait for that recompute instead of failing with `no route to node`. A client that waits for a
   * node to appear in `status` KnownConnectionCosts and then submits work to it (receptorctl's own test suite does)
   * would otherwise fall in that window now and then.
   */
  private routesSettled(node: string): Promise<void> {
    if (!this.recalcTimer || !this.routing.costs.has(node)) return Promise.resolve();
    return new Promise((resolve) => this.recalcWaiters.push(resolve));
  }

  /** The link to use toward `node`, if it is reachable. */
  private nextLink(node: string): Link | undefined {
    const hop = this.routing.table.get(node);
    if (hop === undefined) return undefined;
    const link = this.connections.get(hop);
    return link?.isUp ? link : undefined;
  }

  // ---------------------------------------------------------------- adverts

  private onAdvert(link: Link, a: ServiceAdvertisement): void {
    if (this.logger.enabled('debug')) this.logger.debug(`Received service advertisement from ${a.NodeID}`);
    if (a.NodeID === this.nodeId) return;
    if (!this.adverts.apply(a)) return;
    const msg = encodeServiceAdvertisement(a);
    for (const [node, l] of this.upConnections()) if (node !== link.remoteNode) l.sendControl(msg);
  }

  private ownAdvert(name: string, o: Required<ServiceOptions>): StoredAdvert {
    const wc = this.workCommands();
    return {
      NodeID: this.nodeId,
      Service: name,
      timeNs: nowNs(),
      ConnType: o.connType,
      Tags: o.tags,
      // sendServiceAds: only control services carry the work commands.
      WorkCommands: o.tags?.type === 'Control Service' && wc.length > 0 ? wc : null,
    };
  }

  private scheduleAdverts(): void {
    if (this.closing || this.adTimer) return;
    this.adTimer = setTimeout(() => {
      this.adTimer = undefined;
      this.sendOwnAdverts();
    }, this.timers.serviceAdDelayMs);
  }

  /** sendServiceAds: re-stamps and floods the adverts of our advertised services. */
  private sendOwnAdverts(): void {
    if (this.closing) return;
    const up = this.upConnections();
    for (const [name, s] of this.services) {
      if (!s.options.advertise) continue;
      const own = this.ownAdvert(name, s.options);
      // sendServiceAd logs each advert it floods, connected or not.
      if (this.logger.enabled('debug')) this.logger.debug(`Sending service advertisement: ${advertValue(own)}`);
      const msg = toMessage(own);
      this.adverts.apply(msg);
      const wire = encodeServiceAdvertisement(msg);
      for (const l of up.values()) l.sendControl(wire);
    }
  }

  private withdrawAdvert(name: string, o: Required<ServiceOptions>): void {
    const msg = toMessage(this.ownAdvert(name, o), true);
    this.adverts.apply(msg);
    const wire = encodeServiceAdvertisement(msg);
    for (const l of this.upConnections().values()) l.sendControl(wire);
  }

  // ---------------------------------------------------------------- services and streams

  /** Accepts streams for `name` on this node and (by default) advertises it. */
  listenService(name: string, handler: StreamHandler, options: ServiceOptions = {}): ServiceHandle {
    this.assertOpen();
    if (name === '') throw new MeshError('EINVALID', 'service name must not be empty');
    // conn.go listen: the name must fit the 8-byte service field of a data message.
    if (Buffer.byteLength(name) > 8) throw new MeshError('EINVALID', `service name ${name} too long`);
    if (RESERVED.has(name)) throw new MeshError('EINVALID', `service ${name} is reserved`);
    // Receptor's ListenAndAdvertise text.
    if (this.services.has(name)) throw new MeshError('EINVALID', `service ${name} is already listening`);
    const o: Required<ServiceOptions> = { advertise: options.advertise ?? true, tags: options.tags ?? null, connType: options.connType ?? 1 };
    const entry = { handler, options: o };
    this.services.set(name, entry);
    // pkg/netceptor/conn.go listen.
    this.logger.debug(`${this.nodeId} added service ${name} to listener registry`);
    if (o.advertise) {
      this.adverts.apply(toMessage(this.ownAdvert(name, o)));
      this.scheduleAdverts();
    }
    return {
      name,
      close: () => {
        if (this.services.get(name) !== entry) return;
        this.services.delete(name);
        if (o.advertise && !this.closing) this.withdrawAdvert(name, o);
      },
    };
  }

  /**
   * Opens a stream to `service` on `node` ('localhost' = this node). Rejects with a MeshError:
   * `no route to node`, `service unknown`, `message expired`, `timeout`, or the reason a hop gave.
   * `tls`: whether the caller will run TLS inside the stream (Receptor's DialContext takes the TLS
   * config); false to a service that takes TLS fails with `insecure connection to secure service`.
   * Undefined: not said, not checked.
   */
  async dialService(node: string, service: string, options: DialOptions = {}): Promise<MeshDuplex> {
    this.assertOpen();
    const target = node.toLowerCase() === 'localhost' ? this.nodeId : node;
    const fromService = this.ephemeralService();
    const info: OpenInfo = {
      fromNode: this.nodeId,
      fromService,
      toNode: target,
      toService: service,
      hopsToLive: this.limits.maxForwardingHops,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    };
    // handleMessageData runs the rules on the messages a node sends too.
    const blocked = this.streamFirewall(info);
    if (blocked === 'reject') throw new MeshError('EBLOCKED', PROBLEM.rejected);
    if (blocked === 'drop') {
      // Nothing leaves: the dial waits out its timeout, as it would for a drop further on.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, options.timeoutMs ?? this.timers.openTimeoutMs);
        options.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (options.signal?.aborted) throw new MeshError('ETIMEOUT', 'dial cancelled');
      throw new MeshError('ETIMEOUT', PROBLEM.timeout);
    }
    if (target !== this.nodeId) {
      if (!this.nextLink(target)) await this.routesSettled(target);
      if (!this.nextLink(target)) throw new MeshError('ENOROUTE', PROBLEM.noRoute);
      // Receptor's SendMessageWithHopsToLive refuses service names longer than its 8-byte field.
      if (Buffer.byteLength(service) > 8) throw new MeshError('EINVALID', 'service name too long');
      const kind = this.streamKinds.get(target);
      // A node not yet known to run StreamSessions may be a receptor (QUIC only): race the two (dialEither).
      if (kind === undefined && this.quicStreams.unavailable === undefined) return this.dialEither(target, service, info, options);
      // A node that stops answering the way it did (replaced by the other program under its name): race again next time.
      const forget = (err: unknown): never => {
        if (err instanceof MeshError && err.kind === 'ETIMEOUT' && !options.signal?.aborted) this.streamKinds.delete(target);
        throw err;
      };
      if (kind === 'quic') return this.dialQuic(target, service, options).catch(forget);
      return this.dialMux(target, service, info, options).catch(forget);
    }
    return this.dialMux(target, service, info, options);
  }

  /**
   * Dials a node whose stream protocol is not known yet: a StreamSession first (a meshctl node answers at once);
   * when nothing at all has come back after QUIC_FALLBACK_MS, QUIC as well (a receptor's QUIC listener drops our
   * segments without a word). The first stream wins, the other dial is given up, and the node's kind is
   * remembered. A refusal of the session (service unknown, blocked, no route) is the answer: no QUIC then.
   */
  private async dialEither(target: string, service: string, info: OpenInfo, options: DialOptions): Promise<MeshDuplex> {
    const sessionAbort = new AbortController();
    const onAbort = (): void => sessionAbort.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let entry: SessionEntry | undefined;
    let quicLocal: string | undefined;
    let done = false;
    const viaSession = this.dialMux(target, service, info, { ...options, signal: sessionAbort.signal }, (e) => (entry = e));
    const viaQuic = new Promise<MeshDuplex>((resolve, reject) => {
      const t = setTimeout(() => {
        if (done || entry?.heard || sessionAbort.signal.aborted) return reject(new Error('not needed'));
        quicLocal = this.ephemeralService();
        this.dialQuic(target, service, options, quicLocal).then(resolve, reject);
      }, QUIC_FALLBACK_MS);
      t.unref();
      viaSession.then(
        () => clearTimeout(t),
        (err: unknown) => {
          // A definite answer from the far node ends the race; only silence (timeout) leaves it to QUIC.
          if (!(err instanceof MeshError && err.kind === 'ETIMEOUT') || quicLocal === undefined) {
            clearTimeout(t);
            reject(new Error('not needed'));
          }
        },
      );
    });
    try {
      const winner = await Promise.any([viaSession.then((s) => ({ s, kind: 'session' as const })), viaQuic.then((s) => ({ s, kind: 'quic' as const }))]);
      done = true;
      this.streamKinds.set(target, winner.kind);
      if (winner.kind === 'quic') sessionAbort.abort();
      else if (quicLocal !== undefined) this.quicStreams.abandon(target, service, quicLocal);
      return winner.s;
    } catch (err) {
      done = true;
      const errors = (err as AggregateError).errors ?? [err];
      const fromQuic = errors[1] as Error;
      const fromSession = errors[0] as Error;
      throw quicLocal !== undefined && fromQuic instanceof Error && fromQuic.message !== 'not needed' && fromSession instanceof MeshError && fromSession.kind === 'ETIMEOUT'
        ? fromQuic
        : fromSession;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** A QUIC stream to `service` on `target` (receptor's conn.go Dial), as a MeshDuplex. */
  private async dialQuic(target: string, service: string, options: DialOptions, local = this.ephemeralService()): Promise<MeshDuplex> {
    this.names.add(target);
    const listener: DatagramListener = {
      data: (d) => {
        if (d.fromNode === target && d.fromService === service) this.quicStreams.receive(target, service, local, d.data);
      },
      unreachable: () => this.quicStreams.abandon(target, service, local),
    };
    this.datagramListeners.set(local, listener);
    // The ephemeral service outlives the connection a little: the peer's last packets (its ACKs and CONNECTION_CLOSE
    // after ours) would otherwise be answered with `service unknown`, which receptor logs as a warning each time.
    const forgetLocal = (): void => {
      setTimeout(() => {
        if (this.datagramListeners.get(local) === listener) this.datagramListeners.delete(local);
      }, QUIC_DRAIN_MS).unref();
    };
    const timeoutMs = options.timeoutMs ?? this.timers.openTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => this.quicStreams.abandon(target, service, local);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const d = await Promise.race([
        this.quicStreams.dial(target, service, local, forgetLocal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new MeshError('ETIMEOUT', PROBLEM.timeout)), timeoutMs);
        }),
      ]);
      return this.adoptQuicStream(d, { node: this.nodeId, service: local }, { node: target, service });
    } catch (err) {
      this.quicStreams.abandon(target, service, local);
      forgetLocal();
      if (options.signal?.aborted) throw new MeshError('ETIMEOUT', 'dial cancelled', { cause: err });
      throw err instanceof MeshError ? err : new MeshError('ETIMEOUT', (err as Error).message, { cause: err });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private adoptQuicStream(d: Duplex, local: StreamAddress, remote: StreamAddress): MeshDuplex {
    const s = Object.assign(d, { local, remote }) as MeshDuplex;
    this.quicDuplexes.add(s);
    s.once('close', () => this.quicDuplexes.delete(s));
    return s;
  }

  /** A stream over a Mux: the loopback for this node, else a new StreamSession. */
  private async dialMux(target: string, service: string, info: OpenInfo, options: DialOptions, onSession?: (e: SessionEntry) => void): Promise<MeshStream> {
    const fromService = info.fromService;
    let mux: Mux;
    let entry: SessionEntry | undefined;
    if (target === this.nodeId) {
      mux = this.loop[0];
    } else {
      entry = this.openSession(target, service, fromService);
      onSession?.(entry);
      mux = entry.mux;
    }
    const { port, accepted } = mux.open(info);
    const timeoutMs = options.timeoutMs ?? this.timers.openTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => port.reset('dial cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([
        accepted,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            port.reset(PROBLEM.timeout);
            reject(new MeshError('ETIMEOUT', PROBLEM.timeout));
          }, timeoutMs);
        }),
      ]);
    } catch (err) {
      if (entry) this.lingerSession(entry);
      if (options.signal?.aborted) throw new MeshError('ETIMEOUT', 'dial cancelled', { cause: err });
      const e = err instanceof MeshError ? err : errorFromProblem((err as Error).message);
      // conn.go MonitorUnreachable, on the unreach message a remote node sends for an unknown service.
      if (e.kind === 'ESERVICEUNKNOWN' && target !== this.nodeId) this.logger.warning(`remote service ${service} to node ${target} is unreachable`);
      throw e;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    return this.adoptStream(new MeshStream(port, { node: this.nodeId, service: fromService }, { node: target, service }, this.limits.streamWriteBuffer), entry);
  }

  private adoptStream(s: MeshStream, entry?: SessionEntry): MeshStream {
    this.streams.add(s);
    s.once('close', () => {
      this.streams.delete(s);
      if (entry) this.lingerSession(entry);
    });
    return s;
  }

  // ---------------------------------------------------------------- stream sessions

  /** A datagram of a stream (session segment or QUIC packet) from our `localService` to `service` on `node`. */
  private sendFrom(localService: string, node: string, service: string, data: Buffer): void {
    this.trySend({ fromNode: this.nodeId, fromService: localService, toNode: node, toService: service, hopsToLive: this.limits.maxForwardingHops, data });
  }

  /** A session whose frames run a Mux; `start` makes the session once the Mux exists (frames may arrive at once). */
  private addSession(
    remoteNode: string,
    remoteService: string,
    localService: string,
    dialer: boolean,
    start: (io: SessionIO, events: SessionEvents) => StreamSession | undefined,
  ): SessionEntry | undefined {
    const key = sessionKey(remoteNode, remoteService, localService);
    const entry = { key, remoteNode, remoteService, localService, heard: false, dialer } as SessionEntry;
    const events = {
      message: (frame: Buffer) => {
        entry.heard = true;
        let m;
        try {
          m = decodeChannelMessage({ type: frame[4]!, payload: frame.subarray(FRAME_HEADER) });
        } catch (err) {
          entry.session.reset(`protocol error: ${(err as Error).message}`);
          return;
        }
        entry.mux.receive(m);
      },
      drain: () => entry.mux.drained(),
      dead: (reason: string) => this.dropSession(entry, reason),
    };
    const session = start({ send: (payload) => this.sendFrom(localService, remoteNode, remoteService, payload) }, events);
    if (!session) return undefined;
    entry.session = session;
    entry.mux = new Mux(session, dialer, this.sessionMuxOptions, dialer ? { onOpen: (m, port) => m.refuse(port, 'unexpected open') } : this.muxHost);
    this.sessions.set(key, entry);
    this.sessionByMux.set(entry.mux, entry);
    return entry;
  }

  private openSession(remoteNode: string, remoteService: string, localService: string): SessionEntry {
    this.names.add(remoteNode);
    const entry = this.addSession(remoteNode, remoteService, localService, true, (io, events) => StreamSession.open(io, events, this.sessionOptions))!;
    // The dialer's ephemeral service hears the peer's segments and the unreachable notices about them.
    this.datagramListeners.set(localService, {
      data: (d) => {
        if (d.fromNode !== remoteNode || d.fromService !== remoteService) return;
        if (StreamSession.sessionIdOf(d.data) !== entry.session.id) return;
        entry.session.receive(d.data);
      },
      unreachable: (problem) => {
        // A refusal ends the stream at once; other notices (a route still converging) only before the peer answered:
        // later, the session's retransmissions and idle timer decide (as QUIC's do in receptor).
        if (problem === PROBLEM.serviceUnknown || problem === PROBLEM.rejected || !entry.heard) {
          entry.mux.close(problem);
          entry.session.close();
        }
      },
    });
    return entry;
  }

  /** A segment for one of our stream services (`d.toService` is listening). */
  private onStreamSegment(d: Datagram): void {
    const key = sessionKey(d.fromNode, d.fromService, d.toService);
    const id = StreamSession.sessionIdOf(d.data);
    if (id === undefined) {
      // QUIC (first byte has 0x40 set): a receptor node's service connection (conn.go), stage 2.
      if (!isQuicPacket(d.data) || this.closing) return;
      this.quicStreams.accept(d.fromNode, d.fromService, d.toService, d.data, (stream) => this.acceptQuicStream(d.fromNode, d.fromService, d.toService, stream));
      return;
    }
    const opening = StreamSession.isOpening(d.data);
    let entry = this.sessions.get(key);
    if (entry && entry.session.id !== id) {
      if (!opening) return this.answerReset(d);
      // The opener restarted and reused the address (unlikely with random ephemeral services): the old session is over.
      entry.session.close();
      entry = undefined;
    }
    if (!entry) {
      const until = this.closedSessions.get(id);
      if (until !== undefined && until >= Date.now() && opening) return;
      if (!opening || this.closing) return this.answerReset(d);
      // accept() takes this first segment itself, once the Mux is attached.
      this.addSession(d.fromNode, d.fromService, d.toService, false, (io, events) => StreamSession.accept(d.data, io, events, this.sessionOptions));
      return;
    }
    entry.session.receive(d.data);
  }

  /** A QUIC stream from a receptor node to one of our services: the same checks as an OPEN (onOpen). */
  private acceptQuicStream(fromNode: string, fromService: string, service: string, d: Duplex): void {
    const info: OpenInfo = { fromNode, fromService, toNode: this.nodeId, toService: service, hopsToLive: 0 };
    const svc = this.services.get(service);
    if (this.closing || !svc || this.streamFirewall(info) !== 'accept') {
      d.destroy();
      return;
    }
    const from = { node: fromNode, service: fromService };
    const stream = this.adoptQuicStream(d, { node: this.nodeId, service }, from);
    try {
      svc.handler(stream, from);
    } catch (err) {
      stream.destroy(err as Error);
    }
  }

  /** Tells the sender of a segment for a session we do not have that it is gone. */
  private answerReset(d: Datagram): void {
    const rst = StreamSession.resetFor(d.data, 'no such stream (the node may have restarted)');
    if (rst) this.sendFrom(d.toService, d.fromNode, d.fromService, rst);
  }

  /**
   * The stream is over: the session ends once its last frames (FIN, RESET) are acknowledged, or after a linger.
   * The Mux hands frames to the session on a later microtask (and holds them while the session is full), so the
   * session is told to end only once the Mux holds nothing more for it: ending earlier would drop a RESET.
   */
  private lingerSession(entry: SessionEntry): void {
    if (entry.linger || this.sessions.get(entry.key) !== entry) return;
    entry.linger = setTimeout(() => entry.session.close(), SESSION_LINGER_MS);
    entry.linger.unref();
    const endWhenFlushed = (): void => {
      if (entry.session.dead) return;
      if (entry.mux.bufferedBytes > entry.session.writableLength) {
        setTimeout(endWhenFlushed, 10).unref();
        return;
      }
      entry.session.end();
    };
    setImmediate(endWhenFlushed);
  }

  private dropSession(entry: SessionEntry, reason: string): void {
    clearTimeout(entry.linger);
    // TCP's TIME_WAIT: a late copy of this session's opening segment must not open it again (and replay its OPEN).
    this.closedSessions.set(entry.session.id, Date.now() + this.sessionOptions.idleTimeoutMs);
    if (this.closedSessions.size > 4096) {
      const now = Date.now();
      for (const [id, until] of this.closedSessions) if (until < now) this.closedSessions.delete(id);
    }
    entry.mux.close(reason);
    if (this.sessions.get(entry.key) === entry) this.sessions.delete(entry.key);
    this.sessionByMux.delete(entry.mux);
    // A dialer's ephemeral service is the session's alone.
    if (entry.dialer) this.datagramListeners.delete(entry.localService);
  }

  private ephemeralService(): string {
    for (;;) {
      const s = randomService();
      if (!this.services.has(s) && !this.datagramListeners.has(s) && !RESERVED.has(s)) return s;
    }
  }

  /** An OPEN arrived on some link (or the loopback): accept it here, or relay it toward its node. */
  private onOpen(mux: Mux, port: Port, claimed: OpenInfo): void {
    if (this.closing) return mux.refuse(port, 'node shutting down');
    // Over a session the addresses are the data messages' (checked by every hop's firewall), not what OPEN says.
    const entry = this.sessionByMux.get(mux);
    const info: OpenInfo = entry
      ? { ...claimed, fromNode: entry.remoteNode, fromService: entry.remoteService, toNode: this.nodeId, toService: entry.localService }
      : claimed;
    // The rules come first, as in handleMessageData. A dropped open is left unanswered: the opener's dial
    // times out and its reset clears the port here.
    const blocked = this.streamFirewall(info);
    if (blocked === 'drop') return;
    if (blocked === 'reject') return mux.refuse(port, PROBLEM.rejected);
    if (info.toNode === this.nodeId) {
      const svc = this.services.get(info.toService);
      if (!svc) {
        // handleMessageData answers a remote sender's packet for an unknown service with an unreach message
        // (its node logs it); our opener also gets the refusal on the stream itself.
        if (info.fromNode !== this.nodeId) {
          this.sendUnreachable({ fromNode: info.fromNode, fromService: info.fromService, toNode: info.toNode, toService: info.toService, hopsToLive: 0, data: Buffer.alloc(0) }, PROBLEM.serviceUnknown);
        }
        return mux.refuse(port, PROBLEM.serviceUnknown);
      }
      // Receptor fails a plain dial to a TLS service at once, in the stream's own handshake (conn.go
      // verifyServerCertificate), instead of leaving the client to wait for a greeting that never comes.
      // Our streams have no handshake of their own: the opener says whether it will run TLS, and the
      // service's ConnType decides.
      if (svc.options.connType === 2 && info.tls === false) return mux.refuse(port, PROBLEM.insecure);
      const from = { node: info.fromNode, service: info.fromService };
      const stream = this.adoptStream(new MeshStream(port, { node: this.nodeId, service: info.toService }, from, this.limits.streamWriteBuffer), entry);
      mux.accept(port);
      try {
        svc.handler(stream, from);
      } catch (err) {
        stream.destroy(err as Error);
      }
      return;
    }
    // Only the loopback carries opens for another node's services, and it never does: refuse.
    mux.refuse(port, PROBLEM.noRoute);
  }

  // ---------------------------------------------------------------- datagrams, ping, traceroute

  /**
   * Delivers or forwards a datagram as Receptor's handleMessageData / forwardMessage do. Throws
   * `no route to node` / `service unknown` for our own datagrams (Receptor returns them from WriteTo).
   */
  private routeDatagram(d: Datagram): void {
    if (this.firewall.length > 0) {
      const action = firewallDecision(this.firewall, d);
      if (action === 'drop') return;
      if (action === 'reject') {
        if (d.fromService !== 'unreach') this.sendUnreachable(d, PROBLEM.rejected);
        return;
      }
    }
    if (d.toNode === this.nodeId) return this.deliverDatagram(d);
    if (d.hopsToLive <= 0) {
      if (d.fromService !== 'unreach') this.sendUnreachable(d, PROBLEM.expired);
      return;
    }
    const link = this.nextLink(d.toNode);
    if (!link) {
      if (d.fromNode === this.nodeId) throw new MeshError('ENOROUTE', PROBLEM.noRoute);
      // Receptor only logs this at the hop (the sender times out); telling the sender is more useful.
      if (d.fromService !== 'unreach') this.sendUnreachable(d, PROBLEM.noRoute);
      return;
    }
    // forwardMessage: the originator's own send decrements too (receptor's neighbour receives 29 of 30).
    let msg: Buffer;
    try {
      msg = encodeData({
        hopsToLive: d.hopsToLive - 1,
        fromNodeHash: this.names.add(d.fromNode),
        toNodeHash: this.names.add(d.toNode),
        fromService: d.fromService,
        toService: d.toService,
        data: d.data,
      });
    } catch (err) {
      throw new MeshError('EINVALID', (err as Error).message);
    }
    if (!link.sendData(msg)) this.droppedData++;
  }

  /**
   * A data message from a link (handleMessageData): node names from their hashes (unknown hash: dropped, as
   * receptor drops it), the firewall, then delivery here or forwarding with one hop less. The message is
   * forwarded as received, only its hop count byte rewritten: the transports hand over a buffer of its own.
   */
  private onData(m: Buffer): void {
    if (m.length < DATA_HEADER_LENGTH) {
      this.logger.error(`Error translating data to message struct: data too short to be a valid message: ${m.length} bytes`);
      return;
    }
    const fromNode = this.names.lookup(m.readBigUInt64BE(4));
    const toNode = this.names.lookup(m.readBigUInt64BE(12));
    if (fromNode === undefined || toNode === undefined) {
      // receptor: translateDataToMessage fails with "hash not found" and the message is dropped.
      if (this.logger.enabled('debug')) this.logger.debug('Error translating data to message struct: hash not found');
      return;
    }
    const hops = m[1]!;
    if (toNode !== this.nodeId) {
      const link = this.firewall.length === 0 && hops > 0 ? this.nextLink(toNode) : undefined;
      if (link) {
        m[1] = hops - 1;
        if (!link.sendData(m)) this.droppedData++;
        return;
      }
    }
    const d: Datagram = { hopsToLive: hops, fromNode, toNode, fromService: fixedString(m, 20), toService: fixedString(m, 28), data: m.subarray(DATA_HEADER_LENGTH) };
    try {
      this.routeDatagram(d);
    } catch (err) {
      this.logger.debug(`Error routing datagram from ${fromNode} to ${toNode}: ${(err as Error).message}`);
    }
  }

  private deliverDatagram(d: Datagram): void {
    if (d.toService === 'ping') {
      // handlePing: an empty reply from our ping service.
      this.trySend({ fromNode: this.nodeId, fromService: 'ping', toNode: d.fromNode, toService: d.fromService, hopsToLive: this.limits.maxForwardingHops, data: Buffer.alloc(0) });
      return;
    }
    if (d.toService === 'unreach') {
      let msg: { FromNode?: unknown; ToNode?: unknown; FromService?: unknown; ToService?: unknown; Problem?: unknown };
      try {
        msg = JSON.parse(d.data.toString('utf8')) as typeof msg;
      } catch {
        return;
      }
      if (typeof msg.FromService !== 'string' || typeof msg.Problem !== 'string') return;
      // handleUnreachable's text: the unreach datagram's own addresses and hop count, then the problem.
      this.logger.warning(`Received unreachable message from ${d.fromNode} (service ${d.fromService}) to ${d.toNode} (service ${d.toService}): ttl ${d.hopsToLive}, data ${msg.Problem}`);
      this.datagramListeners.get(msg.FromService)?.unreachable(msg.Problem, d.fromNode);
      return;
    }
    const l = this.datagramListeners.get(d.toService);
    if (l) return l.data(d);
    if (this.services.has(d.toService) && d.fromNode !== this.nodeId) return this.onStreamSegment(d);
    if (d.fromNode === this.nodeId) throw new MeshError('ESERVICEUNKNOWN', PROBLEM.serviceUnknown);
    if (d.fromService !== 'unreach') this.sendUnreachable(d, PROBLEM.serviceUnknown);
  }

  /**
   * The rules for a stream. Receptor's streams are QUIC over data messages, every packet checked at every
   * node: a stream works only if the opener's packets (opener -> service) and the service's answers
   * (service -> opener) both pass, and the rules cannot change while it runs. So one check per direction
   * at the open decides for the whole stream. A reject sends receptor's unreach message ("blocked by
   * firewall") to the node whose packet was refused, as the first QUIC packet would cause. Receptor's dialler
   * then waits for its handshake timeout (it acts on "service unknown" only, conn.go MonitorUnreachable); here
   * the open fails at once with that text.
   */
  private streamFirewall(info: OpenInfo): FirewallAction {
    if (this.firewall.length === 0) return 'accept';
    const there: MessageAddress = { fromNode: info.fromNode, fromService: info.fromService, toNode: info.toNode, toService: info.toService };
    const back: MessageAddress = { fromNode: info.toNode, fromService: info.toService, toNode: info.fromNode, toService: info.fromService };
    for (const m of [there, back]) {
      const action = firewallDecision(this.firewall, m);
      if (action === 'accept') continue;
      if (action === 'reject') this.sendUnreachable({ ...m, hopsToLive: 0, data: Buffer.alloc(0) }, PROBLEM.rejected);
      return action;
    }
    return 'accept';
  }

  private trySend(d: Datagram): void {
    try {
      this.routeDatagram(d);
    } catch (err) {
      this.logger.debug(`Error sending datagram to ${d.toNode}: ${(err as Error).message}`);
    }
  }

  private sendUnreachable(orig: Datagram, problem: string): void {
    const body = { FromNode: orig.fromNode, ToNode: orig.toNode, FromService: orig.fromService, ToService: orig.toService, Problem: problem };
    this.trySend({
      fromNode: this.nodeId,
      fromService: 'unreach',
      toNode: orig.fromNode,
      toService: 'unreach',
      hopsToLive: this.limits.maxForwardingHops,
      data: Buffer.from(JSON.stringify(body)),
    });
  }

  /**
   * One ping with a hop limit (Receptor pkg/netceptor/ping.go SendPing): the reply's node and the
   * round trip, or the error (`no route to node`, `message expired` from the hop where the limit ran
   * out, `timeout` after pingTimeoutMs).
   */
  async pingRaw(target: string, hopsToLive = this.limits.maxForwardingHops, signal?: AbortSignal): Promise<PingOutcome> {
    this.assertOpen();
    const to = target.toLowerCase() === 'localhost' ? this.nodeId : target;
    const service = this.ephemeralService();
    const start = process.hrtime.bigint();
    const elapsed = (): bigint => process.hrtime.bigint() - start;
    return new Promise<PingOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (o: PingOutcome): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.datagramListeners.delete(service);
        resolve(o);
      };
      const onAbort = (): void => finish({ ok: false, from: '', ns: elapsed(), error: 'user cancelled' });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.datagramListeners.set(service, {
        data: (d) => finish({ ok: true, from: d.fromNode, ns: elapsed() }),
        unreachable: (problem, from) => finish({ ok: false, from, ns: elapsed(), error: problem }),
      });
      timer = setTimeout(() => finish({ ok: false, from: '', ns: elapsed(), error: PROBLEM.timeout }), this.timers.pingTimeoutMs);
      try {
        this.routeDatagram({ fromNode: this.nodeId, fromService: service, toNode: to, toService: 'ping', hopsToLive, data: Buffer.alloc(0) });
      } catch (err) {
        finish({ ok: false, from: this.nodeId, ns: elapsed(), error: (err as Error).message });
      }
    });
  }

  /** `ping` as the control service answers it (pkg/controlsvc/ping.go). */
  async ping(target: string, signal?: AbortSignal): Promise<PingResult> {
    const r = await this.pingRaw(target, this.limits.maxForwardingHops, signal);
    if (!r.ok) return { Success: false, Error: r.error ?? 'unknown error' };
    return { Success: true, From: r.from, Time: Number(r.ns), TimeStr: formatGoDuration(r.ns) };
  }

  /**
   * `traceroute` as the control service answers it (pkg/netceptor/ping.go CreateTraceroute,
   * pkg/controlsvc/traceroute.go): pings with hop limits 0, 1, 2... until the target answers or an
   * error other than `message expired` (which names the hop) ends it.
   */
  async traceroute(target: string, signal?: AbortSignal): Promise<TracerouteResult> {
    const out: TracerouteResult = {};
    for (let i = 0; i <= this.limits.maxForwardingHops; i++) {
      const r = await this.pingRaw(target, i, signal);
      const hop: TracerouteResult[string] = { From: r.from, Time: Number(r.ns), TimeStr: formatGoDuration(r.ns) };
      const isError = !r.ok && r.error !== PROBLEM.expired;
      if (isError) hop.Error = r.error ?? 'unknown error';
      out[String(i)] = hop;
      if (isError || r.ok) break;
    }
    return out;
  }

  // ---------------------------------------------------------------- status

  /** Receptor's Status() data: Connections, RoutingTable, Advertisements, KnownConnectionCosts. */
  status(): MeshStatus {
    const connections = [...this.upConnections()].map(([node, link]) => ({ NodeID: node, Cost: link.cost }));
    const wc = this.workCommands();
    const ads = this.adverts.all().map((a) => {
      const own = a.NodeID === this.nodeId;
      // Status(): our own adverts show the current time and, when there are work commands, all of them.
      return {
        NodeID: a.NodeID,
        Service: a.Service,
        Time: goTimeString(own ? nowNs() : a.timeNs),
        ConnType: a.ConnType,
        Tags: a.Tags,
        WorkCommands: own && wc.length > 0 ? wc : a.WorkCommands,
      };
    });
    const known: Record<string, Record<string, number>> = {};
    for (const [node, edges] of this.routing.costs) known[node] = Object.fromEntries(edges);
    return {
      NodeID: this.nodeId,
      Connections: connections,
      RoutingTable: Object.fromEntries(this.routing.table),
      Advertisements: ads,
      KnownConnectionCosts: known,
    };
  }

  /** Nodes reachable now (the routing table's destinations). */
  reachable(node: string): boolean {
    return node === this.nodeId || node.toLowerCase() === 'localhost' || this.nextLink(node) !== undefined;
  }

  /** The advert of `service` on `node`, if known (Receptor GetServiceInfo). */
  serviceInfo(node: string, service: string): MeshStatus['Advertisements'][number] | undefined {
    const target = node.toLowerCase() === 'localhost' ? this.nodeId : node;
    return this.status().Advertisements.find((a) => a.NodeID === target && a.Service === service);
  }

  stats(): MeshStats {
    let buffered = 0;
    let channels = 0;
    for (const l of this.links) buffered += l.bufferedBytes;
    for (const e of this.sessions.values()) {
      buffered += e.mux.bufferedBytes;
      channels += e.mux.channelCount;
    }
    for (const s of this.streams) buffered += s.bufferedBytes;
    for (const s of this.quicDuplexes) buffered += s.writableLength + s.readableLength;
    buffered += this.loop[0].bufferedBytes + this.loop[1].bufferedBytes;
    channels += this.loop[0].channelCount + this.loop[1].channelCount;
    return {
      links: this.links.size,
      connections: this.upConnections().size,
      channels,
      streams: this.streams.size + this.quicDuplexes.size,
      relays: 0,
      sessions: this.sessions.size,
      dropped: this.droppedData,
      bufferedBytes: buffered,
    };
  }

  // ---------------------------------------------------------------- shutdown

  private assertOpen(): void {
    if (this.closing) throw new MeshError('ECLOSED', 'mesh is closed');
  }

  /** Stops every backend, drops every link and stream. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.intervals) clearInterval(t);
      clearTimeout(this.floodTimer);
      clearTimeout(this.recalcTimer);
      for (const w of this.recalcWaiters.splice(0)) w();
      clearTimeout(this.adTimer);
      // Our own streams end quietly (no 'error': the application asked for this); peers see a reset.
      for (const s of [...this.streams]) s.destroy();
      for (const s of [...this.quicDuplexes]) s.destroy();
      this.quicStreams.close();
      // The peers of our stream sessions hear it now (best effort), not after their idle timeout.
      for (const e of [...this.sessions.values()]) e.session.reset('node shutting down');
      const pending: Promise<void>[] = [];
      for (const l of [...this.listenerHandles]) pending.push(l.close());
      for (const d of [...this.dialers]) pending.push(d.close());
      for (const link of [...this.links]) link.close('mesh closed');
      this.loop[0].close('mesh closed');
      this.loop[1].close('mesh closed');
      this.services.clear();
      for (const l of [...this.datagramListeners.values()]) l.unreachable('netceptor shutdown', this.nodeId);
      await Promise.all(pending);
    })();
    return this.closing;
  }
}
