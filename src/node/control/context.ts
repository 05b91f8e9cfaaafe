// What control commands need from the node. Kept as an interface so commands never import the node
// module itself (and tests can build a session over any Duplex).
import type { Duplex } from 'node:stream';
import type { PingResult, TracerouteResult } from '../../protocol/types.js';
import type { NodeLogger } from '../logger.js';
import type { GoMeshStatusFields } from '../mesh/index.js';
import type { Workceptor } from '../work/workceptor.js';

/**
 * How the client reached the session. Receptor skips work-signature checks only when the connection's
 * network is "unix" (pkg/workceptor/controlsvc.go ControlFunc); TCP/TLS listeners and mesh connections
 * (`connect`, and remote units driving this node) must present signatures.
 */
export type SessionKind = 'unix' | 'tcp' | 'mesh';

export interface ReloadOutcome {
  ok: boolean;
  /** Receptor's message with ` ERRORCODE n` appended, when not ok. */
  error?: string;
}

/** Fault injection for tests (meshctl/testing; applied in src/node/control/fault.ts). */
export interface NodeFaults {
  /**
   * Asked when a `work results` stream for `unitId` starts (after its `Streaming results` line): a number
   * cuts the connection after that many bytes of results; undefined leaves the stream alone.
   */
  cutResults?(unitId: string): number | undefined;
}

export interface NodeServices {
  nodeId: string;
  /** What `status` reports as Version. */
  version: string;
  logger: NodeLogger;
  work: Workceptor;
  /** The mesh fields of `status` (Connections, RoutingTable, Advertisements, KnownConnectionCosts). */
  meshStatus(): GoMeshStatusFields;
  /** `ping` / `traceroute` replies (Receptor's JSON shapes). */
  ping(target: string, signal: AbortSignal): Promise<PingResult>;
  traceroute(target: string, signal: AbortSignal): Promise<TracerouteResult>;
  /**
   * A connection to `service` on `node` ('localhost' = this node) for `connect`, with TLS inside when
   * `tlsName` names a tls-client. Rejects with a CommandError carrying Receptor's text
   * (`unknown TLS config X`, `no route to node`, `service unknown`, ...).
   */
  dial(node: string, service: string, tlsName: string, signal: AbortSignal): Promise<Duplex>;
  reload(): Promise<ReloadOutcome>;
  /** Fault injection asked for by tests (StartNodeOptions.faults). */
  faults?: NodeFaults;
}
