// Precedence of connection settings (src/cmdutil/contexts/resolve.ts, docs/cli.md "Contexts"): flags > --context >
// environment > MESHCTL_CONTEXT / current-context > defaults, setting by setting; the two kinds of TLS material
// never mixed across levels. Then the same through the Factory with a real contexts file and real PEM files.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContextsFile, Context } from '../../../src/cmdutil/contexts/file.js';
import { resolveConnection } from '../../../src/cmdutil/contexts/resolve.js';
import { Factory } from '../../../src/cmdutil/factory.js';
import { defaultGlobals, type GlobalOptions } from '../../../src/cmdutil/globals.js';
import { MeshctlError } from '../../../src/errors.js';
import { fakeIo } from './fake-io.js';

const PATH = '/cfg/config.yaml';
function file(current: string | undefined, ...contexts: Omit<Context, 'line'>[]): ContextsFile {
  return { path: PATH, current, currentLine: 1, contexts: new Map(contexts.map((c, i) => [c.name, { line: i + 3, ...c }])) };
}
const FILE = file(
  'cur',
  { name: 'cur', socket: '/ctx/cur.sock', timeout: '7s', rootcas: '/ctx/ca.pem', cert: '/ctx/c.pem', key: '/ctx/k.pem', insecureskipverify: true },
  { name: 'other', socket: 'tls://other:1', config: '/ctx/receptor.yml', tlsClient: 'ctl' },
  { name: 'bare' },
);
const flags = (g: Partial<GlobalOptions> = {}) => defaultGlobals(g);
const values = (c: ReturnType<typeof resolveConnection>) =>
  Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'context').map(([k, v]) => [k, (v as { value: unknown }).value]));
const sources = (c: ReturnType<typeof resolveConnection>) =>
  Object.fromEntries(
    Object.entries(c)
      .filter(([k]) => k !== 'context')
      .map(([k, v]) => {
        const from = (v as { from: { kind: string; name?: string } }).from;
        return [k, from.kind === 'flag' ? 'flag' : `${from.kind}:${from.name}`];
      }),
  );

function thrown(fn: () => unknown): MeshctlError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MeshctlError);
    return e as MeshctlError;
  }
  throw new Error('did not throw');
}

describe('contexts precedence', () => {
  it('contexts precedence - socket: flag > environment > current-context > none', () => {
    const env = { MESHCTL_SOCKET: '/env/m.sock', RECEPTORCTL_SOCKET: '/env/r.sock' };
    expect(resolveConnection(flags({ socket: '/flag.sock' }), env, FILE, PATH).socket).toEqual({ value: '/flag.sock', from: { kind: 'flag' } });
    expect(resolveConnection(flags(), env, FILE, PATH).socket).toEqual({ value: '/env/m.sock', from: { kind: 'env', name: 'MESHCTL_SOCKET' } });
    expect(resolveConnection(flags(), { RECEPTORCTL_SOCKET: '/env/r.sock' }, FILE, PATH).socket?.value).toBe('/env/r.sock');
    expect(resolveConnection(flags(), {}, FILE, PATH).socket).toEqual({ value: '/ctx/cur.sock', from: { kind: 'context', name: 'cur', file: PATH } });
    expect(resolveConnection(flags(), {}, undefined, PATH).socket).toBeUndefined();
    // An empty variable counts as unset, so `MESHCTL_SOCKET= meshctl ...` falls through to the context.
    expect(resolveConnection(flags(), { MESHCTL_SOCKET: '' }, FILE, PATH).socket?.value).toBe('/ctx/cur.sock');
  });

  it('contexts precedence - --context outranks the environment; MESHCTL_CONTEXT and the current-context rank below it', () => {
    const env = { MESHCTL_SOCKET: '/env.sock' };
    const viaFlag = resolveConnection(flags({ context: 'other' }), env, FILE, PATH);
    expect(viaFlag.socket?.value).toBe('tls://other:1');
    expect(viaFlag.context).toEqual({ name: 'other', file: PATH, via: 'flag' });
    const viaEnv = resolveConnection(flags(), { ...env, MESHCTL_CONTEXT: 'other' }, FILE, PATH);
    expect(viaEnv.socket?.value).toBe('/env.sock');
    expect(viaEnv.context?.via).toBe('env');
    // Without MESHCTL_SOCKET, MESHCTL_CONTEXT picks the context instead of the current-context.
    expect(resolveConnection(flags(), { MESHCTL_CONTEXT: 'other' }, FILE, PATH).socket?.value).toBe('tls://other:1');
    // --context beats MESHCTL_CONTEXT, and a flag beats --context.
    expect(resolveConnection(flags({ context: 'cur' }), { MESHCTL_CONTEXT: 'other' }, FILE, PATH).context?.name).toBe('cur');
    expect(resolveConnection(flags({ context: 'other', socket: '/f.sock' }), env, FILE, PATH).socket?.value).toBe('/f.sock');
  });

  it('contexts precedence - other settings: timeout and insecureskipverify come from the context unless flagged', () => {
    const c = resolveConnection(flags(), {}, FILE, PATH);
    expect(values(c)).toEqual({ socket: '/ctx/cur.sock', timeout: '7s', rootcas: '/ctx/ca.pem', cert: '/ctx/c.pem', key: '/ctx/k.pem', insecureskipverify: true });
    expect(sources(resolveConnection(flags({ timeout: '1s', socket: '/s' }), {}, FILE, PATH))).toMatchObject({ timeout: 'flag', socket: 'flag', rootcas: 'context:cur' });
    // A bare context sets nothing: the defaults stand.
    expect(values(resolveConnection(flags(), {}, file('bare', { name: 'bare' }), PATH))).toEqual({});
  });

  it('contexts precedence - TLS material: the first level naming either kind decides, the other kind is ignored below it', () => {
    // A --rootcas flag over a context holding config/tls-client: PEM files only.
    const a = resolveConnection(flags({ context: 'other', rootcas: '/f/ca.pem' }), {}, FILE, PATH);
    expect(values(a)).toEqual({ socket: 'tls://other:1', rootcas: '/f/ca.pem' });
    // MESHCTL_CONFIG/MESHCTL_TLS_CLIENT over the current context's PEM files: the Receptor config.
    const b = resolveConnection(flags(), { MESHCTL_CONFIG: '/env/r.yml', MESHCTL_TLS_CLIENT: 'envctl' }, FILE, PATH);
    expect(values(b)).toMatchObject({ config: '/env/r.yml', tlsClient: 'envctl' });
    expect(b.rootcas).toBeUndefined();
    expect(b.cert).toBeUndefined();
    // The same variables under --context cur (which outranks them): the context's PEM files.
    const c = resolveConnection(flags({ context: 'cur' }), { MESHCTL_CONFIG: '/env/r.yml', MESHCTL_TLS_CLIENT: 'envctl' }, FILE, PATH);
    expect(c.config).toBeUndefined();
    expect(c.rootcas?.value).toBe('/ctx/ca.pem');
    // --cert/--key over a context's pair replace the pair; the context's rootcas still applies.
    const d = resolveConnection(flags({ cert: '/f/c.pem', key: '/f/k.pem' }), {}, FILE, PATH);
    expect(sources(d)).toMatchObject({ rootcas: 'context:cur', cert: 'flag', key: 'flag' });
    // --cert alone does not borrow the context's key.
    const e = resolveConnection(flags({ cert: '/f/c.pem' }), {}, FILE, PATH);
    expect(e.cert?.value).toBe('/f/c.pem');
    expect(e.key).toBeUndefined();
  });

  it("contexts precedence - receptorctl's pairing rules hold within the flags and after resolution", () => {
    expect(thrown(() => resolveConnection(flags({ config: '/r.yml', tlsClient: 'x', rootcas: '/ca' }), {}, undefined, PATH)).message).toBe(
      '--config/--tls-client cannot be combined with --rootcas, --cert or --key',
    );
    expect(thrown(() => resolveConnection(flags({ config: '/r.yml' }), {}, undefined, PATH)).message).toBe("--config '/r.yml' needs --tls-client NAME");
    // A --config flag with the tls-client name from the environment is fine, as in receptorctl.
    expect(values(resolveConnection(flags({ config: '/r.yml' }), { RECEPTORCTL_TLSCLIENT: 'ctl' }, undefined, PATH))).toEqual({ config: '/r.yml', tlsClient: 'ctl' });
  });

  it('contexts precedence - a context that does not exist is an error naming it, the file and the contexts there', () => {
    const flag = thrown(() => resolveConnection(flags({ context: 'nope' }), {}, FILE, PATH));
    expect(flag.code).toBe('EBADCONFIG');
    expect(flag.message).toBe(`no context 'nope' in '${PATH}'`);
    expect(flag.hint).toBe("contexts there: 'cur', 'other', 'bare' (meshctl config get-contexts)");
    expect(thrown(() => resolveConnection(flags(), { MESHCTL_CONTEXT: 'nope' }, FILE, PATH)).message).toBe(`no context 'nope' (MESHCTL_CONTEXT) in '${PATH}'`);
    const dangling = thrown(() => resolveConnection(flags(), {}, file('gone', { name: 'cur' }), PATH));
    expect(dangling.message).toBe(`${PATH}:1: current-context 'gone' is not one of its contexts`);
    const noFile = thrown(() => resolveConnection(flags({ context: 'x' }), {}, undefined, PATH));
    expect(noFile.message).toBe(`context 'x': no contexts file '${PATH}'`);
    expect(noFile.hint).toBe('create the context with: meshctl config set-context x --socket ADDRESS');
    expect(thrown(() => resolveConnection(flags({ context: 'x' }), {}, undefined, undefined)).message).toContain('there is no contexts file');
  });
});

describe('contexts precedence - through the Factory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshctl-ctxfactory-'));
    await writeFile(join(dir, 'ca.pem'), 'CTX CA');
    await writeFile(join(dir, 'c.pem'), 'CTX CERT');
    await writeFile(join(dir, 'k.pem'), 'CTX KEY');
    await writeFile(join(dir, 'flag-ca.pem'), 'FLAG CA');
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'current-context: tls',
        'contexts:',
        '  tls:',
        '    socket: tls://127.0.0.1:1',
        '    rootcas: ca.pem',
        '    cert: c.pem',
        '    key: k.pem',
        '    timeout: 2s',
        '  unix:',
        '    socket: /ctx/unix.sock',
        '    rootcas: ca.pem',
        '  missing:',
        '    socket: tls://127.0.0.1:1',
        '    rootcas: none.pem',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const factory = (g: Partial<GlobalOptions>, env: Record<string, string> = {}) => {
    const io = fakeIo({ env: { MESHCTL_CONFIG_DIR: dir, ...env } });
    return { io, f: new Factory(io.io, defaultGlobals(g), new AbortController().signal) };
  };

  it('contexts precedence - the current context gives address, timeout and the PEM files, read from disk', async () => {
    const o = await factory({}).f.clientOptions();
    expect(o).toMatchObject({ address: 'tls://127.0.0.1:1', connectTimeoutMs: 2000, commandTimeoutMs: 2000 });
    expect(o.tls).toEqual({ ca: 'CTX CA', cert: 'CTX CERT', key: 'CTX KEY' });
    const flagged = await factory({ rootcas: join(dir, 'flag-ca.pem'), timeout: '3s' }).f.clientOptions();
    expect(flagged.tls).toEqual({ ca: 'FLAG CA', cert: 'CTX CERT', key: 'CTX KEY' });
    expect(flagged.connectTimeoutMs).toBe(3000);
  });

  it("contexts precedence - a context's TLS files with a unix address are unused, without the warning meant for typed flags", async () => {
    const { io, f } = factory({ context: 'unix' });
    const o = await f.clientOptions();
    expect(o.address).toBe('/ctx/unix.sock');
    expect(o.tls).toBeUndefined();
    expect(io.stderr()).toBe('');
  });

  it("contexts precedence - a context's missing file is named as the context's", async () => {
    const e = await factory({ context: 'missing' }).f.clientOptions().catch((x: unknown) => x as MeshctlError);
    expect(e).toBeInstanceOf(MeshctlError);
    expect((e as MeshctlError).message).toBe(`cannot read rootcas file '${join(dir, 'none.pem')}' of context 'missing': no such file`);
  });

  it('contexts precedence - no address anywhere: ENOSOCKET, whose hint names contexts too', async () => {
    const io = fakeIo({ env: {} });
    const e = await new Factory(io.io, defaultGlobals(), new AbortController().signal).clientOptions().catch((x: unknown) => x as MeshctlError);
    expect((e as MeshctlError).code).toBe('ENOSOCKET');
    expect((e as MeshctlError).hint).toContain('meshctl config use-context');
  });
});
