// `meshctl status`: the sections receptorctl prints (receptorctl/cli.py status), as aligned tables on a
// terminal; piped, one record per line whose first field names the record type, so a script can grep for
// `^route\t` without caring about layout. Everything in a status comes from the mesh (node IDs, services, tags,
// work types): on a terminal each string is made printable() before it is styled; piped, tsv() does it.
import type { Advertisement, Connection, Status } from '../protocol/types.js';
import { printable } from '../printable.js';
import type { RenderContext } from './style.js';
import { toJson } from './structured.js';
import { alignedTable, tsv } from './table.js';

const KNOWN = new Set([
  'NodeID',
  'Version',
  'SystemCPUCount',
  'SystemMemoryMiB',
  'Connections',
  'KnownConnectionCosts',
  'RoutingTable',
  'Advertisements',
]);

export function connTypeName(t: number): string {
  switch (t) {
    case 0:
      return 'Datagram';
    case 1:
      return 'Stream';
    case 2:
      return 'StreamTLS';
    default:
      return String(t);
  }
}

/** `2024-10-24T16:36:52.1234567-04:00` → `2024-10-24 16:36:52`, in the advertiser's own offset (as receptorctl). */
export function shortTime(rfc3339: string): string {
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)/.exec(rfc3339);
  return m ? `${m[1]} ${m[2]}` : rfc3339;
}

function tagsText(tags: Record<string, string> | null | undefined): string {
  if (!tags || Object.keys(tags).length === 0) return '-';
  return Object.entries(tags)
    .map(([k, v]) => `${text(k)}=${text(v)}`)
    .join(', ');
}

/** A peer-supplied value for a terminal: a string, control characters escaped. */
function text(v: unknown): string {
  return printable(String(v ?? ''));
}

/** Work types per node (first ad that lists any wins, as receptorctl's print_worktypes). */
export function workTypesByNode(ads: readonly Advertisement[], secure: boolean): [string, string[]][] {
  const out = new Map<string, string[]>();
  for (const ad of ads) {
    if (out.has(ad.NodeID) || !ad.WorkCommands) continue;
    const types = ad.WorkCommands.filter((w) => Boolean(w.Secure) === secure).map((w) => w.WorkType);
    if (types.length > 0) out.set(ad.NodeID, types);
  }
  return [...out];
}

function num(n: unknown): string {
  return typeof n === 'number' ? String(n) : String(n ?? '');
}

export function renderStatus(s: Partial<Status>, ctx: RenderContext): string {
  return ctx.tty ? renderStatusTty(s, ctx) : renderStatusPiped(s);
}

function renderStatusTty(s: Partial<Status>, ctx: RenderContext): string {
  const b = ctx.style.bold;
  const sections: string[] = [];
  const head: [string, string][] = [];
  if ('NodeID' in s) head.push(['Node ID', text(s.NodeID)]);
  if ('Version' in s) head.push(['Version', s.Version === '' ? '(none)' : text(s.Version)]);
  if ('SystemCPUCount' in s) head.push(['System CPU Count', text(num(s.SystemCPUCount))]);
  if ('SystemMemoryMiB' in s) head.push(['System Memory MiB', text(num(s.SystemMemoryMiB))]);
  const w = Math.max(0, ...head.map(([k]) => k.length));
  if (head.length) sections.push(head.map(([k, v]) => `${b((k + ':').padEnd(w + 1))} ${v}\n`).join(''));

  const conns: Connection[] = s.Connections ?? [];
  if (conns.length) sections.push(alignedTable(['Connection', 'Cost'], conns.map((c) => [text(c.NodeID), text(num(c.Cost))]), ctx, [{ shrink: 1 }]));

  const costs = s.KnownConnectionCosts ?? {};
  if (Object.keys(costs).length) {
    const rows = Object.entries(costs).map(([node, peers]) => [
      text(node),
      Object.entries(peers ?? {})
        .map(([p, c]) => `${text(p)}: ${text(num(c))}`)
        .join('  ') || '-',
    ]);
    sections.push(alignedTable(['Known Node', 'Known Connections'], rows, ctx, [{ shrink: 2 }, { shrink: 1 }]));
  }

  const routes = s.RoutingTable ?? {};
  if (Object.keys(routes).length) sections.push(alignedTable(['Route', 'Via'], Object.entries(routes).map(([d, v]) => [text(d), text(v)]), ctx, [{ shrink: 1 }, { shrink: 1 }]));

  const ads = s.Advertisements ?? [];
  if (ads.length) {
    const rows = ads.map((a) => [text(a.NodeID), text(a.Service), text(connTypeName(a.ConnType)), text(shortTime(String(a.Time))), tagsText(a.Tags)]);
    // Tags (free text) give way first, then node and service names; the type and time never.
    sections.push(alignedTable(['Node', 'Service', 'Type', 'Last Seen', 'Tags'], rows, ctx, [{ shrink: 2 }, { shrink: 2 }, {}, {}, { shrink: 1 }]));
    for (const [secure, title] of [
      [false, 'Work Types'],
      [true, 'Secure Work Types'],
    ] as const) {
      const wt = workTypesByNode(ads, secure);
      if (wt.length) sections.push(alignedTable(['Node', title], wt.map(([n, t]) => [text(n), t.map(text).join(', ')]), ctx, [{ shrink: 2 }, { shrink: 1 }]));
    }
  }

  const extra = Object.entries(s as Record<string, unknown>).filter(([k]) => !KNOWN.has(k));
  if (extra.length) {
    // toJson leaves no control character raw (src/render/structured.ts).
    sections.push(`${b('Additional data returned from the node:')}\n${toJson(Object.fromEntries(extra))}`);
  }
  return sections.join('\n');
}

function renderStatusPiped(s: Partial<Status>): string {
  const rows: unknown[][] = [];
  if ('NodeID' in s) rows.push(['node_id', s.NodeID]);
  if ('Version' in s) rows.push(['version', s.Version]);
  if ('SystemCPUCount' in s) rows.push(['cpu_count', s.SystemCPUCount]);
  if ('SystemMemoryMiB' in s) rows.push(['memory_mib', s.SystemMemoryMiB]);
  for (const c of s.Connections ?? []) rows.push(['connection', c.NodeID, c.Cost]);
  for (const [node, peers] of Object.entries(s.KnownConnectionCosts ?? {})) {
    const list = Object.entries(peers ?? {});
    if (list.length === 0) rows.push(['known_connection', node]);
    for (const [p, c] of list) rows.push(['known_connection', node, p, c]);
  }
  for (const [dest, via] of Object.entries(s.RoutingTable ?? {})) rows.push(['route', dest, via]);
  const ads = s.Advertisements ?? [];
  for (const a of ads) {
    rows.push(['advertisement', a.NodeID, a.Service, connTypeName(a.ConnType), a.Time, a.Tags ? JSON.stringify(a.Tags) : '-']);
  }
  for (const [n, types] of workTypesByNode(ads, false)) for (const t of types) rows.push(['work_type', n, t]);
  for (const [n, types] of workTypesByNode(ads, true)) for (const t of types) rows.push(['secure_work_type', n, t]);
  for (const [k, v] of Object.entries(s as Record<string, unknown>)) if (!KNOWN.has(k)) rows.push(['extra', k, JSON.stringify(v)]);
  return tsv(rows);
}
