// `meshctl config get-contexts`: one row per context, the current one marked `*` (kubectl's CURRENT column).
// Context names and settings come from the user's own file, but are escaped like all text shown on a terminal.
import { printable } from '../printable.js';
import type { RenderContext } from './style.js';
import { alignedTable, tsv } from './table.js';

export interface ContextRow {
  name: string;
  current: boolean;
  socket?: string;
  rootcas?: string;
  cert?: string;
  insecureskipverify?: boolean;
  config?: string;
  'tls-client'?: string;
  timeout?: string;
}

/** What secures the connection, in a few words: `rootcas, cert`, `tls-client ctl`, plus `insecureskipverify`. */
export function tlsSummary(c: ContextRow): string {
  const parts: string[] = [];
  if (c.rootcas) parts.push('rootcas');
  if (c.cert) parts.push('cert');
  if (c['tls-client']) parts.push(`tls-client ${c['tls-client']}`);
  if (c.insecureskipverify) parts.push('insecureskipverify');
  return parts.join(', ');
}

/** Terminal: CURRENT NAME SOCKET TLS TIMEOUT with a header. Piped: the same columns tab-separated, no header. */
export function renderContexts(rows: readonly ContextRow[], ctx: RenderContext): string {
  if (!ctx.tty) return tsv(rows.map((c) => [c.current ? '*' : '', c.name, c.socket ?? '', tlsSummary(c), c.timeout ?? '']));
  if (rows.length === 0) return '';
  return alignedTable(
    ['Current', 'Name', 'Socket', 'TLS', 'Timeout'],
    rows.map((c) => [
      c.current ? '*' : '',
      c.current ? ctx.style.bold(printable(c.name)) : printable(c.name),
      printable(c.socket ?? '-'),
      printable(tlsSummary(c) || '-'),
      printable(c.timeout ?? '-'),
    ]),
    ctx,
  );
}
