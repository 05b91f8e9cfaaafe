// The embedded mesh: public surface for the node (src/node) and tests. See docs/mesh.md.
export { Mesh } from './mesh.js';
export type {
  MeshOptions,
  ListenerOptions,
  WsListenerOptions,
  PeerOptions,
  WsPeerOptions,
  ListenerHandle,
  PeerHandle,
  ServiceOptions,
  ServiceHandle,
  StreamHandler,
  MeshDuplex,
  DialOptions,
  MeshStatus,
  MeshStats,
  MeshEvents,
  PingOutcome,
} from './mesh.js';
export { MeshStream, type StreamAddress } from './stream.js';
export { MeshError, PROBLEM, type MeshErrorKind } from './errors.js';
export { DEFAULT_LIMITS, DEFAULT_TIMERS, type MeshLimits, type MeshTimers } from './options.js';
export type { LinkClientTls, LinkServerTls } from './transport/tcp.js';
export type { LinkPolicy } from './link.js';
export { startBackends, type MeshTlsResolver, type StartedBackends } from './config.js';
export { LINK_PROTOCOL_MAX, LINK_PROTOCOL_MIN } from './wire/messages.js';
export { secureClientStream, secureServerStream } from './service-tls.js';
export { goMeshStatus, type GoMeshStatusFields } from './status-go.js';
