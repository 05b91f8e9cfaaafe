// meshctl reload: the node re-reads its config file (pkg/controlsvc/reload.go). Failure is a JSON reply with
// Success:false and an Error that may end in "ERRORCODE n"; it exits with the table's SERVER status (receptorctl
// uses 3/4/5 instead, which meshctl's table gives to connection and TLS failures).
import type { Factory } from '../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../cmdutil/output.js';
import { MeshctlError } from '../errors.js';

export type ReloadOptions = StructuredFlags;

export async function run(o: ReloadOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const c = await f.client();
  const r = await f.spinner.while('reloading the node configuration', () => c.reload());
  await f.print(format, r, () => (r.Success ? 'Reload successful\n' : ''));
  if (!r.Success) {
    throw new MeshctlError('ERELOAD', `reload failed: ${r.Error}`);
  }
}
