// The mesh as one node sees it, from its `status` reply alone: every node and link the routing updates carry
// (KnownConnectionCosts), a spanning tree from the local node along the routes it uses (RoutingTable), and each
// node's role from the service advertisements. Pure: no I/O, so `meshctl mesh graph` and any library user get the
// same picture from the same reply (a live one, or one stored as JSON).
//
// Receptor's own view, followed here (pkg/netceptor/netceptor.go):
// - KnownConnectionCosts[a][b] is the cost a's last routing update gave its link to b (handleRoutingUpdate); both
//   ends of a connection record it (runProtocol sets knownConnectionCosts[self][remote] and [remote][self]).
// - Routes are Dijkstra from the local node over those costs, the edge a → b weighing KnownConnectionCosts[a][b]
//   (updateRoutingTable); RoutingTable[dest] is the first hop. Ties are broken there by Go's map order, so the tree
//   below takes the first hop from RoutingTable wherever several shortest paths exist.
// - A control-service with a service name (`control` by default) is advertised with the tag
//   `type: Control Service` (pkg/controlsvc/controlsvc.go, ListenAndAdvertise); with `service: ""` it serves its
//   local socket only and advertises nothing. Work types ride only on that advert (netceptor.go sendServiceAds
//   adds WorkCommands to the ads tagged Control Service), so a node without one shows no work types either.
import type { Advertisement, Status } from './types.js';

/** What a node does, from its advertisements: runs work, answers control commands, or neither (relays only). */
export type MeshRole = 'executor' | 'control' | 'hop';

export interface MeshNode {
  id: string;
  /** 'executor' (advertises work types) and/or 'control' (advertises a control service); 'hop' when neither. */
  roles: MeshRole[];
  /** Work types the node advertises, sorted; `secure` ones verify signed work. */
  workTypes: { workType: string; secure: boolean }[];
  /** Services the node advertises, sorted. */
  services: string[];
  /** The local node reaches it (it is the local node, or on a path of known links from it). */
  reachable: boolean;
  /** Parent in the spanning tree (null for the local node and unreachable nodes). */
  parent: string | null;
  /** Cost of the tree link from the parent (null when there is no parent). */
  cost: number | null;
  /** Cost of the whole route from the local node (0 for it, null when unreachable). */
  pathCost: number | null;
  /** Links from the local node along the tree (0 for it, null when unreachable). */
  hops: number | null;
  /** First hop the local node's RoutingTable gives for it (null for the local node and unrouted nodes). */
  via: string | null;
}

export interface MeshLink {
  /** For a tree link the parent, else the lesser ID (code-unit order). */
  from: string;
  to: string;
  /** KnownConnectionCosts[from][to] (or [to][from] when only that end reported it). */
  cost: number;
  /** KnownConnectionCosts[to][from] when it differs from `cost`; absent otherwise. */
  reverseCost?: number;
  /** A link of the spanning tree; false: an extra link the routes do not use from here. */
  tree: boolean;
}

export interface MeshTopology {
  /** The local node: the root of the tree. */
  root: string;
  /** The root first, then the tree breadth first (children by ID), then unreachable nodes by ID. */
  nodes: MeshNode[];
  /** Tree links in node order, then the extra links sorted by (from, to). */
  links: MeshLink[];
}

const EPSILON = 1e-9;
const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The fields of a status reply the topology needs (a `status` with requested_fields may omit any). */
export type TopologyStatus = Pick<Status, 'NodeID'> & Partial<Pick<Status, 'KnownConnectionCosts' | 'RoutingTable' | 'Advertisements' | 'Connections'>>;

export function meshTopology(status: TopologyStatus): MeshTopology {
  const root = status.NodeID;
  const known = status.KnownConnectionCosts ?? {};
  const routes = status.RoutingTable ?? {};
  const ads = status.Advertisements ?? [];

  // Undirected links with the cost each end reported. The local node's own Connections count as its report when
  // KnownConnectionCosts lacks them (a requested_fields reply, or a node that has not recomputed yet).
  const cost = new Map<string, Map<string, number>>();
  const setCost = (a: string, b: string, c: number) => {
    if (a === b || !Number.isFinite(c)) return;
    let m = cost.get(a);
    if (!m) cost.set(a, (m = new Map()));
    m.set(b, c);
  };
  for (const [a, peers] of Object.entries(known)) for (const [b, c] of Object.entries(peers ?? {})) setCost(a, b, Number(c));
  if (!known[root]) for (const c of status.Connections ?? []) setCost(root, c.NodeID, Number(c.Cost));
  const directed = (a: string, b: string): number | undefined => cost.get(a)?.get(b) ?? cost.get(b)?.get(a);

  const ids = new Set<string>([root]);
  for (const [a, m] of cost) {
    ids.add(a);
    for (const b of m.keys()) ids.add(b);
  }
  for (const d of Object.keys(routes)) ids.add(d);
  for (const ad of ads) ids.add(ad.NodeID);
  const neighbours = new Map<string, string[]>([...ids].map((id) => [id, [] as string[]]));
  for (const id of ids) {
    const set = new Set<string>([...(cost.get(id)?.keys() ?? [])]);
    for (const [a, m] of cost) if (m.has(id)) set.add(a);
    neighbours.set(id, [...set].sort(byId));
  }

  // Dijkstra over the directed costs, as updateRoutingTable does.
  const dist = new Map<string, number>([[root, 0]]);
  const done = new Set<string>();
  for (;;) {
    let next: string | undefined;
    for (const [id, d] of dist) if (!done.has(id) && (next === undefined || d < dist.get(next)! - EPSILON || (Math.abs(d - dist.get(next)!) <= EPSILON && id < next))) next = id;
    if (next === undefined) break;
    done.add(next);
    for (const n of neighbours.get(next) ?? []) {
      const c = cost.get(next)?.get(n) ?? cost.get(n)?.get(next);
      if (c === undefined) continue;
      const d = dist.get(next)! + c;
      if (!dist.has(n) || d < dist.get(n)! - EPSILON) dist.set(n, d);
    }
  }

  // Parents: among the neighbours on a shortest path, the one whose first hop is the node's RoutingTable entry
  // (Receptor's own choice), else the lesser ID. Nodes are settled in order of distance, so a parent's first hop
  // is known before its children's.
  const order = [...dist.keys()].sort((a, b) => dist.get(a)! - dist.get(b)! || byId(a, b));
  const parent = new Map<string, string>();
  const firstHop = new Map<string, string>();
  for (const id of order) {
    if (id === root) continue;
    const candidates = (neighbours.get(id) ?? []).filter((p) => {
      if (!dist.has(p) || p === id || (p !== root && !parent.has(p))) return false;
      const c = cost.get(p)?.get(id) ?? cost.get(id)?.get(p);
      return c !== undefined && Math.abs(dist.get(p)! + c - dist.get(id)!) <= EPSILON * Math.max(1, dist.get(id)!);
    });
    if (candidates.length === 0) continue;
    const hopOf = (p: string) => (p === root ? id : firstHop.get(p)!);
    const chosen = candidates.find((p) => routes[id] !== undefined && hopOf(p) === routes[id]) ?? candidates[0]!;
    parent.set(id, chosen);
    firstHop.set(id, hopOf(chosen));
  }

  const children = new Map<string, string[]>();
  for (const [child, p] of parent) children.set(p, [...(children.get(p) ?? []), child]);
  const treeOrder: string[] = [];
  const depth = new Map<string, number>([[root, 0]]);
  for (let queue = [root]; queue.length; ) {
    const id = queue.shift()!;
    treeOrder.push(id);
    for (const c of (children.get(id) ?? []).sort(byId)) {
      depth.set(c, depth.get(id)! + 1);
      queue.push(c);
    }
  }
  const unreachable = [...ids].filter((id) => !depth.has(id)).sort(byId);

  const roleInfo = rolesFrom(ads);
  const nodes: MeshNode[] = [...treeOrder, ...unreachable].map((id) => {
    const info = roleInfo.get(id);
    const workTypes = info?.workTypes ?? [];
    const services = info?.services ?? [];
    const roles: MeshRole[] = [];
    if (workTypes.length) roles.push('executor');
    if (info?.control) roles.push('control');
    if (roles.length === 0) roles.push('hop');
    const p = parent.get(id);
    const reachable = depth.has(id);
    return {
      id,
      roles,
      workTypes,
      services,
      reachable,
      parent: p ?? null,
      cost: p === undefined ? null : directed(p, id)!,
      pathCost: reachable ? dist.get(id)! : null,
      hops: reachable ? depth.get(id)! : null,
      via: id === root ? null : (routes[id] ?? null),
    };
  });

  const links: MeshLink[] = [];
  const seen = new Set<string>();
  const key = (a: string, b: string) => (a < b ? `${a}\0${b}` : `${b}\0${a}`);
  const link = (from: string, to: string, tree: boolean): MeshLink => {
    const c = directed(from, to)!;
    const back = directed(to, from)!;
    return { from, to, cost: c, ...(Math.abs(back - c) > EPSILON ? { reverseCost: back } : {}), tree };
  };
  for (const id of treeOrder) {
    const p = parent.get(id);
    if (p === undefined) continue;
    seen.add(key(p, id));
    links.push(link(p, id, true));
  }
  const extra: MeshLink[] = [];
  for (const [a, m] of cost) {
    for (const b of m.keys()) {
      const k = key(a, b);
      if (seen.has(k)) continue;
      seen.add(k);
      extra.push(a < b ? link(a, b, false) : link(b, a, false));
    }
  }
  links.push(...extra.sort((x, y) => byId(x.from, y.from) || byId(x.to, y.to)));
  return { root, nodes, links };
}

/** Services and work types per node. Work types: the union over the node's ads (receptorctl shows the first ad's). */
function rolesFrom(ads: readonly Advertisement[]): Map<string, { services: string[]; control: boolean; workTypes: { workType: string; secure: boolean }[] }> {
  const out = new Map<string, { services: Set<string>; control: boolean; work: Map<string, boolean> }>();
  for (const ad of ads) {
    let e = out.get(ad.NodeID);
    if (!e) out.set(ad.NodeID, (e = { services: new Set(), control: false, work: new Map() }));
    if (typeof ad.Service === 'string' && ad.Service !== '') e.services.add(ad.Service);
    // The tag marks a control service whatever its name; `control` is the name receptorctl and AWX dial.
    if (ad.Tags?.type === 'Control Service' || ad.Service === 'control') e.control = true;
    for (const w of ad.WorkCommands ?? []) {
      if (typeof w?.WorkType === 'string' && !e.work.has(w.WorkType)) e.work.set(w.WorkType, Boolean(w.Secure));
    }
  }
  return new Map(
    [...out].map(([id, e]) => [
      id,
      {
        services: [...e.services].sort(byId),
        control: e.control,
        workTypes: [...e.work].sort(([a], [b]) => byId(a, b)).map(([workType, secure]) => ({ workType, secure })),
      },
    ]),
  );
}
