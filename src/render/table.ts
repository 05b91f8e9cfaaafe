// Tables: aligned columns (cli-table3, no borders) on a terminal; tab-separated lines without a header when
// piped, so `cut -f2` and `awk -F'\t'` work and nothing depends on column widths.
//
// On a terminal of known width a table fits it: rather than let the terminal wrap a long row mid-word into the
// next line, the columns that may shrink are cut with `…`, the least important first and, among equals, the
// widest first (gh's table printer cuts its widest columns; kubectl leaves it to the terminal, and its -o wide
// asks for everything). Unit IDs, states and numbers never shrink: they are what a reader acts on. `--wide`
// (RenderContext.wide) and an unknown width (0: not sized, or piped) leave every column whole; piped output
// (TSV) is never cut.
import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import { printable } from '../printable.js';
import type { RenderContext } from './style.js';

// cli-table3 (CommonJS, with its own dependencies) is loaded on the first terminal table only: piped output,
// the common case in scripts, never needs it. Its utils' strlen (escape codes ignored, wide characters counted
// twice) measures cells exactly as the table lays them out. The require function is made then too: node:module
// brings Node's ES-module loader with it (~1 ms of `meshctl status` start-up, issue 13).
let require: NodeRequire | undefined;
const load = (id: string): unknown => (require ??= createRequire(import.meta.url))(id);
let TableClass: typeof TableType | undefined;
let strlenFn: ((s: string) => number) | undefined;
function tableClass(): typeof TableType {
  TableClass ??= load('cli-table3') as typeof TableType;
  return TableClass;
}
function strlen(s: string): number {
  strlenFn ??= (load('cli-table3/src/utils') as { strlen: (s: string) => number }).strlen;
  return strlenFn(s);
}

/**
 * A cell for TSV. Piped fields are mostly peer data (ids, details): control characters are escaped
 * (src/printable.ts), which also keeps a tab or a line break from splitting a record (`\t`, `\n`).
 */
export function tsvCell(v: unknown): string {
  return printable(String(v ?? ''));
}

export function tsv(rows: readonly (readonly unknown[])[]): string {
  return rows.map((r) => r.map(tsvCell).join('\t') + '\n').join('');
}

const BLANK = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** Blanks between two columns (BLANK.middle). */
const GAP = 2;

/** How a column may give way when the table is wider than the terminal. */
export interface ColumnSpec {
  /**
   * 0 (the default): never cut. Otherwise the order of cutting: all columns of priority 1 are cut (down to
   * their floor) before any of priority 2 is touched, and so on.
   */
  shrink?: number;
  /** Never cut below this many columns (default: the header's width, at least MIN_CUT_WIDTH). */
  min?: number;
}

/** A cut column keeps at least this much (with its `…`), unless it was narrower to begin with. */
export const MIN_CUT_WIDTH = 6;

/**
 * Column widths that fit `available` columns (gaps excluded). Each priority in turn lowers one cap on its
 * columns until the sum fits, so within a priority the widest are cut first, and none below its floor; a
 * priority is touched only once the earlier ones are all at their floors. If even that is too wide, the floors
 * are used and the terminal wraps what is left. Pure, for the tests.
 */
export function fitColumns(natural: readonly number[], floors: readonly number[], shrink: readonly number[], available: number): number[] {
  const widths = [...natural];
  const sum = (ws: readonly number[]) => ws.reduce((a, b) => a + b, 0);
  if (sum(widths) <= available) return widths;
  const tiers = [...new Set(shrink.filter((p) => p > 0))].sort((a, b) => a - b);
  for (const tier of tiers) {
    const active = widths.map((_, i) => shrink[i] === tier);
    const capped = (cap: number) => widths.map((w, i) => (active[i] ? Math.max(floors[i]!, Math.min(natural[i]!, cap)) : w));
    // The largest cap that fits; at cap 0 every active column is at its floor.
    let lo = 0;
    let hi = Math.max(...natural);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (sum(capped(mid)) <= available) lo = mid;
      else hi = mid - 1;
    }
    const next = capped(lo);
    for (let i = 0; i < widths.length; i++) widths[i] = next[i]!;
    if (sum(widths) <= available) return widths;
  }
  return widths;
}

/**
 * Aligned columns with a bold header row. Cells may already carry colour (widths ignore escape codes), so peer
 * text must be made printable() by the caller before it is styled; line breaks left in a cell become spaces.
 * `columns` says which columns may be cut to fit the terminal (see ColumnSpec); without it none is.
 */
export function alignedTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  ctx: RenderContext,
  columns: readonly ColumnSpec[] = [],
): string {
  const Table = tableClass();
  const cells = rows.map((r) => r.map((c) => c.replace(/\r?\n/g, ' ')));
  const options: TableType.TableConstructorOptions = {
    head: head.map((h) => ctx.style.bold(h)),
    chars: BLANK,
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true },
  };
  const width = ctx.wide ? 0 : (ctx.width ?? 0);
  if (width > 0) {
    const natural = head.map((h, i) => Math.max(strlen(h), ...cells.map((r) => strlen(r[i] ?? ''))));
    const shrink = head.map((_, i) => columns[i]?.shrink ?? 0);
    const floors = head.map((h, i) => Math.min(natural[i]!, columns[i]?.min ?? Math.max(strlen(h), MIN_CUT_WIDTH)));
    const widths = fitColumns(natural, floors, shrink, width - GAP * (head.length - 1));
    if (widths.some((w, i) => w < natural[i]!)) {
      // Fixed widths, no word wrap: cli-table3 cuts each longer cell to its width and ends it with '…'.
      options.colWidths = widths;
      options.wordWrap = false;
    }
  }
  const t = new Table(options);
  for (const r of cells) t.push(r);
  // cli-table3 pads the last column too; trailing blanks are noise in a terminal and in copied text.
  return t
    .toString()
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n') + '\n';
}

/** Table on a terminal, TSV (no header) when piped. */
export function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  ctx: RenderContext,
  columns?: readonly ColumnSpec[],
): string {
  return ctx.tty ? alignedTable(head, rows, ctx, columns) : tsv(rows);
}
