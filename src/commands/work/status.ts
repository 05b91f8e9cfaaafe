// meshctl work status ID (receptorctl has no such command; the protocol does: `work status`).
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { renderWorkStatus } from '../../render/work.js';

export interface WorkStatusOptions extends StructuredFlags {
  unitId: string;
}

export async function run(o: WorkStatusOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const c = await f.client();
  const st = await f.spinner.while(`asking for the status of ${o.unitId}`, () => c.workStatus(o.unitId));
  await f.print(format, st, (ctx) => renderWorkStatus(o.unitId, st, ctx));
}
