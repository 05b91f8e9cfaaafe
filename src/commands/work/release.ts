// meshctl work release ID... | --all [--force]: cancel and delete units (Receptor `work release`, or
// `work force-release` with --force, which deletes locally even when a remote node cannot be reached).
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { UsageError } from '../../errors.js';
import { onUnits } from './unit-ops.js';

export interface ReleaseOptions extends StructuredFlags {
  unitIds: string[];
  all?: boolean;
  force?: boolean;
}

export async function run(o: ReleaseOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  if (o.all && o.unitIds.length > 0) throw new UsageError('give unit ids or --all, not both');
  if (!o.all && o.unitIds.length === 0) throw new UsageError('no unit ids given', { hint: 'name one or more unit ids, or use --all' });
  const c = await f.client();
  const ids = o.all ? Object.keys(await f.spinner.while('listing work units', () => c.workList())) : o.unitIds;
  if (ids.length === 0) {
    if (format !== 'human') await f.print(format, [], () => '');
    else f.note('no work units to release');
    return;
  }
  await onUnits(f, c, o.force ? 'force-release' : 'release', ids, format);
}
