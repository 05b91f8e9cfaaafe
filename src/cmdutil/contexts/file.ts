// The contexts file: named connections (address, TLS files or a Receptor config's tls-client, a timeout), as
// kubectl's kubeconfig contexts and gh's hosts.yml hold them, in YAML:
//
//     current-context: prod
//     contexts:
//       prod:
//         socket: tls://mesh.example.com:27199
//         rootcas: /etc/meshctl/ca.pem
//         cert: /etc/meshctl/client.crt
//         key: /etc/meshctl/client.key
//         timeout: 5s
//       lab:
//         socket: /var/run/receptor/receptor.sock
//
// Where: $MESHCTL_CONFIG_DIR/config.yaml, else $XDG_CONFIG_HOME/meshctl/config.yaml, else
// ~/.config/meshctl/config.yaml, the order gh follows for its own directory (GH_CONFIG_DIR, XDG_CONFIG_HOME,
// ~/.config/gh). MESHCTL_CONFIG already names a Receptor config for --config (receptorctl's RECEPTORCTL_CONFIG), so
// the directory variable is gh's kind, not kubectl's KUBECONFIG file path.
//
// Reading is strict: a key meshctl does not know, a value of the wrong type or an address or timeout that would
// fail later is one error naming the file and line. Writing is atomic (a temp file in the same directory, fsync,
// rename, mode 0600) so a crash or a full disk never leaves half a file, and goes through the yaml package's
// Document so comments and order in a hand-edited file survive.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, open, readFile, realpath, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Document } from 'yaml';
import { MeshctlError } from '../../errors.js';
import { parseAddress } from '../../transport/address.js';
import { fsReason } from '../fs-reason.js';
import { parseTimeout } from '../timeout.js';
import { loadYaml, quickTree, YamlSyntaxError, yamlTree, type YNode } from './tree.js';
import { hintFor } from '../hints.js';

/** The settings a context holds (file keys: socket, rootcas, cert, key, insecureskipverify, config, tls-client, timeout). */
export interface ContextSettings {
  socket?: string;
  rootcas?: string;
  cert?: string;
  key?: string;
  insecureskipverify?: boolean;
  config?: string;
  tlsClient?: string;
  timeout?: string;
}

export interface Context extends ContextSettings {
  name: string;
  /** Line of the context's name in the file. */
  line: number;
}

export interface ContextsFile {
  path: string;
  current?: string;
  currentLine?: number;
  contexts: Map<string, Context>;
}

/** File key → ContextSettings field. */
export const CONTEXT_KEYS = {
  socket: 'socket',
  rootcas: 'rootcas',
  cert: 'cert',
  key: 'key',
  insecureskipverify: 'insecureskipverify',
  config: 'config',
  'tls-client': 'tlsClient',
  timeout: 'timeout',
} as const satisfies Record<string, keyof ContextSettings>;
export type ContextKey = keyof typeof CONTEXT_KEYS;

const PATH_KEYS = new Set<ContextKey>(['rootcas', 'cert', 'key', 'config']);

/** The contexts file for this environment, or undefined when there is no directory to look in (no HOME). */
export function contextsPath(env: Record<string, string | undefined>): string | undefined {
  if (env.MESHCTL_CONFIG_DIR) return join(resolve(env.MESHCTL_CONFIG_DIR), 'config.yaml');
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and ignored.
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'meshctl', 'config.yaml');
  // Like Go's os.UserHomeDir (gh): no HOME, no default directory.
  if (env.HOME) return join(env.HOME, '.config', 'meshctl', 'config.yaml');
  return undefined;
}

function fileError(path: string, line: number | undefined, message: string, hint?: string): MeshctlError {
  return new MeshctlError('EBADCONFIG', `${path}${line === undefined ? '' : `:${line}`}: ${message}`, {
    hint: hint ?? 'fix the file, or rewrite it with meshctl config set-context / delete-context',
    data: { file: path, ...(line === undefined ? {} : { line }) },
  });
}

/** The contexts file at `path`, or undefined when it does not exist. */
export async function readContextsFile(path: string): Promise<ContextsFile | undefined> {
  let text: string;
  try {
    // Synchronous on purpose: every command that connects reads this small file first, when nothing else is
    // running, and fs.promises.readFile's first use costs ~2.5 ms (libuv's thread pool starting, four round trips
    // through it) against ~0.3 ms for readFileSync.
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MeshctlError('EBADFILE', `cannot read contexts file '${path}': ${fsReason(err)}`, { cause: err });
  }
  return parseContexts(text, path);
}

/** Parses and checks the text of a contexts file; errors name `path` and the line. */
export async function parseContexts(text: string, path: string): Promise<ContextsFile> {
  let tree = quickTree(text);
  if (!tree) {
    try {
      tree = await yamlTree(text);
    } catch (err) {
      if (err instanceof YamlSyntaxError) throw fileError(path, err.line, err.message);
      throw err;
    }
  }
  return checkContexts(tree, path);
}

function describe(n: YNode): string {
  if (n.kind === 'map') return 'a map';
  if (n.kind === 'other') return n.what;
  if (n.value === null) return 'nothing';
  return typeof n.value === 'string' ? `'${n.value}'` : `${typeof n.value} ${String(n.value)}`;
}

/** The tree → ContextsFile, checking every key and value. Exported for tests. */
export function checkContexts(tree: YNode, path: string): ContextsFile {
  if (tree.kind !== 'map') throw fileError(path, tree.line, `expected 'current-context' and 'contexts' keys, found ${describe(tree)}`);
  const out: ContextsFile = { path, contexts: new Map() };
  for (const [key, { line, value }] of tree.entries) {
    if (key === 'current-context') {
      if (value.kind !== 'scalar' || (value.value !== null && typeof value.value !== 'string')) {
        throw fileError(path, line, `'current-context' must be a context name, found ${describe(value)}`);
      }
      if (value.value) {
        out.current = value.value;
        out.currentLine = line;
      }
    } else if (key === 'contexts') {
      if (value.kind === 'scalar' && value.value === null) continue;
      if (value.kind !== 'map') throw fileError(path, line, `'contexts' must map names to settings, found ${describe(value)}`);
      for (const [name, entry] of value.entries) out.contexts.set(name, checkContext(path, name, entry.line, entry.value));
    } else {
      throw fileError(path, line, `unknown key '${key}'`, "the file holds 'current-context' and 'contexts'");
    }
  }
  return out;
}

function checkContext(path: string, name: string, line: number, node: YNode): Context {
  if (name === '') throw fileError(path, line, 'a context needs a name');
  const ctx: Context = { name, line };
  if (node.kind === 'scalar' && node.value === null) return ctx;
  if (node.kind !== 'map') throw fileError(path, line, `context '${name}' must be a map of settings, found ${describe(node)}`);
  const base = dirname(path);
  for (const [key, { line: at, value }] of node.entries) {
    if (!Object.hasOwn(CONTEXT_KEYS, key)) {
      throw fileError(path, at, `unknown setting '${key}' in context '${name}'`, `settings: ${Object.keys(CONTEXT_KEYS).join(', ')}`);
    }
    const k = key as ContextKey;
    if (value.kind !== 'scalar') throw fileError(path, at, `'${key}' of context '${name}' must be a single value, found ${describe(value)}`);
    const v = value.value;
    if (v === null) continue; // `key:` with nothing: not set
    if (k === 'insecureskipverify') {
      if (typeof v !== 'boolean') throw fileError(path, at, `'insecureskipverify' of context '${name}' must be true or false, found ${describe(value)}`);
      ctx.insecureskipverify = v;
      continue;
    }
    if (k === 'timeout') {
      // A bare number is seconds, as with --timeout.
      if (typeof v !== 'string' && typeof v !== 'number') throw fileError(path, at, `'timeout' of context '${name}' must be a duration such as 5s, found ${describe(value)}`);
      try {
        parseTimeout(String(v));
      } catch (err) {
        throw fileError(path, at, `'timeout' of context '${name}': ${(err as Error).message}`, err instanceof MeshctlError ? hintFor(err) : undefined);
      }
      ctx.timeout = String(v);
      continue;
    }
    if (typeof v !== 'string' || v === '') throw fileError(path, at, `'${key}' of context '${name}' must be ${k === 'socket' ? 'an address' : k === 'tls-client' ? 'a name' : 'a file path'}, found ${describe(value)}`);
    if (k === 'socket') {
      try {
        ctx.socket = absoluteSocket(parseAddress(v), v, base);
      } catch (err) {
        throw fileError(path, at, `'socket' of context '${name}': ${(err as Error).message}`, err instanceof MeshctlError ? hintFor(err) : undefined);
      }
      continue;
    }
    ctx[CONTEXT_KEYS[k] as 'rootcas' | 'cert' | 'key' | 'config' | 'tlsClient'] = PATH_KEYS.has(k) ? absolutePath(v, base) : v;
  }
  // receptorctl's rules (ReceptorControl.__init__), per context: a Receptor config and a tls-client name go together,
  // and exclude the file options.
  if (ctx.config !== undefined && (ctx.rootcas !== undefined || ctx.cert !== undefined || ctx.key !== undefined)) {
    throw fileError(path, line, `context '${name}' has both 'config' and 'rootcas'/'cert'/'key'`, 'keep one: a Receptor config with its tls-client, or the PEM files');
  }
  if ((ctx.config === undefined) !== (ctx.tlsClient === undefined)) {
    throw fileError(path, line, `context '${name}' has '${ctx.config === undefined ? 'tls-client' : 'config'}' without '${ctx.config === undefined ? 'config' : 'tls-client'}'`, 'a Receptor config file and the name of its tls-client go together');
  }
  if ((ctx.cert === undefined) !== (ctx.key === undefined)) {
    throw fileError(path, line, `context '${name}' has '${ctx.cert === undefined ? 'key' : 'cert'}' without '${ctx.cert === undefined ? 'cert' : 'key'}'`, 'a client certificate and its key go together');
  }
  return ctx;
}

/**
 * Paths in the file are relative to the file's directory (kubectl resolves kubeconfig paths the same way); `~/` is
 * the home directory. `meshctl config set-context` stores absolute paths.
 */
export function absolutePath(p: string, base: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return resolve(base, p);
}

function absoluteSocket(addr: ReturnType<typeof parseAddress>, text: string, base: string): string {
  if (addr.kind !== 'unix' || isAbsolute(addr.path)) return text;
  return resolve(base, addr.path);
}

// ---------------------------------------------------------------------------------------------------- writing

/** Changes to the contexts file, applied to its yaml Document by editContextsFile. */
export interface ContextsEditor {
  /** Sets (or with undefined removes) `current-context`. */
  setCurrent(name: string | undefined): void;
  /** Creates the context, empty, if it does not exist. */
  ensure(name: string): void;
  /** Sets one setting of a context (creating it), or removes it with undefined. */
  set(name: string, key: ContextKey, value: string | boolean | undefined): void;
  /** Removes a context. */
  remove(name: string): void;
}

/**
 * Read-modify-write of the contexts file at `path` (created when missing): `edit` changes it through a
 * ContextsEditor working on the yaml Document (comments and order of a hand-edited file survive), the result is
 * checked as any reader would check it, then written atomically. A file that does not read cleanly is never
 * rewritten: its error (file:line) comes back instead. Returns what `edit` returned.
 */
export async function editContextsFile<T>(path: string, edit: (editor: ContextsEditor, before: ContextsFile) => T): Promise<T> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new MeshctlError('EBADFILE', `cannot read contexts file '${path}': ${fsReason(err)}`, { cause: err });
    }
  }
  const before = await parseContexts(text, path);
  const { parseDocument, isMap } = loadYaml();
  const doc: Document = parseDocument(text);
  if (text.trim() === '') doc.commentBefore = ' meshctl contexts (meshctl config --help); flags and environment variables override them';
  // `contexts:` or `name:` left empty in the file is null: make it a map before setting a key under it.
  const mapAt = (keys: string[]) => {
    for (let i = 1; i <= keys.length; i++) {
      const at = keys.slice(0, i);
      if (!isMap(doc.getIn(at, true))) doc.setIn(at, doc.createNode({}));
    }
  };
  const editor: ContextsEditor = {
    setCurrent: (name) => (name === undefined ? doc.delete('current-context') : doc.set('current-context', name)),
    ensure: (name) => mapAt(['contexts', name]),
    set: (name, key, value) => {
      mapAt(['contexts', name]);
      if (value === undefined) doc.deleteIn(['contexts', name, key]);
      else doc.setIn(['contexts', name, key], value);
    },
    remove: (name) => {
      if (isMap(doc.get('contexts', true))) doc.deleteIn(['contexts', name]);
    },
  };
  const result = edit(editor, before);
  const next = doc.toString({ lineWidth: 0 });
  await parseContexts(next, path); // never write what would not read back
  await writeFileAtomic(path, next);
  return result;
}

/** Writes `text` to `path` through a temp file and a rename: readers see the old file or the new one, never part. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  let target = path;
  try {
    target = await realpath(path); // a symlinked config (dotfile managers) is updated where it lives
  } catch {
    // does not exist yet
  }
  const dir = dirname(target);
  const fail = (err: unknown) =>
    new MeshctlError('EBADFILE', `cannot write contexts file '${path}': ${fsReason(err)}`, { cause: err, hint: 'check the directory exists and is writable' });
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fail(err);
  }
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, 0o600); // exactly 0600 whatever the umask
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw fail(err);
  }
  // The rename is durable once the directory is synced; best effort (not every file system allows it).
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // ignore
  }
}
