// `work status --wait`: one line per unit once the wait is over for it (kubectl wait's "condition met" line,
// with the state it ended in). Piped, the line is the unit's `work list` record (id, work type, state, stdout
// size, detail), so a script reads both commands' output the same way.
import type { WorkUnitStatus } from '../protocol/types.js';
import { printable } from '../printable.js';
import type { RenderContext } from './style.js';
import { tsv } from './table.js';
import { stateText } from './work.js';

export function renderWaitLine(id: string, st: WorkUnitStatus, ctx: RenderContext): string {
  if (!ctx.tty) return tsv([[id, st.WorkType, st.StateName, st.StdoutSize, st.Detail]]);
  const detail = st.Detail && st.Detail !== st.StateName ? `  ${printable(String(st.Detail))}` : '';
  return `${printable(id)}  ${stateText(st, ctx.style)}${detail}\n`;
}
