// ping, traceroute and version views. Node names, times and errors come from the mesh: printable() on a
// terminal before styling; piped, tsv() does it.
import type { PingResult, TracerouteResult } from '../protocol/types.js';
import { printable } from '../printable.js';
import type { RenderContext } from './style.js';
import { alignedTable, tsv } from './table.js';

/** A successful ping: receptorctl's `Reply from X in T` on a terminal; `node<TAB>ns<TAB>duration` piped. */
export function renderPingReply(r: Extract<PingResult, { Success: true }>, ctx: RenderContext): string {
  return ctx.tty ? `Reply from ${ctx.style.bold(printable(String(r.From)))} in ${printable(String(r.TimeStr))}\n` : tsv([[r.From, r.Time, r.TimeStr]]);
}

/** Hop indexes are JSON object keys (strings), so "10" sorts before "2": order them as numbers. */
export function sortedHops(result: TracerouteResult): [number, TracerouteResult[string]][] {
  return Object.entries(result)
    .map(([k, v]) => [Number(k), v] as [number, TracerouteResult[string]])
    .sort((a, b) => a[0] - b[0]);
}

/**
 * What `traceroute --query` sees: the hops in order as an array, each with its number as `hop` first (the
 * --json document is the node's reply, an object keyed by "0", "1", ...; JMESPath filters arrays only).
 */
export function tracerouteQueryData(result: TracerouteResult): ({ hop: number } & TracerouteResult[string])[] {
  return sortedHops(result).map(([hop, h]) => ({ hop, ...h }));
}

export function renderTraceroute(result: TracerouteResult, ctx: RenderContext): string {
  const hops = sortedHops(result);
  if (!ctx.tty) return tsv(hops.map(([n, h]) => [n, h.From, h.Time, h.TimeStr, h.Error ?? '']));
  const anyError = hops.some(([, h]) => h.Error);
  const rows = hops.map(([n, h]) => [
    String(n),
    printable(String(h.From)),
    printable(String(h.TimeStr)),
    ...(anyError ? [h.Error ? ctx.style.red(printable(String(h.Error))) : ''] : []),
  ]);
  // The error text gives way first, then the node name.
  return alignedTable(['Hop', 'Node', 'Time', ...(anyError ? ['Error'] : [])], rows, ctx, [{}, { shrink: 2 }, {}, { shrink: 1 }]);
}

/** `nodeVersion` undefined: the node could not be asked, and only meshctl's own line is shown. */
export function renderVersion(meshctl: string, nodeVersion: string | undefined, nodeId: string | undefined, ctx: RenderContext): string {
  if (nodeVersion === undefined) return ctx.tty ? `${ctx.style.bold('meshctl')}  ${meshctl}\n` : tsv([['meshctl', meshctl]]);
  const node = nodeVersion === '' ? '(none)' : nodeVersion;
  if (!ctx.tty) return tsv([['meshctl', meshctl], ['node', node, nodeId ?? '']]);
  return `${ctx.style.bold('meshctl')}  ${meshctl}\n${ctx.style.bold('node')}     ${printable(String(node))}${nodeId ? ` (${printable(String(nodeId))})` : ''}\n`;
}
