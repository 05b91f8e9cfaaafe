// meshctl config set-context NAME [settings]: create a context or change some of its settings (kubectl config
// set-context: settings not given are kept). An empty value (`--rootcas ''`) removes a setting. Paths are stored
// absolute, so the context works from any directory.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { editContextsFile, type ContextKey } from '../../cmdutil/contexts/file.js';
import type { Factory } from '../../cmdutil/factory.js';
import { parseTimeout } from '../../cmdutil/timeout.js';
import { UsageError } from '../../errors.js';
import { parseAddress } from '../../transport/address.js';
import { contextsFileOf } from './support.js';

export interface SetContextOptions {
  name: string;
  socket?: string;
  rootcas?: string;
  cert?: string;
  key?: string;
  /** true: --insecureskipverify, false: --no-insecureskipverify, undefined: unchanged. */
  insecureskipverify?: boolean;
  config?: string;
  tlsClient?: string;
  timeout?: string;
}

type Change = [ContextKey, string | boolean | undefined];

export async function run(o: SetContextOptions, f: Factory): Promise<void> {
  // A name is a YAML key and a word in hints: no control characters, no leading dash (it would read as a flag).
  if (o.name === '' || /[\x00-\x1f\x7f]/.test(o.name) || o.name.startsWith('-')) {
    throw new UsageError(`invalid context name '${o.name}'`, { hint: 'use letters, digits and - _ . @ :' });
  }
  const changes = settingsOf(o, f);
  const path = contextsFileOf(f);
  const dropped: string[] = [];
  const created = await editContextsFile(path, (edit, before) => {
    const old = before.contexts.get(o.name);
    // The two kinds of TLS material never mix (src/cmdutil/contexts/resolve.ts): setting one kind drops the other.
    const setsFiles = changes.some(([k, v]) => (k === 'rootcas' || k === 'cert' || k === 'key') && v !== undefined);
    const setsConfig = changes.some(([k, v]) => (k === 'config' || k === 'tls-client') && v !== undefined);
    if (setsFiles && old && (old.config !== undefined || old.tlsClient !== undefined)) {
      changes.push(['config', undefined], ['tls-client', undefined]);
      dropped.push('config/tls-client (PEM files given instead)');
    }
    if (setsConfig && old && (old.rootcas !== undefined || old.cert !== undefined || old.key !== undefined)) {
      changes.push(['rootcas', undefined], ['cert', undefined], ['key', undefined]);
      dropped.push('rootcas/cert/key (a config and tls-client given instead)');
    }
    const after = new Map<ContextKey, unknown>();
    if (old) {
      for (const [k, v] of [['config', old.config], ['tls-client', old.tlsClient], ['cert', old.cert], ['key', old.key]] as const) {
        if (v !== undefined) after.set(k, v);
      }
    }
    for (const [k, v] of changes) after.set(k, v);
    pairCheck(after, 'config', 'tls-client', '--config', '--tls-client');
    pairCheck(after, 'cert', 'key', '--cert', '--key');
    edit.ensure(o.name);
    for (const [k, v] of changes) edit.set(o.name, k, v);
    return old === undefined;
  });
  for (const d of dropped) f.note(`context '${o.name}': dropped ${d}`);
  f.note(`context '${o.name}' ${created ? 'created' : 'modified'} in ${path}`);
}

function pairCheck(after: Map<ContextKey, unknown>, a: ContextKey, b: ContextKey, flagA: string, flagB: string): void {
  const hasA = after.get(a) !== undefined;
  const hasB = after.get(b) !== undefined;
  if (hasA !== hasB) {
    throw new UsageError(`the context would have ${hasA ? flagA : flagB} without ${hasA ? flagB : flagA}`, { hint: `give ${flagA} and ${flagB} together` });
  }
}

/** The flags given → [file key, value] (undefined: remove), each value checked as a run would check it. */
function settingsOf(o: SetContextOptions, f: Factory): Change[] {
  const out: Change[] = [];
  if (o.socket !== undefined) {
    if (o.socket === '') out.push(['socket', undefined]);
    else {
      const a = parseAddress(o.socket); // EBADADDRESS now rather than at every later run
      out.push(['socket', a.kind === 'unix' ? resolve(a.path) : o.socket.trim()]);
    }
  }
  for (const [key, flag, value] of [
    ['rootcas', '--rootcas', o.rootcas],
    ['cert', '--cert', o.cert],
    ['key', '--key', o.key],
    ['config', '--config', o.config],
  ] as const) {
    if (value === undefined) continue;
    if (value === '') {
      out.push([key, undefined]);
      continue;
    }
    const abs = resolve(value);
    if (!existsSync(abs)) f.warn(`${flag} file '${abs}' does not exist (yet)`);
    out.push([key, abs]);
  }
  if (o.tlsClient !== undefined) out.push(['tls-client', o.tlsClient === '' ? undefined : o.tlsClient]);
  if (o.insecureskipverify !== undefined) out.push(['insecureskipverify', o.insecureskipverify ? true : undefined]);
  if (o.timeout !== undefined) {
    if (o.timeout === '') out.push(['timeout', undefined]);
    else {
      parseTimeout(o.timeout);
      // A bare number is seconds: stored with its unit, so it reads back as a duration.
      out.push(['timeout', /^\d+(\.\d+)?$/.test(o.timeout.trim()) ? `${o.timeout.trim()}s` : o.timeout.trim()]);
    }
  }
  return out;
}
