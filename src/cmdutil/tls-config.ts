// Reads one `tls-client` entry from a Receptor config file, for `--config FILE --tls-client NAME` (receptorctl's
// ReceptorControl.readconfig does the same, but only for v1 files and exact lowercase keys). Accepts both layouts:
//   v1 (a YAML list of one-key maps):   - tls-client: { name: x, rootcas: ..., cert: ..., key: ... }
//   v2 (a map of plural section names): tls-clients: [ { name: x, ... } ]
// Parameter names are case-insensitive, as Receptor itself treats them (its cmdline parser folds case).
import { readFile } from 'node:fs/promises';
import { MeshctlError } from '../errors.js';

export interface TlsClientEntry {
  name: string;
  rootcas?: string;
  cert?: string;
  key?: string;
  insecureskipverify: boolean;
}

export async function readTlsClient(file: string, name: string): Promise<TlsClientEntry> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new MeshctlError('EBADFILE', `cannot read config '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
    });
  }
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new MeshctlError('EBADCONFIG', `cannot parse config '${file}': ${first}`, { cause: err });
  }
  const entries = tlsClientEntries(doc);
  const found = entries.find((e) => e.name === name);
  if (!found) {
    const names = entries.map((e) => `'${e.name}'`).join(', ');
    throw new MeshctlError('EBADCONFIG', `no tls-client named '${name}' in '${file}'`, {
      hint: names ? `tls-client names there: ${names}` : 'the file has no tls-client entries',
    });
  }
  return found;
}

/** Every tls-client entry of a parsed config (v1 list or v2 map). Pure; exported for tests. */
export function tlsClientEntries(doc: unknown): TlsClientEntry[] {
  const raw: unknown[] = [];
  if (Array.isArray(doc)) {
    for (const item of doc) {
      if (item && typeof item === 'object' && !Array.isArray(item)) {
        for (const [k, v] of Object.entries(item)) if (k.toLowerCase() === 'tls-client') raw.push(v);
      }
    }
  } else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if (k.toLowerCase() === 'tls-clients' && Array.isArray(v)) raw.push(...v);
      if (k.toLowerCase() === 'tls-client') raw.push(...(Array.isArray(v) ? v : [v]));
    }
  }
  const out: TlsClientEntry[] = [];
  for (const r of raw) {
    if (!r || typeof r !== 'object') continue;
    const m = new Map(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v] as const));
    const name = m.get('name');
    if (typeof name !== 'string') continue;
    out.push({
      name,
      rootcas: str(m.get('rootcas')),
      cert: str(m.get('cert')),
      key: str(m.get('key')),
      insecureskipverify: bool(m.get('insecureskipverify')),
    });
  }
  return out;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Receptor accepts Go's strconv.ParseBool spellings plus yes/no for booleans given as strings. */
function bool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['1', 't', 'true', 'y', 'yes'].includes(v.toLowerCase());
  return false;
}
