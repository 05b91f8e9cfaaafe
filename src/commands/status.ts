// meshctl status: the node's view of the mesh (Receptor `status`, pkg/controlsvc/status.go).
import type { Factory } from '../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../cmdutil/output.js';
import { renderStatus } from '../render/status.js';

export type StatusOptions = StructuredFlags;

export async function run(o: StatusOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const c = await f.client();
  const status = await f.spinner.while('asking the node for its status', () => c.status());
  await f.print(format, status, (ctx) => renderStatus(status, ctx));
}
