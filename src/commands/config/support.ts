// What the `meshctl config` verbs share: where the contexts file is, and a context's settings as data.
import { contextsPath, type Context } from '../../cmdutil/contexts/file.js';
import type { Factory } from '../../cmdutil/factory.js';
import { MeshctlError } from '../../errors.js';

/** The contexts file of this environment; an error when there is nowhere to look (no HOME). */
export function contextsFileOf(f: Factory): string {
  const path = contextsPath(f.io.env);
  if (path === undefined) {
    throw new MeshctlError('EBADCONFIG', 'there is no contexts file: HOME, XDG_CONFIG_HOME and MESHCTL_CONFIG_DIR are all unset', {
      hint: 'set MESHCTL_CONFIG_DIR to a directory for config.yaml',
    });
  }
  return path;
}

/** A context as --json / --yaml show it: the file's keys, unset ones left out. */
export interface ContextData {
  name: string;
  current: boolean;
  socket?: string;
  rootcas?: string;
  cert?: string;
  key?: string;
  insecureskipverify?: boolean;
  config?: string;
  'tls-client'?: string;
  timeout?: string;
}

export function contextData(c: Context, current: string | undefined): ContextData {
  const d: ContextData = { name: c.name, current: c.name === current };
  if (c.socket !== undefined) d.socket = c.socket;
  if (c.rootcas !== undefined) d.rootcas = c.rootcas;
  if (c.cert !== undefined) d.cert = c.cert;
  if (c.key !== undefined) d.key = c.key;
  if (c.insecureskipverify !== undefined) d.insecureskipverify = c.insecureskipverify;
  if (c.config !== undefined) d.config = c.config;
  if (c.tlsClient !== undefined) d['tls-client'] = c.tlsClient;
  if (c.timeout !== undefined) d.timeout = c.timeout;
  return d;
}

/** `no context 'x' in 'FILE'` with the names there as the hint. */
export function noSuchContext(name: string, path: string, names: Iterable<string>): MeshctlError {
  const list = [...names].map((n) => `'${n}'`).join(', ');
  return new MeshctlError('EBADCONFIG', `no context '${name}' in '${path}'`, {
    hint: list ? `contexts there: ${list}` : 'the file holds no contexts yet: meshctl config set-context NAME --socket ADDRESS',
    data: { file: path, context: name },
  });
}
