// Typed shapes of Receptor control-service replies.
// Field names and types follow Receptor's JSON (pkg/controlsvc/status.go, pkg/netceptor, pkg/workceptor):
// see docs/protocol.md and ../shared/reference/receptor-control-protocol.md §7.

/** One direct backend connection of a node (`Connections[]`). */
export interface Connection {
  NodeID: string;
  Cost: number;
}

/** `WorkCommands[]` inside an advertisement. Secure = the work type verifies signatures. */
export interface WorkCommand {
  WorkType: string;
  Secure: boolean;
}

/** A service advertisement. Receptor emits these fields in this order (a Go struct, not a map). */
export interface Advertisement {
  NodeID: string;
  Service: string;
  /** RFC 3339 with nanoseconds, as Go prints time.Time. */
  Time: string;
  /** 0 Datagram, 1 Stream, 2 StreamTLS. */
  ConnType: number;
  Tags: Record<string, string> | null;
  WorkCommands: WorkCommand[] | null;
}

/** Reply of `status` (all fields, or the `requested_fields` subset). */
export interface Status {
  NodeID: string;
  Version: string;
  SystemCPUCount: number;
  SystemMemoryMiB: number;
  Connections: Connection[];
  RoutingTable: Record<string, string>;
  KnownConnectionCosts: Record<string, Record<string, number>>;
  Advertisements: Advertisement[];
}

export type PingResult =
  | { Success: true; From: string; Time: number; TimeStr: string }
  | { Success: false; Error: string };

export interface TracerouteHop {
  From: string;
  Time: number;
  TimeStr: string;
  Error?: string;
}

/** Reply of `traceroute`: hop index as a decimal string → hop. */
export type TracerouteResult = Record<string, TracerouteHop>;

export type ReloadResult = { Success: true } | { Success: false; Error: string };

/** Work unit states (pkg/workceptor/workunitbase.go). Canceled is *not* complete. */
export const WorkState = {
  Pending: 0,
  Running: 1,
  Succeeded: 2,
  Failed: 3,
  Canceled: 4,
} as const;
export type WorkStateValue = (typeof WorkState)[keyof typeof WorkState];

/** ExtraData of a `remote` unit (pkg/workceptor/remote_work.go remoteExtraData). */
export interface RemoteExtraData {
  RemoteNode: string;
  RemoteWorkType: string;
  RemoteParams: Record<string, string>;
  RemoteUnitID: string;
  RemoteStarted: boolean;
  LocalCancelled: boolean;
  LocalReleased: boolean;
  SignWork: boolean;
  TLSClient: string;
  Expiration: string;
}

/** ExtraData of a `command` unit while its runner lives (pkg/workceptor/command.go commandExtraData). */
export interface CommandExtraData {
  Pid: number;
  Params: string;
}

/** One entry of `work list`, and the reply of `work status`. */
export interface WorkUnitStatus {
  State: number;
  StateName: string;
  Detail: string;
  StdoutSize: number;
  WorkType: string;
  /** null, an object (command/remote/kubernetes units), or the string "Unknown WorkType". */
  ExtraData: RemoteExtraData | CommandExtraData | Record<string, unknown> | string | null;
}

export type WorkList = Record<string, WorkUnitStatus>;

/** Final line of `work submit`. `Job Submitted` = remote start pending (Receptor retries in the background). */
export interface SubmitResult {
  result: string;
  unitid: string;
}

/** Reply of cancel / release / force-release: a single key naming the outcome, the unit id as value. */
/**
 * One node's row of `meshctl mesh status`, summarised from its own status, work list and a ping
 * (src/client/mesh-status.ts builds it; src/render/mesh-status.ts draws it).
 */
export interface NodeSummary {
  /** The node ID its control service greets with and reports. */
  nodeId: string;
  version: string;
  cpus: number;
  memoryMiB: number;
  /** Work types of the node's own advertisement (`Secure` ones too), sorted. */
  workTypes: string[];
  /** Units by state name (Pending, Running, Succeeded, Failed, Canceled), only the states that occur. */
  units: Record<string, number>;
  /** The node's live connections: peer and cost. */
  connections: { node: string; cost: number }[];
  /** Round trip of a ping from the local node, in milliseconds; null when the ping failed. */
  rttMs: number | null;
  /** Why the ping failed (the node answered the rest). */
  pingError?: string;
}

export type WorkOutcome = Record<'cancelled' | 'cancel pending' | 'released' | 'release pending', string>;

/** State names as Receptor's WorkStateToString prints them. */
export function workStateName(state: number): string {
  switch (state) {
    case 0:
      return 'Pending';
    case 1:
      return 'Running';
    case 2:
      return 'Succeeded';
    case 3:
      return 'Failed';
    case 4:
      return 'Canceled';
    default:
      return `Unknown: ${state}`;
  }
}

/** Succeeded or Failed. Receptor's results stream ends only on these (IsComplete in workunitbase.go). */
export function isComplete(state: number): boolean {
  return state === WorkState.Succeeded || state === WorkState.Failed;
}
