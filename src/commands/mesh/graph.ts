// meshctl mesh graph: the topology the local node knows (its `status`: KnownConnectionCosts, RoutingTable,
// Advertisements), drawn as a tree from the local node, or written as DOT / Mermaid / JSON for pictures. One status
// reply is enough: every node's links and costs reach every node in the routing updates (Receptor's
// handleRoutingUpdate), so no other node is asked anything.
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { UsageError } from '../../errors.js';

export const GRAPH_FORMATS = ['tree', 'dot', 'mermaid', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export interface MeshGraphOptions extends StructuredFlags {
  /** tree (default: a tree on a terminal, records piped), dot, mermaid, json (= --json). */
  format?: GraphFormat;
}

/** The output the flags ask for; dot and mermaid are pictures and take none of --json, --yaml or --query. */
export function graphOutput(o: MeshGraphOptions): { picture: 'dot' | 'mermaid' } | { structured: ReturnType<typeof outputFormat> } {
  const format = o.format ?? 'tree';
  if (!(GRAPH_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`unknown graph format '${String(format)}'`, { hint: `use one of ${GRAPH_FORMATS.join(', ')}` });
  }
  if (format === 'dot' || format === 'mermaid') {
    const other = o.json ? '--json' : o.yaml ? '--yaml' : o.query !== undefined ? '--query' : undefined;
    if (other) throw new UsageError(`--format ${format} cannot be combined with ${other}`, { hint: 'use --format json for structured output' });
    return { picture: format };
  }
  if (format === 'json' && o.yaml) throw new UsageError('--format json and --yaml cannot be used together');
  return { structured: outputFormat(format === 'json' ? { ...o, json: true } : o) };
}

export async function run(o: MeshGraphOptions, f: Factory): Promise<void> {
  const out = graphOutput(o);
  const c = await f.client();
  const status = await f.spinner.while('asking the node for its view of the mesh', () => c.status());
  const [{ meshTopology }, render] = await Promise.all([import('../../protocol/mesh-topology.js'), import('../../render/mesh-graph.js')]);
  const topology = meshTopology(status);
  if ('picture' in out) {
    await f.out(out.picture === 'dot' ? render.renderDot(topology) : render.renderMermaid(topology));
    return;
  }
  await f.print(out.structured, topology, (ctx) => render.renderMeshTree(topology, ctx));
}
