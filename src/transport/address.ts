// Control-service addresses. Pure: no sockets.
//
// Accepts everything receptorctl accepts (receptorctl/cli.py: a path, `unix:PATH`, `unix://PATH`,
// `tcp://HOST:PORT`, `tls://HOST:PORT`, also without the `//`) plus bracketed IPv6 (`tls://[::1]:2222`),
// which receptorctl's pattern rejects.
import { homedir } from 'node:os';
import { MeshctlError } from '../errors.js';

export type Address =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp' | 'tls'; host: string; port: number };

function bad(text: string, why: string): MeshctlError {
  return new MeshctlError('EBADADDRESS', `invalid address '${text}': ${why}`);
}

export function parseAddress(text: string): Address {
  const raw = text.trim();
  if (raw === '') throw bad(text, 'empty');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):(\/\/)?(.*)$/.exec(raw);
  if (scheme && scheme[1]!.length > 1) {
    const name = scheme[1]!.toLowerCase();
    const rest = scheme[3]!;
    if (name === 'unix') {
      if (rest === '') throw bad(text, 'no socket path after unix:');
      return { kind: 'unix', path: expandHome(rest) };
    }
    if (name === 'tcp' || name === 'tls') return { kind: name, ...parseHostPort(text, rest) };
    throw bad(text, `unknown scheme '${scheme[1]}:'`);
  }
  return { kind: 'unix', path: expandHome(raw) };
}

function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return homedir() + p.slice(1);
  return p;
}

function parseHostPort(text: string, rest: string): { host: string; port: number } {
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw bad(text, 'expected [IPV6]:PORT');
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
  } else {
    // receptorctl splits at the last colon, so `tcp://::1:2222` works there; keep that.
    const colon = rest.lastIndexOf(':');
    if (colon < 0) throw bad(text, 'missing :PORT');
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
  }
  if (host === '') throw bad(text, 'missing host');
  if (!/^\d+$/.test(portText)) throw bad(text, `port '${portText}' is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(text, `port ${port} is out of range`);
  return { host, port };
}

export function formatAddress(a: Address): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.kind}://${host}:${a.port}`;
}
