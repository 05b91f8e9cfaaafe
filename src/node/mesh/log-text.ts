// Texts of Receptor 1.6.5's mesh log lines that print Go values (fmt's %v of a struct, a time.Time, a listener's
// net.Addr), so `meshctl node --log-level debug` prints what receptor prints for the same event.
import { goLocalParts } from '../go-time.js';
import type { StoredAdvert } from './adverts.js';

/**
 * A listener's address as Go's net.Listener Addr().String() shows it: Go opens "0.0.0.0" (and "") as a
 * dual-stack socket, so receptor logs `Listening on TCP [::]:PORT` for the default bindaddr.
 */
export function goListenAddr(bindaddr: string, port: number): string {
  if (bindaddr === '' || bindaddr === '0.0.0.0' || bindaddr === '::') return `[::]:${port}`;
  return bindaddr.includes(':') ? `[${bindaddr}]:${port}` : `${bindaddr}:${port}`;
}

/** time.Time.String(): `2026-11-29 12:48:33.229446045 +0000 UTC m=+5.266213179` (m: seconds since start). */
export function goTimeValue(ns: bigint, monotonicMs: number = performance.now()): string {
  const { date, clock, offMin, pad, at } = goLocalParts(ns);
  const sign = offMin >= 0 ? '+' : '-';
  const abs = Math.abs(offMin);
  const zone = offMin === 0 ? 'UTC' : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(at).find((x) => x.type === 'timeZoneName')?.value ?? '');
  const mono = `m=+${(monotonicMs / 1000).toFixed(9)}`;
  return `${date} ${clock} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)} ${zone} ${mono}`;
}

/**
 * fmt's %v of a *ServiceAdvertisement, as sendServiceAd logs it:
 * `&{a control 2026-11-29 12:48:33.229446045 +0000 UTC m=+5.266213179 1 map[type:Control Service] [{echo false}]}`
 * (fmt prints map keys sorted; a nil map as `map[]`, a nil slice as `[]`).
 */
export function advertValue(a: StoredAdvert): string {
  const tags = Object.keys(a.Tags ?? {})
    .sort()
    .map((k) => `${k}:${(a.Tags ?? {})[k]}`)
    .join(' ');
  const wc = (a.WorkCommands ?? []).map((w) => `{${w.WorkType} ${w.Secure}}`).join(' ');
  return `&{${a.NodeID} ${a.Service} ${goTimeValue(a.timeNs)} ${a.ConnType} map[${tags}] [${wc}]}`;
}

/** `b(1.00) c(1.00)`: a node's connections as sendRoutingUpdate and printRoutingTable write them. */
export function costList(costs: Iterable<[string, number]>): string[] {
  return [...costs].map(([node, cost]) => `${node}(${cost.toFixed(2)})`);
}

/**
 * printRoutingTable's lines (info level): `Known Connections:`, `   a: b(1.00) ` per node (the trailing space
 * is receptor's), `Routing Table:`, `   b via b` per destination.
 */
export function routingTableLines(costs: ReadonlyMap<string, ReadonlyMap<string, number>>, table: ReadonlyMap<string, string>): string[] {
  const lines = ['Known Connections:'];
  for (const [node, peers] of costs) lines.push(`   ${node}: ${costList(peers).map((c) => `${c} `).join('')}`);
  lines.push('Routing Table:');
  for (const [dest, hop] of table) lines.push(`   ${dest} via ${hop}`);
  return lines;
}

/** Go's text for a refused TCP dial (`dial tcp 127.0.0.1:1: connect: connection refused`), else the message. */
export function goDialError(address: string, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `dial tcp ${address}: connect: connection refused`;
  if (code === 'EHOSTUNREACH') return `dial tcp ${address}: connect: no route to host`;
  if (code === 'ENETUNREACH') return `dial tcp ${address}: connect: network is unreachable`;
  return err.message;
}

/**
 * The error line a node logs when a peer speaks another protocol (link.ts, on a first message that is not
 * netceptor), worded as receptor's sendAndLogConnectionRejection (`LOCAL: rejected connection with node REMOTE
 * because REASON`), with the peer's address instead of a node ID it never gave, and the hint.
 */
export function foreignPeerLine(local: string, address: string, speaks: string): string {
  return `${local}: rejected connection with ${address} because it speaks ${speaks}: mesh links speak Receptor's netceptor protocol (docs/netceptor-wire.md)`;
}
