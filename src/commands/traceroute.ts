// meshctl traceroute NODE (pkg/controlsvc/traceroute.go): hops keyed by index as strings, shown in numeric order.
import type { Factory } from '../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../cmdutil/output.js';
import { MeshctlError } from '../errors.js';
import { renderTraceroute, sortedHops, tracerouteQueryData } from '../render/mesh.js';

export interface TracerouteOptions extends StructuredFlags {
  node: string;
}

export async function run(o: TracerouteOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const c = await f.client();
  const result = await f.spinner.while(`tracing the route to ${o.node}`, () => c.traceroute(o.node));
  await f.print(format, result, (ctx) => renderTraceroute(result, ctx), { queryData: tracerouteQueryData(result) });
  const bad = sortedHops(result).find(([, h]) => h.Error);
  if (bad) {
    const [n, h] = bad;
    throw new MeshctlError('EPINGFAILED', `traceroute to '${o.node}' stopped at hop ${n}${h.From ? ` (${h.From})` : ''}: ${h.Error}`);
  }
}
