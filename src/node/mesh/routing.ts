// Link-state routing as Receptor does it (pkg/netceptor/netceptor.go makeRoutingUpdate,
// handleRoutingUpdate, updateRoutingTable), without I/O: every node floods its direct connections and
// their costs with an (epoch, sequence) pair; every node keeps the latest update of each origin in
// `costs` (what `status` shows as KnownConnectionCosts) and runs Dijkstra over it for the next hop to
// every destination (RoutingTable). Times come in as arguments so tests need no clock.
import { randomBytes } from 'node:crypto';
import type { RoutingUpdate } from '../../protocol/netceptor/index.js';

export interface UpdateOutcome {
  /** Flood it on to every other link. */
  forward: boolean;
  /** KnownConnectionCosts changed: recompute routes. */
  changed: boolean;
  /** First update from this origin: Receptor floods its own update then, so the newcomer learns us. */
  newNode: boolean;
  /** Another node uses our ID with a newer epoch: flood an update naming its epoch as suspect. */
  suspectEpoch?: bigint;
  /** A node told us we are the duplicate (our epoch is the suspect one): Receptor shuts down. */
  weAreDuplicate?: boolean;
}

/** 8 random letters, as Receptor's randstr.RandomString(8) for update IDs. */
function randomId(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const bytes = randomBytes(8);
  let s = '';
  for (const b of bytes) s += letters[b % letters.length];
  return s;
}

/**
 * An epoch that grows across restarts, in receptor's form (netceptor.go NewWithConsts: unix seconds × 2^24 plus 24
 * random bits, a uint64 of about 2^54): every node keeps the newest epoch of each origin and drops older ones, so a
 * restarted node, meshctl or receptor, must win against its own earlier run. Receptor's low 24 bits are random, so
 * a restart within the same second loses half the time (its updates are then ignored mesh-wide); ours spend them
 * on the millisecond within the second (× 2^14) plus 14 random bits, which keeps the magnitude receptor expects
 * and makes a restart a millisecond later always win. A bigint: it does not fit a JS number exactly (json.ts).
 */
export function newEpoch(nowMs = Date.now()): bigint {
  const ms = Math.floor(nowMs);
  return (BigInt(Math.floor(ms / 1000)) << 24n) + (BigInt(ms % 1000) << 14n) + BigInt(randomBytes(2).readUInt16BE(0) & 0x3fff);
}

function sameCosts(a: Map<string, number> | undefined, b: Record<string, number>): boolean {
  if (!a) return false;
  const keys = Object.keys(b);
  if (keys.length !== a.size) return false;
  return keys.every((k) => a.get(k) === b[k]);
}

export class RoutingState {
  private sequence = 0n;
  private readonly known = new Map<string, { epoch: bigint; sequence: bigint }>();
  /** node → peer → cost: KnownConnectionCosts. */
  readonly costs = new Map<string, Map<string, number>>();
  private readonly seen = new Map<string, number>();
  /** destination → next hop (self excluded). */
  table = new Map<string, string>();
  /** destination → total path cost. */
  pathCosts = new Map<string, number>();

  constructor(
    readonly self: string,
    readonly epoch: bigint = newEpoch(),
  ) {}

  /** A link to `peer` came up (runProtocol: both directions recorded at once, Receptor does the same). */
  connect(peer: string, cost: number): void {
    this.edges(this.self).set(peer, cost);
    this.edges(peer).set(this.self, cost);
  }

  /** The link to `peer` went away (removeConnection). The entries stay, possibly empty, as in Receptor. */
  disconnect(peer: string): void {
    this.costs.get(peer)?.delete(this.self);
    this.costs.get(this.self)?.delete(peer);
  }

  private edges(node: string): Map<string, number> {
    let m = this.costs.get(node);
    if (!m) {
      m = new Map();
      this.costs.set(node, m);
    }
    return m;
  }

  /** Our next update (makeRoutingUpdate): a fresh ID and the next sequence number. */
  makeUpdate(connections: ReadonlyMap<string, number>, suspectedDuplicate = 0n): RoutingUpdate {
    this.sequence += 1n;
    return {
      NodeID: this.self,
      UpdateID: randomId(),
      UpdateEpoch: this.epoch,
      UpdateSequence: this.sequence,
      Connections: Object.fromEntries(connections),
      ForwardingNode: this.self,
      SuspectedDuplicate: suspectedDuplicate,
    };
  }

  /** handleRoutingUpdate. `nowMs` stamps the update ID as seen. */
  handle(u: RoutingUpdate, nowMs: number): UpdateOutcome {
    const none: UpdateOutcome = { forward: false, changed: false, newNode: false };
    if (u.NodeID === '') return none;
    if (u.NodeID === this.self) {
      if (u.UpdateEpoch === this.epoch) return none;
      if (u.SuspectedDuplicate === this.epoch) return { ...none, weAreDuplicate: true };
      if (u.UpdateEpoch > this.epoch) return { ...none, suspectEpoch: u.UpdateEpoch };
      return none;
    }
    if (this.seen.has(u.UpdateID)) return none;
    this.seen.set(u.UpdateID, nowMs);
    if (u.SuspectedDuplicate !== 0n) {
      // Someone suspects a duplicate of u.NodeID: adopt the newer epoch so its updates are not dropped.
      const k = this.known.get(u.NodeID);
      if (k && k.epoch === u.SuspectedDuplicate) this.known.set(u.NodeID, { epoch: u.UpdateEpoch, sequence: u.UpdateSequence });
      return { forward: true, changed: false, newNode: false };
    }
    const k = this.known.get(u.NodeID);
    if (k) {
      if (u.UpdateEpoch < k.epoch) return none;
      if (u.UpdateEpoch === k.epoch && u.UpdateSequence <= k.sequence) return none;
    }
    this.known.set(u.NodeID, { epoch: u.UpdateEpoch, sequence: u.UpdateSequence });
    const changed = !sameCosts(this.costs.get(u.NodeID), u.Connections);
    if (changed) {
      this.costs.set(u.NodeID, new Map(Object.entries(u.Connections)));
      // A node that no longer lists a peer: drop the reverse edge too (the peer may never say so).
      for (const [node, edges] of this.costs) {
        if (node === this.self) continue;
        if (!(node in u.Connections)) edges.delete(u.NodeID);
      }
    }
    return { forward: true, changed, newNode: !k };
  }

  /** Forgets update IDs older than maxAgeMs (expireSeenUpdates). */
  expireSeen(nowMs: number, maxAgeMs: number): void {
    for (const [id, t] of this.seen) if (nowMs - t > maxAgeMs) this.seen.delete(id);
  }

  /**
   * updateRoutingTable: Dijkstra from self over `costs`. Like Receptor, only nodes that are keys of
   * `costs` can be destinations. Ties go to the smaller node ID so the table is deterministic.
   * Returns true when the table changed.
   */
  recompute(): boolean {
    const dist = new Map<string, number>();
    const prev = new Map<string, string>();
    const done = new Set<string>();
    dist.set(this.self, 0);
    for (;;) {
      let best: string | undefined;
      let bestCost = Infinity;
      for (const [node, d] of dist) {
        if (done.has(node)) continue;
        if (d < bestCost || (d === bestCost && best !== undefined && node < best)) {
          best = node;
          bestCost = d;
        }
      }
      if (best === undefined) break;
      done.add(best);
      for (const [peer, cost] of this.costs.get(best) ?? []) {
        if (!this.costs.has(peer) || done.has(peer)) continue;
        const c = bestCost + cost;
        const old = dist.get(peer);
        if (old === undefined || c < old || (c === old && best < (prev.get(peer) ?? ''))) {
          dist.set(peer, c);
          prev.set(peer, best);
        }
      }
    }
    const table = new Map<string, string>();
    for (const dest of dist.keys()) {
      if (dest === this.self) continue;
      let hop = dest;
      while (prev.get(hop) !== this.self) hop = prev.get(hop)!;
      table.set(dest, hop);
    }
    dist.delete(this.self);
    const changed = table.size !== this.table.size || [...table].some(([d, h]) => this.table.get(d) !== h);
    this.table = table;
    this.pathCosts = dist;
    return changed;
  }
}
