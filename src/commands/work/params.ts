// Client-side preparation of a submit, following receptorctl (receptorctl/cli.py submit and
// socket_interface.py submit_work): exactly one payload option; `-a key=value` split at the first `=`;
// a value `@FILE` replaced by the file's contents (read here, not by the node); positional CMDPARAMS appended to
// `params`; keys that would clash with the submit request's own fields refused.
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { MeshctlError, UsageError } from '../../errors.js';
import { fsReason } from '../../cmdutil/fs-reason.js';

export interface PayloadFlags {
  payload?: string;
  payloadLiteral?: string;
  noPayload?: boolean;
}

export type PayloadChoice =
  | { kind: 'file'; path: string }
  | { kind: 'stdin' }
  | { kind: 'literal'; text: string }
  | { kind: 'none' };

const PAYLOAD_HINT = 'use exactly one of --payload FILE|- (-p), --payload-literal TEXT (-l) or --no-payload (-n)';

export function choosePayload(o: PayloadFlags): PayloadChoice {
  const given = [o.payload !== undefined, o.payloadLiteral !== undefined, Boolean(o.noPayload)].filter(Boolean).length;
  if (given === 0) throw new UsageError('no payload option given', { hint: PAYLOAD_HINT });
  if (given > 1) {
    const names = [
      o.payload !== undefined ? '--payload' : '',
      o.payloadLiteral !== undefined ? '--payload-literal' : '',
      o.noPayload ? '--no-payload' : '',
    ].filter(Boolean);
    throw new UsageError(`${names.join(' and ')} cannot be used together`, { hint: PAYLOAD_HINT });
  }
  if (o.payload !== undefined) {
    if (o.payload === '') throw new UsageError("empty --payload file name", { hint: "use '-' for stdin" });
    return o.payload === '-' ? { kind: 'stdin' } : { kind: 'file', path: o.payload };
  }
  // receptorctl sends the literal with a newline appended (f"{payload_literal}\n").
  if (o.payloadLiteral !== undefined) return { kind: 'literal', text: o.payloadLiteral + '\n' };
  return { kind: 'none' };
}

/** `key=value` → [key, value], split at the first `=`. */
export function parseParam(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq < 0) {
    throw new UsageError(`bad --param '${text}': expected key=value`, { hint: 'for example -a params="-n 5"' });
  }
  const key = text.slice(0, eq);
  if (key === '') throw new UsageError(`bad --param '${text}': empty key`, { hint: 'for example -a params="-n 5"' });
  return [key, text.slice(eq + 1)];
}

/** Keys the submit request sets itself. `tlsclient`, `ttl`, `signwork` only clash when their option is given. */
export function reservedKeys(o: { tlsClient?: string; ttl?: string; signwork?: boolean }): Set<string> {
  const keys = new Set(['command', 'subcommand', 'node', 'worktype']);
  if (o.tlsClient) keys.add('tlsclient');
  if (o.ttl) keys.add('ttl');
  if (o.signwork) keys.add('signwork');
  return keys;
}

export type ReadText = (path: string) => Promise<string>;

const readUtf8: ReadText = (p) => readFile(p, 'utf8');

/**
 * The work parameters to send. `@FILE` values are read client side (receptorctl does the same, and the node
 * never sees the path); `@@...` values are sent unchanged, exactly as receptorctl sends them.
 */
export async function buildParams(
  rawParams: readonly string[],
  cmdParams: readonly string[],
  reserved: ReadonlySet<string>,
  read: ReadText = readUtf8,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const text of rawParams) {
    const [key, value] = parseParam(text);
    if (reserved.has(key)) {
      throw new UsageError(`--param '${key}' clashes with a field meshctl sets itself`, {
        hint: `drop -a ${key}=...; use the matching option (--node, --tls-client, --ttl, --signwork) instead`,
      });
    }
    if (Object.hasOwn(out, key)) throw new UsageError(`--param '${key}' given twice`);
    if (value.startsWith('@') && !value.startsWith('@@')) {
      const path = value.slice(1);
      try {
        out[key] = await read(path);
      } catch (err) {
        throw new MeshctlError('EBADFILE', `cannot read --param ${key} file '${path}': ${fsReason(err)}`, {
          cause: err,
          hint: "a value starting with @ names a file; start it with @@ to send it as text",
        });
      }
    } else {
      out[key] = value;
    }
  }
  if (cmdParams.length > 0) {
    // receptorctl: params = " ".join([params from -a] + CMDPARAMS)
    out.params = [...(out.params !== undefined ? [out.params] : []), ...cmdParams].join(' ');
  }
  return out;
}

/**
 * Opens a payload file now, before anything is sent, so a missing file never leaves a half-made unit behind.
 * The caller streams from the handle (never reading the whole file into memory) and closes it.
 */
export async function openPayloadFile(path: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new MeshctlError('EBADFILE', `cannot read payload file '${path}': ${fsReason(err)}`, { cause: err });
  }
  const st = await fh.stat();
  if (st.isDirectory()) {
    await fh.close();
    throw new MeshctlError('EBADFILE', `cannot read payload file '${path}': is a directory`);
  }
  return fh;
}
