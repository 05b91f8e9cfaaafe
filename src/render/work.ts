// Work unit views: `work list`, `work status`, cancel/release outcomes, the submit result. Every string in a
// unit's status comes from a node (and its ID possibly from whoever submitted it): on a terminal each is made
// printable() before it is styled; piped, tsv() does it.
import type { SubmitResult, WorkList, WorkOutcome, WorkUnitStatus } from '../protocol/types.js';
import { workStateName } from '../protocol/types.js';
import { printable } from '../printable.js';
import type { RenderContext, Style } from './style.js';
import { alignedTable, tsv } from './table.js';

export function stateText(st: Pick<WorkUnitStatus, 'State' | 'StateName'>, style: Style): string {
  const name = printable(st.StateName || workStateName(st.State));
  switch (st.State) {
    case 1:
      return style.cyan(name);
    case 2:
      return style.green(name);
    case 3:
      return style.red(name);
    case 4:
      return style.yellow(name);
    default:
      return name;
  }
}

/** The node a unit runs on when it is remote work (ExtraData.RemoteNode), else ''. */
function remoteNode(st: WorkUnitStatus): string {
  const x = st.ExtraData;
  return x && typeof x === 'object' && typeof (x as { RemoteNode?: unknown }).RemoteNode === 'string'
    ? String((x as { RemoteNode: string }).RemoteNode)
    : '';
}

export function renderWorkList(list: WorkList, ctx: RenderContext): string {
  const ids = Object.keys(list);
  if (ctx.tty) {
    if (ids.length === 0) return '';
    const showRemote = ids.some((id) => remoteNode(list[id]!) !== '');
    const head = ['Unit ID', 'Work Type', 'State', 'Stdout', 'Detail', ...(showRemote ? ['Remote Node'] : [])];
    const rows = ids.map((id) => {
      const st = list[id]!;
      return [
        printable(id),
        printable(String(st.WorkType)),
        stateText(st, ctx.style),
        String(st.StdoutSize),
        printable(String(st.Detail)),
        ...(showRemote ? [printable(remoteNode(st)) || '-'] : []),
      ];
    });
    // Detail (free text) gives way first, then the work type and remote node; the id, state and size never.
    return alignedTable(head, rows, ctx, [{}, { shrink: 2 }, {}, {}, { shrink: 1 }, { shrink: 2 }]);
  }
  return tsv(ids.map((id) => [id, list[id]!.WorkType, list[id]!.StateName, list[id]!.StdoutSize, list[id]!.Detail]));
}

/**
 * What `work list --query` sees: the units as an array of their statuses, each with its `id` first. The --json
 * document is the node's reply, an object keyed by unit id, and JMESPath can filter arrays only
 * (`[?StateName=='Failed'].id`), with no way from an object's values back to their keys.
 */
export function workListQueryData(list: WorkList): ({ id: string } & WorkUnitStatus)[] {
  return Object.entries(list).map(([id, st]) => ({ id, ...st }));
}

/** Field label (terminal) / key (piped) pairs for one unit. */
function statusFields(id: string, st: WorkUnitStatus): [string, string, unknown][] {
  const f: [string, string, unknown][] = [
    ['Unit ID', 'unit_id', id],
    ['Work Type', 'work_type', st.WorkType],
    ['State', 'state', st.State],
    ['State Name', 'state_name', st.StateName],
    ['Detail', 'detail', st.Detail],
    ['Stdout Size', 'stdout_size', st.StdoutSize],
  ];
  const x = st.ExtraData;
  if (typeof x === 'string') {
    f.push(['Extra Data', 'extra', x]);
  } else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      f.push([k.replace(/([a-z])([A-Z])/g, '$1 $2'), `extra.${k}`, typeof v === 'object' && v !== null ? JSON.stringify(v) : v]);
    }
  }
  return f;
}

export function renderWorkStatus(id: string, st: WorkUnitStatus, ctx: RenderContext): string {
  const fields = statusFields(id, st);
  if (!ctx.tty) return tsv(fields.map(([, key, v]) => [key, v]));
  // ExtraData's keys come from the node too.
  for (const f of fields) f[0] = printable(f[0]);
  const w = Math.max(...fields.map(([label]) => label.length));
  return fields
    .filter(([, key]) => key !== 'state_name')
    .map(([label, key, v]) => {
      const text =
        key === 'state' ? `${stateText(st, ctx.style)} (${printable(String(st.State))})` : printable(key === 'stdout_size' ? `${v} bytes` : String(v ?? ''));
      return `${ctx.style.bold((label + ':').padEnd(w + 1))} ${text}\n`;
    })
    .join('');
}

/** `{"cancelled":"abc"}` → ['abc', 'cancelled']. */
export function outcomeOf(reply: WorkOutcome | Record<string, string>): [id: string, outcome: string] {
  const [outcome, id] = Object.entries(reply)[0] ?? ['', ''];
  return [String(id), outcome];
}

export function renderOutcome(reply: WorkOutcome | Record<string, string>, ctx: RenderContext): string {
  const [id, outcome] = outcomeOf(reply);
  if (!ctx.tty) return tsv([[id, outcome]]);
  const pending = outcome.endsWith('pending');
  const text = printable(outcome);
  return `${pending ? ctx.style.yellow(text) : ctx.style.green(text)} ${printable(id)}\n`;
}

export function renderSubmitResult(r: SubmitResult, ctx: RenderContext): string {
  if (!ctx.tty) return `${printable(String(r.unitid))}\n`;
  return `${ctx.style.bold('Result:')}  ${printable(String(r.result))}\n${ctx.style.bold('Unit ID:')} ${printable(String(r.unitid))}\n`;
}
