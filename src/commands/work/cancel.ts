// meshctl work cancel ID...: stop units, keep their files (Receptor `work cancel`).
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { onUnits } from './unit-ops.js';

export interface CancelOptions extends StructuredFlags {
  unitIds: string[];
}

export async function run(o: CancelOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const c = await f.client();
  await onUnits(f, c, 'cancel', o.unitIds, format);
}
