// Every tunable of the mesh, with Receptor's value where Receptor has one (pkg/netceptor/netceptor.go
// constants, pkg/backends/utils.go) and ours otherwise. Tests shrink the timers to keep the suite fast.

export interface MeshTimers {
  /** Regular route update flood (Receptor defaultRouteUpdateTime: 10 s). */
  routeUpdateIntervalMs: number;
  /** Delay between a connection change and its flood (Receptor: 100 ms via tickrunner). */
  routeFloodDelayMs: number;
  /** Delay before the routing table is recomputed after a change (Receptor: 100 ms). */
  routeRecalcDelayMs: number;
  /** Regular re-advertisement of our services (Receptor defaultServiceAdTime: 60 s). */
  serviceAdIntervalMs: number;
  /**
   * Delay between a service change and its advertisement (Receptor: 5 s, AddLocalServiceAdvertisement). Kept at
   * receptor's: a receptor hands known adverts to no new link, so an advert flooded before a receptor hop's other
   * links came up reaches the nodes behind it only at the next 60 s round (mixed-mesh.test.ts measured 60 s with
   * 100 ms, 5 s with receptor's delay).
   */
  serviceAdDelayMs: number;
  /** Route update IDs are remembered this long (Receptor defaultSeenUpdateExpireTime: 1 h). */
  seenUpdateExpireMs: number;
  /**
   * A link that has carried nothing from us for this long gets our routing update as a keepalive. Receptor sends
   * none and relies on the route updates every 10 s; ours is just above routeUpdateIntervalMs, so with the
   * defaults none is sent.
   */
  heartbeatMs: number;
  /** A link silent for this long is dropped (Receptor defaultMaxConnectionIdleTime: 2 × 10 s + 1 s). */
  idleTimeoutMs: number;
  /** Time allowed for the peer to name itself (Receptor gives up its initial updates after 11, ~11 s). */
  handshakeTimeoutMs: number;
  /** Period of a new link's initial routing updates (Receptor sendInitialConnectMessage: 1 s). */
  initialUpdateMs: number;
  /** A stream session with nothing received for this long sends a keepalive (Receptor conn.go: QUIC KeepAlivePeriod 15 s). */
  streamKeepaliveMs: number;
  /** A stream session with nothing received for this long is over (Receptor conn.go: QUIC MaxIdleTimeout 30 s). */
  streamIdleTimeoutMs: number;
  /** First redial delay of a peer (Receptor: 5 s), grown ×1.5 per failure up to redialMaxDelayMs (20 s). */
  redialDelayMs: number;
  redialMaxDelayMs: number;
  /** Connect timeout of a dial (Receptor: 15 s for TLS). */
  dialTimeoutMs: number;
  /** Ping reply wait (Receptor ping.go: 10 s). */
  pingTimeoutMs: number;
  /** Wait for a stream open to be accepted or refused. */
  openTimeoutMs: number;
}

export const DEFAULT_TIMERS: MeshTimers = {
  routeUpdateIntervalMs: 10_000,
  routeFloodDelayMs: 100,
  routeRecalcDelayMs: 100,
  serviceAdIntervalMs: 60_000,
  serviceAdDelayMs: 5_000,
  seenUpdateExpireMs: 3_600_000,
  // Receptor's periods (pkg/netceptor/netceptor.go defaultMaxConnectionIdleTime): a heartbeat every 2 s on every
  // link made an idle 10-node chain cost ~1.3 ms of CPU a second per node, twice receptor's (bench/mesh-scale.js).
  heartbeatMs: 10_500,
  idleTimeoutMs: 21_000,
  handshakeTimeoutMs: 11_000,
  initialUpdateMs: 1_000,
  streamKeepaliveMs: 15_000,
  streamIdleTimeoutMs: 30_000,
  redialDelayMs: 5_000,
  redialMaxDelayMs: 20_000,
  dialTimeoutMs: 15_000,
  pingTimeoutMs: 10_000,
  openTimeoutMs: 10_000,
};

export interface MeshLimits {
  /** Receive window per stream channel and direction, bytes (the most a node buffers per stream). */
  streamWindow: number;
  /** Largest DATA frame payload (Receptor's MTU is 16 KiB). */
  maxDataFrame: number;
  /** Unsent bytes a link's transport may hold before the scheduler waits for 'drain'. */
  linkWriteBuffer: number;
  /** Bytes a link's transport may hold past which forwarded data messages are dropped (a congested link). */
  maxControlQueueBytes: number;
  /** Bytes a MeshStream's write() queues before it waits (write() returns false beyond its HWM). */
  streamWriteBuffer: number;
  /** Hop limit of datagrams, stream segments included (Receptor defaultMaxForwardingHops: 30). */
  maxForwardingHops: number;
}

export const DEFAULT_LIMITS: MeshLimits = {
  streamWindow: 256 * 1024,
  maxDataFrame: 16 * 1024,
  linkWriteBuffer: 256 * 1024,
  maxControlQueueBytes: 4 * 1024 * 1024,
  streamWriteBuffer: 64 * 1024,
  maxForwardingHops: 30,
};
