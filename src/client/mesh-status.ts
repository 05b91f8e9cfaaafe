// The mesh seen from one control socket: each known node's own status, units and a ping round trip
// (`meshctl mesh status`), and every node's units (`meshctl work list --all-nodes`). The node list comes from the
// local status (mesh-fanout.ts knownNodes); each node is then asked on its own control service through
// `connect NODE control`, as receptorctl's `work list --node` does for one node.
import type { MeshctlError } from '../errors.js';
import type { NodeSummary, Status, WorkList } from '../protocol/types.js';

export type { NodeSummary };
import { ControlClient } from './control-client.js';
import { fanOut, knownNodes, type FanOutOptions, type MeshNode, type NodeOutcome } from './mesh-fanout.js';
import type { ControlClientOptions } from './options.js';

export { knownNodes, DEFAULT_CONCURRENCY, DEFAULT_NODE_TIMEOUT_MS, type FanOutOptions, type MeshNode } from './mesh-fanout.js';

/**
 * The status fields a row needs. Receptor answers `requested_fields` with just those (controlsvc/status.go), which
 * keeps each reply small: the routing table and the costs of a 50-node mesh are not read 50 times.
 */
export const NODE_STATUS_FIELDS = ['NodeID', 'Version', 'SystemCPUCount', 'SystemMemoryMiB', 'Connections', 'Advertisements'] as const;


export type NodeStatusResult = { node: MeshNode; ok: true; summary: NodeSummary; elapsedMs: number } | { node: MeshNode; ok: false; error: MeshctlError; elapsedMs: number };

export interface MeshStatusReport {
  /** The node we talk to. */
  localNode: string;
  /** One per known node, in knownNodes() order (local first, then by ID). */
  nodes: NodeStatusResult[];
}

/** A status and a work list → the row's data. Pure. */
export function summarize(status: Partial<Status>, list: WorkList, rttMs: number | null): NodeSummary {
  const id = String(status.NodeID ?? '');
  const own = (status.Advertisements ?? []).filter((ad) => ad.NodeID === id && ad.WorkCommands);
  const workTypes = [...new Set(own.flatMap((ad) => (ad.WorkCommands ?? []).map((w) => w.WorkType)))].sort();
  const units: Record<string, number> = {};
  for (const st of Object.values(list)) units[st.StateName] = (units[st.StateName] ?? 0) + 1;
  return {
    nodeId: id,
    version: String(status.Version ?? ''),
    cpus: Number(status.SystemCPUCount ?? 0),
    memoryMiB: Number(status.SystemMemoryMiB ?? 0),
    workTypes,
    units,
    connections: (status.Connections ?? []).map((c) => ({ node: c.NodeID, cost: c.Cost })).sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)),
    rttMs,
  };
}

/** The local node's status and the nodes it knows of. */
export async function discoverNodes(clientOptions: ControlClientOptions): Promise<{ status: Status; nodes: MeshNode[] }> {
  const c = new ControlClient(clientOptions);
  try {
    const status = await c.status();
    return { status, nodes: knownNodes(status) };
  } finally {
    await c.close();
  }
}

/**
 * Each node's status, units and ping, as they arrive (at most `concurrency` nodes at a time). A node that does
 * not answer within `timeoutMs` (or refuses: no route, service unknown, TLS) yields `ok: false` with the error.
 */
export async function* eachNodeStatus(clientOptions: ControlClientOptions, nodes: readonly MeshNode[], o: FanOutOptions = {}): AsyncGenerator<NodeStatusResult> {
  const rows = fanOut(
    clientOptions,
    nodes,
    async (node, { local, target, timeoutMs }) => {
      // The ping goes from the local node (Receptor's ping: a round trip of the mesh, netceptor/ping.go) on the
      // local connection, while status and work list share the session through the mesh.
      const ping = local.ping(node.id, { timeoutMs }).then(
        (r) => (r.Success ? { rtt: r.Time / 1e6 } : { rtt: null, error: r.Error }),
        (err: unknown) => ({ rtt: null, error: err instanceof Error ? err.message : String(err) }),
      );
      const status = await target.status(NODE_STATUS_FIELDS);
      const list = await target.workList();
      const p = await ping;
      const summary = summarize(status, list, p.rtt);
      if (p.error !== undefined) summary.pingError = p.error;
      return summary;
    },
    o,
  );
  for await (const r of rows) yield r.ok ? { node: r.node, ok: true, summary: r.value, elapsedMs: r.elapsedMs } : r;
}

/** `mesh status` as one promise: discover the nodes, ask each, return the rows in node order. */
export async function meshStatus(clientOptions: ControlClientOptions, o: FanOutOptions = {}): Promise<MeshStatusReport> {
  const { status, nodes } = await discoverNodes({ ...clientOptions, signal: o.signal ?? clientOptions.signal });
  const got = new Map<string, NodeStatusResult>();
  for await (const r of eachNodeStatus(clientOptions, nodes, o)) got.set(r.node.id, r);
  return { localNode: status.NodeID, nodes: nodes.map((n) => got.get(n.id)!) };
}

export type NodeWorkListResult = NodeOutcome<WorkList>;

/** Every known node's work list (`work list --all-nodes`), in node order. */
export async function meshWorkList(clientOptions: ControlClientOptions, o: FanOutOptions = {}): Promise<{ localNode: string; nodes: NodeWorkListResult[] }> {
  const { status, nodes } = await discoverNodes({ ...clientOptions, signal: o.signal ?? clientOptions.signal });
  const got = new Map<string, NodeWorkListResult>();
  for await (const r of fanOut(clientOptions, nodes, (_n, { target }) => target.workList(), o)) got.set(r.node.id, r);
  return { localNode: status.NodeID, nodes: nodes.map((n) => got.get(n.id)!) };
}
