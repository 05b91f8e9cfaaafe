// `meshctl mesh status` and `meshctl work list --all-nodes`: one row per node (per unit), built from the fan-out's
// results (src/client/mesh-status.ts). Node IDs, versions, work types and error texts come from the mesh: on a
// terminal each is made printable() before it is styled; piped, tsv() does it. Pure functions: data → text.
import type { NodeSummary, WorkList, WorkUnitStatus } from '../protocol/types.js';
import { printable } from '../printable.js';
import type { RenderContext } from './style.js';
import { alignedTable, tsv } from './table.js';
import { stateText } from './work.js';

/** Receptor's state order (workceptor WorkStateToString): the units column lists states in it. */
const STATE_ORDER = ['Pending', 'Running', 'Succeeded', 'Failed', 'Canceled'];

function orderedStates(units: Record<string, number>): [string, number][] {
  const rank = (s: string) => {
    const i = STATE_ORDER.indexOf(s);
    return i < 0 ? STATE_ORDER.length : i;
  };
  return Object.entries(units).sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : 1));
}

// The fan-out's results as this file needs them (src/client/mesh-status.ts NodeStatusResult and NodeWorkListResult
// have these shapes; render never imports the client).
interface NodeRef {
  id: string;
  controlTls: boolean;
}
interface ErrorRef {
  code: string;
  message: string;
}
export type NodeStatusResult =
  | {
      node: NodeRef;
      ok: true;
      summary: NodeSummary;
    }
  | { node: NodeRef; ok: false; error: ErrorRef };
export type NodeWorkListResult = { node: NodeRef; ok: true; value: WorkList } | { node: NodeRef; ok: false; error: ErrorRef };

/** The document of `mesh status --json` (docs/cli.md documents it): plain data, errors as code and message. */
export interface MeshStatusDoc {
  localNode: string;
  nodes: MeshStatusRowDoc[];
}

export type MeshStatusRowDoc =
  | ({ node: string; reachable: true; controlTls: boolean } & NodeSummary)
  | { node: string; reachable: false; controlTls: boolean; error: { code: string; message: string } };

export function meshStatusRowDoc(r: NodeStatusResult): MeshStatusRowDoc {
  if (!r.ok) return { node: r.node.id, reachable: false, controlTls: r.node.controlTls, error: { code: r.error.code, message: r.error.message } };
  const s = r.summary;
  return {
    node: r.node.id,
    reachable: true,
    controlTls: r.node.controlTls,
    nodeId: s.nodeId,
    version: s.version,
    cpus: s.cpus,
    memoryMiB: s.memoryMiB,
    workTypes: s.workTypes,
    units: s.units,
    connections: s.connections,
    // Microsecond precision is all a ping across a mesh can tell.
    rttMs: s.rttMs === null ? null : Math.round(s.rttMs * 1000) / 1000,
    ...(s.pingError !== undefined ? { pingError: s.pingError } : {}),
  };
}

export function meshStatusDoc(localNode: string, rows: readonly NodeStatusResult[]): MeshStatusDoc {
  return { localNode, nodes: rows.map(meshStatusRowDoc) };
}

function rttText(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

function unitsText(units: Record<string, number>, sep: string, pair: (state: string, n: number) => string): string {
  const list = orderedStates(units);
  return list.length === 0 ? '' : list.map(([s, n]) => pair(s, n)).join(sep);
}

/**
 * Piped: one record per node, no header, the columns of docs/cli.md: node, ok|unreachable, version, cpus,
 * memory MiB, work types (comma-separated), units (State=N,...), connections (count), rtt ms, error.
 */
export function meshStatusTsvRow(d: MeshStatusRowDoc): string[] {
  if (!d.reachable) return [d.node, 'unreachable', '', '', '', '', '', '', '', d.error.message];
  return [
    d.node,
    'ok',
    d.version,
    String(d.cpus),
    String(d.memoryMiB),
    d.workTypes.join(','),
    unitsText(d.units, ',', (s, n) => `${s}=${n}`),
    String(d.connections.length),
    d.rttMs === null ? '' : String(d.rttMs),
    d.pingError ?? '',
  ];
}

export function renderMeshStatus(doc: MeshStatusDoc, ctx: RenderContext): string {
  if (!ctx.tty) return tsv(doc.nodes.map(meshStatusTsvRow));
  const st = ctx.style;
  const rows = doc.nodes.map((d) => {
    const name = d.node === doc.localNode ? `${printable(d.node)} *` : printable(d.node);
    if (!d.reachable) return [st.bold(name), '-', '-', '-', '-', '-', '-', '-', st.red(`unreachable: ${printable(d.error.message)}`)];
    return [
      st.bold(name),
      printable(d.version) || '-',
      String(d.cpus),
      `${d.memoryMiB} MiB`,
      d.workTypes.map((w) => printable(w)).join(', ') || '-',
      unitsText(d.units, ', ', (s, n) => `${n} ${printable(s).toLowerCase()}`) || '-',
      String(d.connections.length),
      rttText(d.rttMs),
      d.pingError !== undefined ? st.yellow(`ping: ${printable(d.pingError)}`) : st.green('ok'),
    ];
  });
  // The status text (a reason can be long) gives way first, then work types and units.
  return alignedTable(['Node', 'Version', 'CPUs', 'Memory', 'Work Types', 'Units', 'Conns', 'RTT', 'Status'], rows, ctx, [
    {},
    { shrink: 3 },
    {},
    {},
    { shrink: 2 },
    { shrink: 2 },
    {},
    {},
    { shrink: 1 },
  ]);
}

/** The one-line summary under a terminal table: `3 of 4 nodes answered`. */
export function meshStatusSummary(doc: MeshStatusDoc): string {
  const ok = doc.nodes.filter((n) => n.reachable).length;
  return `${ok} of ${doc.nodes.length} node${doc.nodes.length === 1 ? '' : 's'} answered`;
}

// --- work list --all-nodes ------------------------------------------------------------------------------

/**
 * The document of `work list --all-nodes --json`: keyed by node ID, each node's own `work list` reply (unit ID →
 * status, as `work list --json`), or `{"error": {code, message}}` for a node that did not answer. Keyed by node
 * because unit IDs are only unique per node.
 */
export type AllNodesWorkDoc = Record<string, { units: WorkList } | { error: { code: string; message: string } }>;

export interface UnitFilter {
  /** State numbers (src/protocol/types.ts WorkState). */
  states?: readonly number[];
  workTypes?: readonly string[];
}

export function filterUnits(list: WorkList, f: UnitFilter): WorkList {
  // No filter, the common case: the list itself. Copying it unit by unit took 0.6 s of a 74 MB `work list` reply
  // (bench/big-reply.js, issue 13).
  if (!f.states?.length && !f.workTypes?.length) return list;
  // Unit IDs are the client's choice (Receptor's workUnitID): a unit called `__proto__` must stay a key, not
  // become the copy's prototype.
  const out: WorkList = Object.create(null) as WorkList;
  for (const [id, st] of Object.entries(list)) {
    if (f.states?.length && !f.states.includes(st.State)) continue;
    if (f.workTypes?.length && !f.workTypes.includes(st.WorkType)) continue;
    out[id] = st;
  }
  return out;
}

export function allNodesWorkDoc(rows: readonly NodeWorkListResult[], f: UnitFilter): AllNodesWorkDoc {
  const doc: AllNodesWorkDoc = {};
  for (const r of rows) doc[r.node.id] = r.ok ? { units: filterUnits(r.value, f) } : { error: { code: r.error.code, message: r.error.message } };
  return doc;
}

/** What `work list --all-nodes --query` sees: every unit as an array element, `node` and `id` first. */
export function allNodesQueryData(doc: AllNodesWorkDoc): ({ node: string; id: string } & WorkUnitStatus)[] {
  const out: ({ node: string; id: string } & WorkUnitStatus)[] = [];
  for (const [node, entry] of Object.entries(doc)) {
    if ('units' in entry) for (const [id, st] of Object.entries(entry.units)) out.push({ node, id, ...st });
  }
  return out;
}

/** Terminal: the units under a NODE column; piped: `node<TAB>id<TAB>type<TAB>state<TAB>size<TAB>detail`. */
export function renderAllNodesWork(doc: AllNodesWorkDoc, ctx: RenderContext): string {
  const units = allNodesQueryData(doc);
  if (!ctx.tty) return tsv(units.map((u) => [u.node, u.id, u.WorkType, u.StateName, u.StdoutSize, u.Detail]));
  if (units.length === 0) return '';
  const rows = units.map((u) => [printable(u.node), printable(u.id), printable(String(u.WorkType)), stateText(u, ctx.style), String(u.StdoutSize), printable(String(u.Detail))]);
  return alignedTable(['Node', 'Unit ID', 'Work Type', 'State', 'Stdout', 'Detail'], rows, ctx, [{}, {}, { shrink: 2 }, {}, {}, { shrink: 1 }]);
}
