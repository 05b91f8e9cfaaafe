// What control commands need from the node. Kept as an interface so commands never import the node
// module itself (and tests can build a session over any Duplex).
import type { Duplex } from 'node:stream';
import type { NodeLogger } from '../logger.js';
import type { Workceptor } from '../work/workceptor.js';

/**
 * How the client reached the session. Receptor skips work-signature checks only when the connection's
 * network is "unix" (pkg/workceptor/controlsvc.go ControlFunc); TCP/TLS listeners and mesh connections
 * (here: `connect` to a local service) must present signatures.
 */
export type SessionKind = 'unix' | 'tcp' | 'mesh';

/** A service reachable with `connect <this node> <name>`. */
export interface LocalService {
  name: string;
  /** tls-server name the service expects on the connection ('' = plain). */
  tls: string;
  /** Serves one connection. */
  accept(stream: Duplex, kind: SessionKind, peer: string): void;
}

export interface ReloadOutcome {
  ok: boolean;
  /** Receptor's message with ` ERRORCODE n` appended, when not ok. */
  error?: string;
}

export interface NodeServices {
  nodeId: string;
  /** What `status` reports as Version. */
  version: string;
  logger: NodeLogger;
  work: Workceptor;
  /** Advertisement objects for `status` (Go structs, in order). */
  advertisements(): unknown[];
  /** Names of tls-client entries (for `connect ... <tls>`). */
  hasTlsClient(name: string): boolean;
  service(name: string): LocalService | undefined;
  reload(): Promise<ReloadOutcome>;
}
