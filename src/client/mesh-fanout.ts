// Fan-out over the nodes of a mesh: every Receptor node runs a control service (the `control` mesh service,
// controlsvc.go), so one local control socket reaches them all with `connect NODE control [TLSCLIENT]`. This file
// holds what `mesh status` and `work list --all-nodes` share: which nodes the local node knows of, and a bounded,
// per-node-timed run of one task per node. No commander, no rendering.
import { AbortError, ConnectionError, MeshctlError, abortReason } from '../errors.js';
import type { Status } from '../protocol/types.js';
import { ControlClient } from './control-client.js';
import type { ControlClientOptions } from './options.js';

/** Receptor's connection type of a service advertised with TLS (netceptor.ConnTypeStreamTLS). */
const CONN_TYPE_STREAM_TLS = 2;

export interface MeshNode {
  /** The node ID. */
  id: string;
  /** The node we talk to. */
  local: boolean;
  /** Its `control` service is advertised as StreamTLS: the hop needs a tls-client (`connect NODE control NAME`). */
  controlTls: boolean;
  /** Some advertisement of a `control` service from this node was seen. */
  controlAdvertised: boolean;
}

/**
 * The nodes the local status knows of: itself, both ends of every KnownConnectionCosts entry, the routing table's
 * destinations and the advertisers. A node that is only in the costs (no route: a partitioned part of the mesh)
 * is kept, so that the table shows it as unreachable rather than hiding it. Local node first, then by ID.
 */
export function knownNodes(status: Pick<Status, 'NodeID' | 'KnownConnectionCosts' | 'RoutingTable' | 'Advertisements'>): MeshNode[] {
  const ids = new Set<string>();
  if (status.NodeID) ids.add(status.NodeID);
  for (const [a, peers] of Object.entries(status.KnownConnectionCosts ?? {})) {
    ids.add(a);
    for (const b of Object.keys(peers ?? {})) ids.add(b);
  }
  for (const id of Object.keys(status.RoutingTable ?? {})) ids.add(id);
  const tls = new Set<string>();
  const advertised = new Set<string>();
  for (const ad of status.Advertisements ?? []) {
    ids.add(ad.NodeID);
    if (ad.Service === 'control') {
      advertised.add(ad.NodeID);
      if (ad.ConnType === CONN_TYPE_STREAM_TLS) tls.add(ad.NodeID);
    }
  }
  return [...ids]
    .sort((a, b) => (a === status.NodeID ? -1 : b === status.NodeID ? 1 : a < b ? -1 : a > b ? 1 : 0))
    .map((id) => ({ id, local: id === status.NodeID, controlTls: tls.has(id), controlAdvertised: advertised.has(id) }));
}

export interface FanOutOptions {
  /** How many nodes are asked at once. Default 8. */
  concurrency?: number;
  /** Time allowed for each node: reaching its control service, its greeting and every reply. Default 5 s. */
  timeoutMs?: number;
  /**
   * tls-client of the local node for the hop to a node whose control service is advertised as StreamTLS
   * (Receptor's `connect NODE control TLSCLIENT`). Without it such a node is reported unreachable.
   */
  tlsClient?: string;
  /** Stops the whole fan-out (the caller's Ctrl-C): it then rejects with the signal's AbortError. */
  signal?: AbortSignal;
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_NODE_TIMEOUT_MS = 5_000;

/** One node's outcome: the task's value, or the error that stopped it (a MeshctlError: code, message, data). */
export type NodeOutcome<T> = { node: MeshNode; ok: true; value: T; elapsedMs: number } | { node: MeshNode; ok: false; error: MeshctlError; elapsedMs: number };

/**
 * Clients for one node: `local` talks to the local control socket (own connection, bounded by the node's
 * timeout), `target` to the node's own control service (`local` itself for the local node, else through
 * `connect NODE control`).
 */
export interface NodeClients {
  local: ControlClient;
  target: ControlClient;
  timeoutMs: number;
  /** Fires at the node's timeout, when the whole fan-out is stopped, or with the caller's signal. */
  signal: AbortSignal;
}

/**
 * Runs `task` for every node, at most `concurrency` at a time, and yields each outcome as it arrives. Each node
 * gets clients of its own whose every step (connect, greeting, replies) is cut at the node's timeout, so one
 * node that does not answer holds a slot for at most `timeoutMs`. Breaking out of the loop closes the clients
 * still in use.
 */
export async function* fanOut<T>(
  clientOptions: ControlClientOptions,
  nodes: readonly MeshNode[],
  task: (node: MeshNode, clients: NodeClients) => Promise<T>,
  o: FanOutOptions = {},
): AsyncGenerator<NodeOutcome<T>> {
  const concurrency = Math.max(1, o.concurrency ?? DEFAULT_CONCURRENCY);
  const timeoutMs = o.timeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  const parent = anySignal(o.signal, clientOptions.signal);
  const stop = new AbortController();
  const done: NodeOutcome<T>[] = [];
  let wake: (() => void) | undefined;
  let next = 0;
  let running = 0;

  const runOne = async (node: MeshNode): Promise<NodeOutcome<T>> => {
    const started = performance.now();
    const timer = new AbortController();
    const t = setTimeout(() => timer.abort(new ConnectionError('ETIMEDOUT', 'timed out')), timeoutMs);
    const signal = anySignal(timer.signal, parent, stop.signal)!;
    const local = new ControlClient({
      ...clientOptions,
      signal,
      connectTimeoutMs: Math.min(clientOptions.connectTimeoutMs ?? timeoutMs, timeoutMs),
      greetingTimeoutMs: Math.min(clientOptions.greetingTimeoutMs ?? timeoutMs, timeoutMs),
      commandTimeoutMs: timeoutMs,
    });
    const target = node.local ? local : local.viaNode(node.id, { tlsName: node.controlTls ? o.tlsClient || undefined : undefined });
    try {
      const value = await task(node, { local, target, timeoutMs, signal });
      return { node, ok: true, value, elapsedMs: performance.now() - started };
    } catch (err) {
      if (parent?.aborted) throw abortReason(parent);
      return { node, ok: false, error: nodeError(node, err, timer.signal.aborted, timeoutMs), elapsedMs: performance.now() - started };
    } finally {
      clearTimeout(t);
      if (target !== local) await target.close();
      await local.close();
    }
  };

  let failure: unknown;
  const launch = (): void => {
    while (running < concurrency && next < nodes.length && failure === undefined) {
      const node = nodes[next++]!;
      running++;
      runOne(node).then(
        (r) => {
          running--;
          done.push(r);
          wake?.();
        },
        (err: unknown) => {
          running--;
          failure ??= err;
          wake?.();
        },
      );
    }
  };

  try {
    launch();
    while (running > 0 || done.length > 0) {
      if (done.length === 0 && failure === undefined) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      if (failure !== undefined) throw failure;
      const r = done.shift();
      if (!r) continue;
      launch();
      yield r;
    }
    if (failure !== undefined) throw failure;
  } finally {
    // The consumer broke out, or a node's run failed for the whole fan-out: end the nodes still being asked.
    stop.abort(new AbortError('fan-out ended'));
  }
}

/** One line for a node that did not answer, naming it; the cause stays attached. */
function nodeError(node: MeshNode, err: unknown, timedOut: boolean, timeoutMs: number): MeshctlError {
  const data = { node: node.id, controlTls: node.controlTls };
  if (timedOut) {
    return new ConnectionError('ETIMEDOUT', `node '${node.id}' did not answer within ${formatMs(timeoutMs)}`, { cause: err, data: { ...data, timeoutMs } });
  }
  if (err instanceof MeshctlError) {
    const base = err.message;
    const message = base.includes(`'${node.id}'`) ? base : `node '${node.id}': ${base}`;
    return new MeshctlError(err.code, message, { cause: err, data: { ...err.data, ...data } });
  }
  return new MeshctlError('EINTERNAL', `node '${node.id}': ${err instanceof Error ? err.message : String(err)}`, { cause: err, data });
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  if (list.length === 0) return undefined;
  return list.length === 1 ? list[0] : AbortSignal.any(list);
}
