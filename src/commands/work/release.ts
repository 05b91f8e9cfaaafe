// meshctl work release ID... | --all | --state S [--dry-run] [--force] [--yes]: cancel and delete units (Receptor
// `work release`, or `work force-release` with --force, which deletes locally even when a remote node cannot be
// reached).
//
// --all deletes every unit and its output, with no undo: on a terminal it asks first, and without one it needs
// --yes, as gh does for its destructive commands (`gh repo delete`: "--yes required when not running
// interactively"). receptorctl's `work release --all` asks nothing; scripts ported from it add --yes.
// --state S prunes: it selects from `work list` the units in those states, and asks the same way. --dry-run lists
// the selection and releases nothing.
//
// --older-than is refused: nothing a node says over the control protocol tells a unit's age. Receptor's unit
// status is State, Detail, StdoutSize, WorkType, ExtraData (StatusFileData, pkg/workceptor/workunitbase.go), with
// no time; unit ids are random (randstr.RandomString(8), Workceptor.generateUnitID); the status file's mtime stays
// on the node's disk. The embedded node answers exactly as Receptor does. Guessing an age would release the wrong
// units, so the flag says why it cannot work instead of being unknown (docs/cli.md shows the on-host alternative).
import { SilentError } from '../../cmdutil/errors.js';
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { confirm } from '../../cmdutil/prompt.js';
import { EXIT, UsageError } from '../../errors.js';
import type { WorkList } from '../../protocol/types.js';
import { renderWorkList, workListQueryData } from '../../render/work.js';
import { parseStates, stateNames } from './states.js';
import { onUnits } from './unit-ops.js';

export interface ReleaseOptions extends StructuredFlags {
  unitIds: string[];
  all?: boolean;
  force?: boolean;
  /** With --all or --state: release without asking (required without a terminal). */
  yes?: boolean;
  /** Release the units in these states (`--state`, case-insensitive, repeatable, comma-separated). */
  state?: string[];
  /** Refused with the reason: a unit's age is not known over the protocol (see above). */
  olderThan?: string;
  /** With --all or --state: list what would be released, release nothing. */
  dryRun?: boolean;
}

export async function run(o: ReleaseOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  if (o.olderThan !== undefined) {
    throw new UsageError(`--older-than '${o.olderThan}': a work unit's age is not known over the control protocol`, {
      hint: "Receptor's work status and work list carry no time; select by --state, or by the unit directories' times on the node's host",
    });
  }
  const states = o.state === undefined ? undefined : parseStates('--state', o.state);
  const bulk = Boolean(o.all) || states !== undefined;
  if (bulk && o.unitIds.length > 0) throw new UsageError(`give unit ids or ${states ? '--state' : '--all'}, not both`);
  if (!bulk && o.unitIds.length === 0) throw new UsageError('no unit ids given', { hint: 'name one or more unit ids, or use --all or --state' });
  if (o.dryRun && !bulk) {
    throw new UsageError('--dry-run needs --all or --state', { hint: 'with unit ids, the ids named are what would be released' });
  }
  const inState = states ? ` in state ${stateNames(states)}` : '';
  // Refused before anything is sent: a script must say --yes.
  const ask = bulk && !o.yes && !o.dryRun;
  if (ask && !f.io.canPrompt()) {
    throw new UsageError(`refusing to release ${states ? `work units${inState}` : 'every work unit'} without confirmation: no terminal to ask on`, {
      hint: states ? 'pass --yes to release them, or --dry-run to list them' : 'pass --yes to release them all, or name the unit ids',
    });
  }
  const c = await f.client();
  let ids = o.unitIds;
  let selected: WorkList = {};
  if (bulk) {
    const list = await f.spinner.while('listing work units', () => c.workList());
    selected = states ? Object.fromEntries(Object.entries(list).filter(([, st]) => states.includes(st.State))) : list;
    ids = Object.keys(selected);
  }
  const verb = o.force ? 'force-release' : 'release';
  if (o.dryRun) {
    await f.print(format, selected, (ctx) => renderWorkList(selected, ctx), { queryData: workListQueryData(selected) });
    f.note(`dry run: would ${verb} ${ids.length === 1 ? '1 work unit' : `${ids.length} work units`}${inState}; nothing released`);
    return;
  }
  if (ids.length === 0) {
    if (format !== 'human') await f.print(format, [], () => '');
    else f.note(`no work units${inState} to release`);
    return;
  }
  if (ask) {
    const units = ids.length === 1 ? `1 work unit${inState}` : states ? `${ids.length} work units${inState}` : `all ${ids.length} work units`;
    const on = c.nodeId ? ` of node '${c.nodeId}'` : '';
    if (!(await confirm(f.io, `${verb} ${units}${on}, deleting their output (yes/no)? `, f.signal))) {
      f.note('nothing released');
      throw new SilentError(EXIT.UNIT_FAILED);
    }
  }
  await onUnits(f, c, verb, ids, format);
}
