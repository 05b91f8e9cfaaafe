// Tables: aligned columns (cli-table3, no borders) on a terminal; tab-separated lines without a header when
// piped, so `cut -f2` and `awk -F'\t'` work and nothing depends on column widths.
import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import { printable } from '../printable.js';
import type { RenderContext } from './style.js';

// cli-table3 (CommonJS, with its own dependencies) is loaded on the first terminal table only: piped output,
// the common case in scripts, never needs it.
const require = createRequire(import.meta.url);
let TableClass: typeof TableType | undefined;
function tableClass(): typeof TableType {
  TableClass ??= require('cli-table3') as typeof TableType;
  return TableClass;
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

/**
 * Aligned columns with a bold header row. Cells may already carry colour (widths ignore escape codes), so peer
 * text must be made printable() by the caller before it is styled; line breaks left in a cell become spaces.
 */
export function alignedTable(head: readonly string[], rows: readonly (readonly string[])[], ctx: RenderContext): string {
  const Table = tableClass();
  const t = new Table({
    head: head.map((h) => ctx.style.bold(h)),
    chars: BLANK,
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true },
  });
  for (const r of rows) t.push(r.map((c) => c.replace(/\r?\n/g, ' ')));
  // cli-table3 pads the last column too; trailing blanks are noise in a terminal and in copied text.
  return t
    .toString()
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n') + '\n';
}

/** Table on a terminal, TSV (no header) when piped. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], ctx: RenderContext): string {
  return ctx.tty ? alignedTable(head, rows, ctx) : tsv(rows);
}
