// meshctl status: the node's view of the mesh (Receptor `status`, pkg/controlsvc/status.go).
import type { Factory, StructuredFlags } from '../cli/factory.js';
import { outputFormat } from '../cli/factory.js';
import { renderStatus } from '../render/status.js';

export type StatusOptions = StructuredFlags;

export async function run(o: StatusOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const c = await f.client();
  const status = await f.spinner.while('asking the node for its status', () => c.status());
  await f.print(format, status, (ctx) => renderStatus(status, ctx));
}
