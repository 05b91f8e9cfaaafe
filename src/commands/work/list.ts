// meshctl work list: this node's units, or with --node another node's own list, read through
// `connect NODE control` (receptorctl work list --node does the same). --all-nodes does that for every node the
// local node knows of (src/client/mesh-status.ts meshWorkList), nodes that did not answer exiting PARTIAL.
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { MeshctlError, UsageError } from '../../errors.js';
import { printable } from '../../printable.js';
import { allNodesQueryData, allNodesWorkDoc, filterUnits, renderAllNodesWork, type UnitFilter } from '../../render/mesh-status.js';
import { renderWorkList, workListQueryData } from '../../render/work.js';
import { parseStates } from './states.js';

export interface WorkListOptions extends StructuredFlags {
  node?: string;
  unitId?: string;
  tlsClient?: string;
  quiet?: boolean;
  /** Every known node's units (with a NODE column); `tlsClient` is then used for TLS control services. */
  allNodes?: boolean;
  /** --state values as typed (comma-separated, repeatable). */
  state?: string[];
  workType?: string[];
  /** With allNodes: nodes asked at once. */
  concurrency?: number;
}

export async function run(o: WorkListOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  if (o.quiet && format !== 'human') throw new UsageError('--quiet cannot be combined with --json, --yaml or --query');
  const filter: UnitFilter = { states: o.state?.length ? parseStates('--state', o.state) : undefined, workTypes: o.workType };
  if (o.allNodes) return allNodes(o, f, format, filter);
  if (o.tlsClient && !o.node) throw new UsageError('--tls-client only applies with --node NODE or --all-nodes');
  const local = await f.client();
  const target = o.node ? local.viaNode(o.node, { tlsName: o.tlsClient || undefined }) : local;
  try {
    const where = o.node ? `asking ${o.node} for its work units` : 'listing work units';
    const list = filterUnits(await f.spinner.while(where, () => target.workList(o.unitId || undefined)), filter);
    if (o.quiet) {
      const ids = Object.keys(list);
      // Human output like the table: an id's control characters escaped (exact ids: --json).
      if (ids.length) await f.out(ids.map((id) => printable(id) + '\n').join(''));
      return;
    }
    // A getter: the array of every unit is made only for --query (0.5 s of a 74 MB reply, bench/big-reply.js).
    await f.print(format, list, (ctx) => renderWorkList(list, ctx), {
      get queryData() {
        return workListQueryData(list);
      },
    });
    if (format === 'human' && f.io.stdoutIsTTY && Object.keys(list).length === 0) f.note('no work units');
  } finally {
    if (target !== local) await target.close();
  }
}

async function allNodes(o: WorkListOptions, f: Factory, format: ReturnType<typeof outputFormat>, filter: UnitFilter): Promise<void> {
  if (o.node) throw new UsageError('--all-nodes and --node cannot be used together');
  if (o.unitId) throw new UsageError('--unit-id only applies to one node: use --node NODE --unit-id ID');
  const clientOptions = await f.clientOptions();
  const { meshWorkList } = await import('../../client/mesh-status.js');
  const report = await f.spinner.while('asking every node of the mesh for its work units', () =>
    meshWorkList(clientOptions, {
      concurrency: o.concurrency,
      // --timeout bounds each node's whole exchange; without it, the fan-out's default (5 s).
      timeoutMs: clientOptions.commandTimeoutMs || undefined,
      tlsClient: o.tlsClient || undefined,
      signal: f.signal,
    }),
  );
  const doc = allNodesWorkDoc(report.nodes, filter);
  const units = allNodesQueryData(doc);
  if (o.quiet) {
    if (units.length) await f.out(units.map((u) => `${printable(u.node)}\t${printable(u.id)}\n`).join(''));
  } else {
    await f.print(format, doc, (ctx) => renderAllNodesWork(doc, ctx), { queryData: units });
    if (format === 'human' && f.io.stdoutIsTTY && units.length === 0) f.note('no work units');
  }
  const failed = report.nodes.filter((n) => !n.ok);
  if (failed.length > 0) {
    const names = failed.map((n) => n.node.id);
    // Each node's reason, then the summary with the exit status PARTIAL.
    for (const n of failed) if (!n.ok) f.warn(n.error.message);
    throw new MeshctlError('EPARTIAL', `${failed.length} of ${report.nodes.length} nodes did not answer: ${names.join(', ')}`, {
      data: { nodes: names, tlsNodes: !o.tlsClient && failed.some((n) => n.node.controlTls) },
    });
  }
}
