// meshctl version: our version and the node's. The only command that asks the node for its Version (receptorctl
// does it before every command, costing a round trip each time).
import type { Factory } from '../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../cmdutil/output.js';
import { meshctlVersion } from '../cmdutil/version.js';
import { AbortError } from '../errors.js';
import type { Status } from '../protocol/types.js';
import { renderVersion } from '../render/mesh.js';

export type VersionOptions = StructuredFlags;

export async function run(o: VersionOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const mine = meshctlVersion();
  let s: Status;
  let nodeId: string | undefined;
  try {
    const c = await f.client();
    s = await f.spinner.while('asking the node for its version', () => c.status(['Version']));
    nodeId = c.nodeId;
  } catch (err) {
    // The node is down or unreachable (or no address was given): our own version is still known and is what a
    // bug report needs, so print it, then fail with the error (kubectl version prints its client version, then
    // "The connection to the server ... was refused"). Not after Ctrl-C: the user asked to stop.
    if (!(err instanceof AbortError)) {
      await f.print(format, { meshctl: mine, NodeID: null, Version: null }, (ctx) => renderVersion(mine, undefined, undefined, ctx));
    }
    throw err;
  }
  const nodeVersion = typeof s.Version === 'string' ? s.Version : '';
  await f.print(format, { meshctl: mine, NodeID: nodeId ?? null, Version: nodeVersion }, (ctx) =>
    renderVersion(mine, nodeVersion, nodeId, ctx),
  );
}
