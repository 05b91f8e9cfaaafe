// meshctl work status ID (receptorctl has no such command; the protocol does: `work status`), and
// meshctl work status --wait ID... [--timeout D] [--for STATE], in the manner of `kubectl wait`: wait until each
// unit has ended; exit 0 when every one ended in a --for state (default Succeeded), 1 when one ended otherwise,
// 5 for a unit the node does not know, 124 when the time ran out (docs/exit-codes.md).
//
// The wait polls `work status` over the command's one client session (ControlClient.waitForUnit, src/client/
// wait.ts says why polling and how often). There is no default time limit, unlike kubectl's 30 s: a unit runs as
// long as its program does, and Ctrl-C, SIGTERM or timeout(1) end the wait at once (130/143) anyway.
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type OutputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { parseDurationOption } from '../../cmdutil/timeout.js';
import { AbortError, MeshctlError, UsageError } from '../../errors.js';
import { WorkState, workStateName, type WorkUnitStatus } from '../../protocol/types.js';
import { renderWaitLine } from '../../render/wait.js';
import { renderWorkStatus, workListQueryData } from '../../render/work.js';
import { parseStates, stateNames } from './states.js';
import { hintFor } from '../../cmdutil/hints.js';

export interface WorkStatusOptions extends StructuredFlags {
  /** One id; several with --wait. */
  unitIds: string[];
  /** Wait until each unit has ended. */
  wait?: boolean;
  /** With --wait: the wait's time limit (the `--timeout` typed after the verb); 0 or none = no limit. */
  waitTimeout?: string;
  /** With --wait: the final states that count as success (`--for`, repeatable, comma-separated). */
  for?: string[];
}

const FINAL = [WorkState.Succeeded, WorkState.Failed, WorkState.Canceled] as const;

export async function run(o: WorkStatusOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  if (!o.wait) {
    if (o.for !== undefined) throw new UsageError('--for needs --wait', { hint: 'add --wait to wait until the unit ends in that state' });
    if (o.unitIds.length !== 1) {
      throw new UsageError(`work status shows one unit, got ${o.unitIds.length} unit ids`, {
        hint: 'add --wait to wait for several units, or list them with `meshctl work list`',
      });
    }
    const id = o.unitIds[0]!;
    const c = await f.client();
    const st = await f.spinner.while(`asking for the status of ${id}`, () => c.workStatus(id));
    await f.print(format, st, (ctx) => renderWorkStatus(id, st, ctx));
    return;
  }
  await waitForUnits(o, f, format);
}

/** One unit's end of the wait: its last status (when one was read) and, unless it ended as wanted, why not. */
interface Waited {
  status?: WorkUnitStatus;
  error?: MeshctlError;
}

async function waitForUnits(o: WorkStatusOptions, f: Factory, format: OutputFormat): Promise<void> {
  // Everything the user typed is checked before connecting.
  const wanted = o.for === undefined ? [WorkState.Succeeded as number] : parseStates('--for', o.for);
  const notFinal = wanted.find((s) => !(FINAL as readonly number[]).includes(s));
  if (notFinal !== undefined) {
    throw new UsageError(`--for '${workStateName(notFinal).toLowerCase()}': --wait waits for units to end`, {
      hint: 'give the final states that count as success: succeeded, failed, canceled',
    });
  }
  const timeoutMs = o.waitTimeout === undefined ? 0 : parseDurationOption('--timeout', o.waitTimeout);
  const ids = [...new Set(o.unitIds)];
  const c = await f.client();

  // A lost connection or Ctrl-C ends every wait; a unit's own outcome (unknown, ended otherwise, timed out) ends
  // only its own.
  const stopAll = new AbortController();
  const signal = AbortSignal.any([f.signal, stopAll.signal]);
  const results = new Map<string, Waited>();
  let pending = ids.length;
  const spin = () => f.spinner.start(pending === 1 && ids.length === 1 ? `waiting for work unit ${ids[0]}` : `waiting for ${pending} of ${ids.length} work units`);
  spin();
  let fatal: unknown;
  // Human lines go out as units end; the spinner (stderr) is stopped around each so the two never share a line.
  let printing = Promise.resolve();
  await Promise.all(
    ids.map(async (id) => {
      const w: Waited = {};
      results.set(id, w);
      try {
        w.status = await c.waitForUnit(id, { signal, timeoutMs, onStatus: (s) => (w.status = s) });
        if (!wanted.includes(w.status.State)) w.error = endedOtherwise(f, id, w.status, wanted);
      } catch (err) {
        if (fatal !== undefined) return;
        if (err instanceof MeshctlError && err.code === 'EWAITTIMEOUT') {
          w.error = new MeshctlError('EWAITTIMEOUT', err.message, {
            cause: err,
            data: err.data,
            hint: `wait longer with a larger --timeout, or see the unit: ${f.commandHint('work', 'status', id)}`,
          });
        } else if (err instanceof MeshctlError && err.code === 'EUNKNOWNUNIT') {
          w.error = err;
        } else {
          fatal = err;
          stopAll.abort(err instanceof AbortError ? err : new AbortError('stopped'));
          return;
        }
      }
      pending--;
      printing = printing.then(async () => {
        if (fatal !== undefined) return;
        f.spinner.stop();
        if (format === 'human' && w.status && w.error?.code !== 'EWAITTIMEOUT') await f.out(renderWaitLine(id, w.status, f.render()));
        if (w.error && ids.length > 1) f.printError(new MeshctlError(w.error.code, `wait for '${id}': ${w.error.message}`, { cause: w.error, hint: hintFor(w.error) }));
        if (pending > 0) spin();
      });
      await printing;
    }),
  );
  f.spinner.stop();
  if (fatal !== undefined) throw fatal;

  const known = ids.filter((id) => results.get(id)!.status !== undefined);
  if (format === 'human') {
    // Units the wait gave up on: their last state, after the ones that ended.
    for (const id of known) {
      const w = results.get(id)!;
      if (w.error?.code === 'EWAITTIMEOUT') await f.out(renderWaitLine(id, w.status!, f.render()));
    }
  } else if (ids.length === 1) {
    if (known.length === 1) await f.print(format, results.get(ids[0]!)!.status, () => '');
  } else {
    const statuses = Object.fromEntries(known.map((id) => [id, results.get(id)!.status!]));
    // --query sees them as `work list --query` does: an array, each with its id.
    await f.print(format, statuses, () => '', { queryData: workListQueryData(statuses) });
  }

  const failed = ids.filter((id) => results.get(id)!.error);
  if (failed.length === 0) return;
  const first = results.get(failed[0]!)!.error!;
  if (ids.length === 1) throw first;
  throw new MeshctlError(first.code, `${failed.length} of ${ids.length} work units did not end ${stateNames(wanted)}`, {
    hint: hintFor(first),
    data: { failed },
  });
}

function endedOtherwise(f: Factory, id: string, st: WorkUnitStatus, wanted: readonly number[]): MeshctlError {
  const state = st.StateName || workStateName(st.State);
  const detail = st.Detail && st.Detail !== state ? `: ${st.Detail}` : '';
  return new MeshctlError('EUNITFAILED', `work unit '${id}' ended ${state}, not ${stateNames(wanted)}${detail}`, {
    hint: `see its output: ${f.commandHint('work', 'results', id)}`,
    data: { unitId: id, state: st.State },
  });
}
