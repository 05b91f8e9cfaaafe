// Where each connection setting of a run comes from. Pure: the flags, the environment and the contexts file go in,
// the settings and their sources come out. docs/cli.md "Contexts" states the same rules for users.
//
// Per setting, the first of these that gives it wins (kubectl's rule: a flag overrides one field of the context,
// the rest of the context still applies):
//   1. a flag of this command line: -s, --rootcas, --cert, --key, --insecureskipverify, --config/--tls-client,
//      --timeout;
//   2. the context named by --context: typed on this command line, so it outranks the environment (docker's
//      `--context` likewise beats DOCKER_HOST);
//   3. the environment: MESHCTL_SOCKET / RECEPTORCTL_SOCKET, MESHCTL_CONFIG / RECEPTORCTL_CONFIG,
//      MESHCTL_TLS_CLIENT / RECEPTORCTL_TLSCLIENT;
//   4. the context named by MESHCTL_CONTEXT, else the file's current-context;
//   5. the defaults (no address, the system CA store, 10 s connect and 30 s reply timeouts).
// So "flags > environment > context", with `--context` counting as a flag.
//
// TLS material comes in two kinds that receptorctl never mixes: PEM files (rootcas, cert, key) or a Receptor config
// and its tls-client name. The first level above that gives either kind decides which kind the run uses; the other
// kind is ignored at every level (a `--rootcas` typed today is not combined with the tls-client of the current
// context). Within a level the two kinds together are an error, as in receptorctl. A certificate and its key come
// from the same level.
import { MeshctlError, UsageError } from '../../errors.js';
import type { GlobalOptions } from '../globals.js';
import type { Context, ContextsFile, ContextSettings } from './file.js';

export type SettingSource =
  | { kind: 'flag' }
  | { kind: 'env'; name: string }
  | { kind: 'context'; name: string; file: string };

export interface Setting<T> {
  value: T;
  from: SettingSource;
}

export interface Connection {
  socket?: Setting<string>;
  rootcas?: Setting<string>;
  cert?: Setting<string>;
  key?: Setting<string>;
  config?: Setting<string>;
  tlsClient?: Setting<string>;
  insecureskipverify?: Setting<boolean>;
  timeout?: Setting<string>;
  /** The context in use, and what chose it. */
  context?: { name: string; file: string; via: 'flag' | 'env' | 'file' };
}

type Field = keyof ContextSettings;
interface Level {
  values: Partial<Record<Field, { value: string | boolean; from: SettingSource }>>;
}

const FILE_KIND: readonly Field[] = ['rootcas', 'cert', 'key'];
const CONFIG_KIND: readonly Field[] = ['config', 'tlsClient'];

/** A value given on the command line or in the environment; '' counts as not given (`MESHCTL_SOCKET= meshctl ...`). */
function given(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}

/** The context this run uses and what chose it: --context, MESHCTL_CONTEXT, then the file's current-context. */
export function selectContext(
  flags: Pick<GlobalOptions, 'context'>,
  env: Record<string, string | undefined>,
  file: ContextsFile | undefined,
  path: string | undefined,
): { context: Context; via: 'flag' | 'env' | 'file' } | undefined {
  let name: string;
  let via: 'flag' | 'env' | 'file';
  if (given(flags.context)) [name, via] = [flags.context, 'flag'];
  else if (given(env.MESHCTL_CONTEXT)) [name, via] = [env.MESHCTL_CONTEXT, 'env'];
  else if (file?.current !== undefined) [name, via] = [file.current, 'file'];
  else return undefined;
  const named = via === 'flag' ? `context '${name}'` : via === 'env' ? `context '${name}' (MESHCTL_CONTEXT)` : `current-context '${name}'`;
  if (path === undefined) {
    throw new MeshctlError('EBADCONFIG', `${named}: there is no contexts file (HOME, XDG_CONFIG_HOME and MESHCTL_CONFIG_DIR are all unset)`, {
      hint: 'set MESHCTL_CONFIG_DIR to the directory of config.yaml',
    });
  }
  if (!file) {
    throw new MeshctlError('EBADCONFIG', `${named}: no contexts file '${path}'`, {
      hint: `create the context with: meshctl config set-context ${name} --socket ADDRESS`,
    });
  }
  const context = file.contexts.get(name);
  if (!context) {
    const names = [...file.contexts.keys()].map((n) => `'${n}'`).join(', ');
    const message =
      via === 'file' ? `${path}:${file.currentLine}: current-context '${name}' is not one of its contexts` : `no ${named} in '${path}'`;
    throw new MeshctlError('EBADCONFIG', message, {
      hint: names ? `contexts there: ${names} (meshctl config get-contexts)` : 'the file holds no contexts yet: meshctl config set-context NAME --socket ADDRESS',
      data: { file: path, context: name },
    });
  }
  return { context, via };
}

function contextLevel(c: Context, file: string): Level {
  const from: SettingSource = { kind: 'context', name: c.name, file };
  const values: Level['values'] = {};
  for (const f of ['socket', 'rootcas', 'cert', 'key', 'config', 'tlsClient', 'insecureskipverify', 'timeout'] as const) {
    const v = c[f];
    if (v !== undefined) values[f] = { value: v, from };
  }
  return { values };
}

function flagLevel(g: GlobalOptions): Level {
  const from: SettingSource = { kind: 'flag' };
  const values: Level['values'] = {};
  for (const f of ['socket', 'rootcas', 'cert', 'key', 'config', 'tlsClient', 'timeout'] as const) {
    const v = g[f];
    if (given(v)) values[f] = { value: v, from };
  }
  // The flag can only say yes; without it the next level decides.
  if (g.insecureskipverify) values.insecureskipverify = { value: true, from };
  if (values.config !== undefined || values.tlsClient !== undefined) {
    if (values.rootcas || values.cert || values.key) {
      throw new UsageError('--config/--tls-client cannot be combined with --rootcas, --cert or --key');
    }
  }
  return { values };
}

function envLevel(env: Record<string, string | undefined>): Level {
  const values: Level['values'] = {};
  const first = (field: Field, ...names: string[]) => {
    for (const name of names) {
      const v = env[name];
      if (given(v)) {
        values[field] = { value: v, from: { kind: 'env', name } };
        return;
      }
    }
  };
  first('socket', 'MESHCTL_SOCKET', 'RECEPTORCTL_SOCKET');
  first('config', 'MESHCTL_CONFIG', 'RECEPTORCTL_CONFIG');
  first('tlsClient', 'MESHCTL_TLS_CLIENT', 'RECEPTORCTL_TLSCLIENT');
  return { values };
}

/**
 * The connection settings of a run (rules at the top of this file). `file` is the contexts file (undefined when
 * there is none), `path` where it was looked for. Throws for a context that does not exist and for receptorctl's
 * --config/--tls-client pairing rules.
 */
export function resolveConnection(
  flags: GlobalOptions,
  env: Record<string, string | undefined>,
  file: ContextsFile | undefined,
  path: string | undefined,
): Connection {
  const chosen = selectContext(flags, env, file, path);
  const ctxLevel = chosen ? contextLevel(chosen.context, path!) : undefined;
  const levels: Level[] = [flagLevel(flags)];
  if (ctxLevel && chosen!.via === 'flag') levels.push(ctxLevel);
  levels.push(envLevel(env));
  if (ctxLevel && chosen!.via !== 'flag') levels.push(ctxLevel);

  // Which kind of TLS material: the first level that names either kind.
  let kind: readonly Field[] | undefined;
  for (const l of levels) {
    if (FILE_KIND.some((f) => l.values[f])) kind = FILE_KIND;
    else if (CONFIG_KIND.some((f) => l.values[f])) kind = CONFIG_KIND;
    if (kind) break;
  }
  const out: Connection = {};
  const pick = (f: Field) => levels.find((l) => l.values[f] !== undefined)?.values[f];
  for (const f of ['socket', 'timeout'] as const) {
    const s = pick(f);
    if (s) out[f] = s as Setting<string>;
  }
  const skip = pick('insecureskipverify');
  if (skip) out.insecureskipverify = skip as Setting<boolean>;
  if (kind === FILE_KIND) {
    const rootcas = pick('rootcas');
    if (rootcas) out.rootcas = rootcas as Setting<string>;
    // A certificate and its key are one thing: both come from the first level that gives either, so a --cert typed
    // alone is an error rather than paired with the key of a context.
    const pair = levels.find((l) => l.values.cert !== undefined || l.values.key !== undefined);
    if (pair?.values.cert) out.cert = pair.values.cert as Setting<string>;
    if (pair?.values.key) out.key = pair.values.key as Setting<string>;
  } else if (kind === CONFIG_KIND) {
    const config = pick('config');
    const tlsClient = pick('tlsClient');
    if (config) out.config = config as Setting<string>;
    if (tlsClient) out.tlsClient = tlsClient as Setting<string>;
  }
  if (out.config && !out.tlsClient) throw new UsageError(`--config '${out.config.value}' needs --tls-client NAME`);
  if (out.tlsClient && !out.config) throw new UsageError(`--tls-client '${out.tlsClient.value}' needs --config FILE`);
  if (chosen) out.context = { name: chosen.context.name, file: path!, via: chosen.via };
  return out;
}

/** How an error message names a file setting: `--rootcas file '/x'`, or `rootcas file '/x' of context 'prod'`. */
export function fileLabel(flag: string, s: Setting<string>): string {
  if (s.from.kind === 'context') return `${flag.replace(/^--/, '')} file '${s.value}' of context '${s.from.name}'`;
  return `${flag} file '${s.value}'`;
}
