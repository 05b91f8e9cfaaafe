// meshctl mesh status: every node the local node knows of, each asked on its own control service through the
// mesh (`connect NODE control`, src/client/mesh-status.ts), one row per node. Nodes that did not answer stay in
// the table with the reason, and the command then exits PARTIAL (src/errors.ts).
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { parseDurationOption } from '../../cmdutil/timeout.js';
import { MeshctlError, UsageError, abortReason } from '../../errors.js';
import { meshStatusDoc, meshStatusSummary, meshStatusTsvRow, renderMeshStatus, type MeshStatusDoc } from '../../render/mesh-status.js';
import { tsv } from '../../render/table.js';

export interface MeshStatusOptions extends StructuredFlags {
  /** Nodes asked at once (default 8). */
  concurrency?: number;
  /** tls-client of the local node for the hop to nodes whose control service is advertised with TLS. */
  tlsClient?: string;
  /** `--watch [interval]`: true (default interval) or the interval as typed. */
  watch?: boolean | string;
}

/** `--watch` without a value: refresh every 2 s (watch(1) and `kubectl get -w` feel). */
export const DEFAULT_WATCH_MS = 2_000;

export async function run(o: MeshStatusOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const watchMs = o.watch === undefined || o.watch === false ? undefined : o.watch === true ? DEFAULT_WATCH_MS : parseDurationOption('--watch', o.watch);
  if (watchMs !== undefined && format !== 'human') throw new UsageError('--watch only applies to the table, not to --json, --yaml or --query');
  if (watchMs === 0) throw new UsageError("invalid --watch '0': the interval must be above zero", { hint: 'give an interval such as 2s or 500ms' });
  const clientOptions = await f.clientOptions();
  // The global --timeout bounds each node's whole exchange here (connect, greeting, replies); without it, the
  // fan-out's default (5 s: a node a few hops away answers in milliseconds when it is up).
  const timeoutMs = clientOptions.commandTimeoutMs || undefined;
  const fan = { concurrency: o.concurrency, timeoutMs, tlsClient: o.tlsClient || undefined, signal: f.signal };
  const { meshStatus } = await import('../../client/mesh-status.js');
  const collect = async (): Promise<MeshStatusDoc> => {
    const report = await meshStatus(clientOptions, fan);
    return meshStatusDoc(report.localNode, report.nodes);
  };

  if (watchMs !== undefined) return watch(f, collect, watchMs);

  const doc = await f.spinner.while('asking every node of the mesh', collect);
  await f.print(format, doc, (ctx) => renderMeshStatus(doc, ctx));
  if (format === 'human' && f.io.stdoutIsTTY) f.note(meshStatusSummary(doc));
  const failed = doc.nodes.filter((n) => !n.reachable);
  if (failed.length > 0) throw partialError(doc, o.tlsClient);
}

function partialError(doc: MeshStatusDoc, tlsClient: string | undefined): MeshctlError {
  const failed = doc.nodes.filter((n) => !n.reachable);
  const names = failed.map((n) => n.node);
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  return new MeshctlError('EPARTIAL', `${failed.length} of ${doc.nodes.length} nodes did not answer: ${shown}`, {
    data: { nodes: names, tlsNodes: !tlsClient && failed.some((n) => n.controlTls) },
  });
}

/**
 * `--watch`: on a terminal the table is redrawn in place (cursor home, clear; watch(1)); piped, the first round
 * prints every row and later rounds only the rows that changed, plus `NODE<TAB>gone` for a node no longer known.
 * A row's RTT alone changing does not count: it differs on every round. Runs until interrupted.
 */
async function watch(f: Factory, collect: () => Promise<MeshStatusDoc>, intervalMs: number): Promise<void> {
  let previous = new Map<string, string>();
  for (;;) {
    const doc = await collect();
    if (f.io.stdoutIsTTY) {
      const ctx = f.render();
      const head = ctx.style.bold(`Every ${intervalMs / 1000}s: meshctl mesh status`) + `    ${new Date().toISOString()}\n\n`;
      await f.out(`\x1b[H\x1b[2J${head}${renderMeshStatus(doc, ctx)}${meshStatusSummary(doc)}\n`);
    } else {
      const { lines, seen } = watchChanges(previous, doc);
      previous = seen;
      if (lines.length > 0) await f.out(tsv(lines));
    }
    await sleep(intervalMs, f.signal);
  }
}

/**
 * The piped rows of one round that differ from the previous round's (by node; RTT left out of the comparison),
 * and `[node, 'gone']` for nodes of the previous round missing now. Pure, for the tests.
 */
export function watchChanges(previous: ReadonlyMap<string, string>, doc: MeshStatusDoc): { lines: string[][]; seen: Map<string, string> } {
  const seen = new Map<string, string>();
  const lines: string[][] = [];
  for (const d of doc.nodes) {
    const row = meshStatusTsvRow(d);
    const key = row.filter((_, i) => i !== 8).join('\t');
    seen.set(d.node, key);
    if (previous.get(d.node) !== key) lines.push(row);
  }
  for (const node of previous.keys()) if (!seen.has(node)) lines.push([node, 'gone']);
  return { lines, seen };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortReason(signal));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
