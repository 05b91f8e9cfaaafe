// meshctl version: our version and the node's. The only command that asks the node for its Version (receptorctl
// does it before every command, costing a round trip each time).
import type { Factory } from '../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../cmdutil/output.js';
import { meshctlVersion } from '../cmdutil/version.js';
import { renderVersion } from '../render/mesh.js';

export type VersionOptions = StructuredFlags;

export async function run(o: VersionOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const mine = meshctlVersion();
  const c = await f.client();
  const s = await f.spinner.while('asking the node for its version', () => c.status(['Version']));
  const nodeVersion = typeof s.Version === 'string' ? s.Version : '';
  await f.print(format, { meshctl: mine, NodeID: c.nodeId ?? null, Version: nodeVersion }, (ctx) =>
    renderVersion(mine, nodeVersion, c.nodeId, ctx),
  );
}
