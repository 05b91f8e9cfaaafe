// cancel / release / force-release over several unit ids. Unlike receptorctl (which stops at the first
// failing id), every id is tried; each failure gets its own stderr line (Factory.printError) and the exit status
// reflects the first.
import type { ControlClient } from '../../client/control-client.js';
import type { Factory } from '../../cmdutil/factory.js';
import type { OutputFormat } from '../../render/structured.js';
import { renderOutcome } from '../../render/work.js';
import { MeshctlError } from '../../errors.js';
import { hintFor } from '../../cmdutil/hints.js';

export type UnitOp = 'cancel' | 'release' | 'force-release';

const VERB: Record<UnitOp, string> = { cancel: 'cancel', release: 'release', 'force-release': 'force-release' };

export async function onUnits(f: Factory, c: ControlClient, op: UnitOp, ids: readonly string[], format: OutputFormat): Promise<void> {
  const replies: Record<string, string>[] = [];
  const failures: { id: string; err: MeshctlError }[] = [];
  for (const id of ids) {
    try {
      const r = await f.spinner.while(`${VERB[op]} ${id}`, () =>
        op === 'cancel' ? c.workCancel(id) : c.workRelease(id, { force: op === 'force-release' }),
      );
      replies.push(r);
      if (format === 'human') await f.out(renderOutcome(r, f.render()));
    } catch (err) {
      // Only the node's refusal of this id is per-id; a lost connection or Ctrl-C ends the whole command.
      if (!(err instanceof MeshctlError) || !(err.code === 'ESERVER' || err.code === 'EUNKNOWNUNIT')) throw err;
      failures.push({ id, err });
      replies.push({ unitid: id, error: err.message });
      // With several ids, each failure gets its line now, printed as the CLI's error path prints errors; the
      // command's own error (below) sums them up.
      if (ids.length > 1) f.printError(new MeshctlError(err.code, `${VERB[op]} '${id}': ${err.message}`, { cause: err, hint: '' }));
    }
  }
  if (format !== 'human') await f.print(format, replies, () => '');
  if (failures.length === 0) return;
  const first = failures[0]!.err;
  if (ids.length === 1) throw first;
  throw new MeshctlError(first.code, `could not ${VERB[op]} ${failures.length} of ${ids.length} work units`, {
    hint: hintFor(first),
    data: { failed: failures.map((x) => x.id) },
  });
}
