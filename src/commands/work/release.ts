// meshctl work release ID... | --all [--force] [--yes]: cancel and delete units (Receptor `work release`, or
// `work force-release` with --force, which deletes locally even when a remote node cannot be reached).
//
// --all deletes every unit and its output, with no undo: on a terminal it asks first, and without one it needs
// --yes, as gh does for its destructive commands (`gh repo delete`: "--yes required when not running
// interactively"). receptorctl's `work release --all` asks nothing; scripts ported from it add --yes.
import { SilentError } from '../../cmdutil/errors.js';
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { confirm } from '../../cmdutil/prompt.js';
import { EXIT, UsageError } from '../../errors.js';
import { onUnits } from './unit-ops.js';

export interface ReleaseOptions extends StructuredFlags {
  unitIds: string[];
  all?: boolean;
  force?: boolean;
  /** With --all: release without asking (required without a terminal). */
  yes?: boolean;
}

export async function run(o: ReleaseOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  if (o.all && o.unitIds.length > 0) throw new UsageError('give unit ids or --all, not both');
  if (!o.all && o.unitIds.length === 0) throw new UsageError('no unit ids given', { hint: 'name one or more unit ids, or use --all' });
  // Refused before anything is sent: a script must say --yes.
  const ask = o.all && !o.yes;
  if (ask && !f.io.canPrompt()) {
    throw new UsageError('refusing to release every work unit without confirmation: no terminal to ask on', {
      hint: 'pass --yes to release them all, or name the unit ids',
    });
  }
  const c = await f.client();
  const ids = o.all ? Object.keys(await f.spinner.while('listing work units', () => c.workList())) : o.unitIds;
  if (ids.length === 0) {
    if (format !== 'human') await f.print(format, [], () => '');
    else f.note('no work units to release');
    return;
  }
  if (ask) {
    const units = ids.length === 1 ? '1 work unit' : `all ${ids.length} work units`;
    const on = c.nodeId ? ` of node '${c.nodeId}'` : '';
    if (!(await confirm(f.io, `${o.force ? 'force-release' : 'release'} ${units}${on}, deleting their output (yes/no)? `, f.signal))) {
      f.note('nothing released');
      throw new SilentError(EXIT.UNIT_FAILED);
    }
  }
  await onUnits(f, c, o.force ? 'force-release' : 'release', ids, format);
}
