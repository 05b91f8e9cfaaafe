// `meshctl config ...` and --context through main(), in process, with captured output: a real contexts file in a
// temp dir (MESHCTL_CONFIG_DIR) and a real embedded node on a temp Unix socket.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { fakeIo } from '../cmdutil/fake-io.js';

let node: TestNode;
let dir: string;
let cfg: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-cmd-config-'));
  node = await startTestNode({ nodeId: 'ctxnode' });
});
afterAll(async () => {
  await node?.close();
  await rm(dir, { recursive: true, force: true });
});
let n = 0;
beforeEach(() => {
  cfg = join(dir, `c${++n}`);
});

async function run(argv: string[], o: { tty?: boolean; env?: Record<string, string> } = {}) {
  const f = fakeIo({ tty: o.tty, env: { MESHCTL_CONFIG_DIR: cfg, ...o.env } });
  const code = await main(argv, f.io, { signals: false });
  return { code, out: f.stdout(), err: f.stderr() };
}

describe('commands - config', () => {
  it('commands - config set-context + use-context: status reaches the node with no -s; get-contexts marks it', async () => {
    const set = await run(['config', 'set-context', 'lab', '-s', node.socketPath, '--timeout', '20']);
    expect(set).toMatchObject({ code: 0, out: '' });
    expect(set.err).toBe(`context 'lab' created in ${join(cfg, 'config.yaml')}\n`);
    expect((await stat(join(cfg, 'config.yaml'))).mode & 0o777).toBe(0o600);
    // Not current yet: nothing to connect to.
    expect((await run(['status'])).err).toMatch(/^meshctl: no control service address given/);
    expect(await run(['config', 'use-context', 'lab'])).toMatchObject({ code: 0, out: '', err: "switched to context 'lab'\n" });
    const st = await run(['status']);
    expect(st.code).toBe(0);
    expect(st.out).toMatch(/^node_id\tctxnode\n/);
    expect(await run(['config', 'current-context'])).toMatchObject({ code: 0, out: 'lab\n', err: '' });

    await run(['config', 'set-context', 'prod', '-s', 'tls://mesh.example.com:27199']);
    const piped = await run(['config', 'get-contexts']);
    expect(piped.out).toBe(`*\tlab\t${node.socketPath}\t\t20s\n\tprod\ttls://mesh.example.com:27199\t\t\n`);
    const tty = await run(['config', 'get-contexts'], { tty: true });
    const plain = tty.out.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain.split('\n')[0]).toMatch(/^Current +Name +Socket +TLS +Timeout$/);
    expect(plain).toMatch(/^\* +lab +/m);
    expect(tty.out).toContain('\x1b[1mlab\x1b[22m'); // the current one in bold
    const json = JSON.parse((await run(['config', 'get-contexts', '--json', 'prod'])).out) as unknown;
    expect(json).toEqual([{ name: 'prod', current: false, socket: 'tls://mesh.example.com:27199' }]);
  });

  it('commands - config: --context and MESHCTL_CONTEXT pick another context; flags and the environment override it', async () => {
    await run(['config', 'set-context', 'good', '-s', node.socketPath]);
    await run(['config', 'set-context', 'bad', '-s', join(dir, 'nothing-here.sock')]);
    await run(['config', 'use-context', 'bad']);
    expect((await run(['status'])).code).toBe(3);
    expect((await run(['--context', 'good', 'status'])).code).toBe(0);
    expect((await run(['status', '--context', 'good'])).code).toBe(0);
    expect((await run(['status'], { env: { MESHCTL_CONTEXT: 'good' } })).code).toBe(0);
    expect((await run(['status'], { env: { MESHCTL_SOCKET: node.socketPath } })).code).toBe(0); // env > current-context
    expect((await run(['-s', node.socketPath, '--context', 'bad', 'status'])).code).toBe(0); // flag > --context
    const cur = await run(['config', 'current-context'], { env: { MESHCTL_CONTEXT: 'good' } });
    expect(cur).toMatchObject({ out: 'good\n', err: "(from MESHCTL_CONTEXT; the file's current-context is 'bad')\n" });
  });

  it('commands - config: a command line in a hint keeps the --context the user typed', async () => {
    const { meshctlCommand } = await import('../../../src/cmdutil/command-line.js');
    expect(meshctlCommand({ context: 'good', insecureskipverify: false, debug: false, color: true }, ['work', 'results', 'X'])).toBe(
      'meshctl --context good work results X',
    );
  });

  it('commands - config set-context: keeps other settings, removes one with an empty value, swaps the TLS kind', async () => {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, 'x');
    await run(['config', 'set-context', 'a', '-s', 'tls://h:1', '--rootcas', ca, '--insecureskipverify']);
    await run(['config', 'set-context', 'a', '--timeout', '5s']);
    let doc = JSON.parse((await run(['config', 'get-contexts', 'a', '--json'])).out) as Record<string, unknown>[];
    expect(doc[0]).toEqual({ name: 'a', current: false, socket: 'tls://h:1', rootcas: ca, insecureskipverify: true, timeout: '5s' });
    await run(['config', 'set-context', 'a', '--timeout', '', '--no-insecureskipverify']);
    const swap = await run(['config', 'set-context', 'a', '--config', ca, '--tls-client', 'ctl']);
    expect(swap.err).toContain("context 'a': dropped rootcas/cert/key (a config and tls-client given instead)");
    doc = JSON.parse((await run(['config', 'get-contexts', 'a', '--json'])).out) as Record<string, unknown>[];
    expect(doc[0]).toEqual({ name: 'a', current: false, socket: 'tls://h:1', config: ca, 'tls-client': 'ctl' });
  });

  it('commands - config set-context: relative paths are stored absolute; bad values are refused before writing', async () => {
    const rel = await run(['config', 'set-context', 'r', '-s', 'rel/node.sock', '--rootcas', 'rel/ca.pem']);
    expect(rel.err).toContain(`meshctl: warning: --rootcas file '${join(process.cwd(), 'rel/ca.pem')}' does not exist (yet)`);
    const text = await readFile(join(cfg, 'config.yaml'), 'utf8');
    expect(text).toContain(`socket: ${join(process.cwd(), 'rel/node.sock')}`);
    const bad = await run(['config', 'set-context', 'r', '-s', 'ftp://x']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^meshctl: invalid address 'ftp:\/\/x': unknown scheme 'ftp:' \(hint: [^\n]*\)\n$/);
    expect((await run(['config', 'set-context', 'r', '--timeout', 'soon'])).code).toBe(2);
    const half = await run(['config', 'set-context', 'r', '--cert', '/c.pem']);
    expect(half.err).toMatch(/^meshctl: the context would have --cert without --key/m);
    expect(await readFile(join(cfg, 'config.yaml'), 'utf8')).toBe(text);
  });

  it('commands - config delete-context, and errors naming the context and the file', async () => {
    const file = join(cfg, 'config.yaml');
    await run(['config', 'set-context', 'a', '-s', '/a.sock']);
    await run(['config', 'set-context', 'b', '-s', '/b.sock']);
    await run(['config', 'use-context', 'a']);
    const del = await run(['config', 'delete-context', 'a']);
    expect(del).toMatchObject({ code: 0, err: "deleted context 'a'\nmeshctl: warning: 'a' was the current context; choose another with meshctl config use-context NAME\n" });
    expect((await run(['config', 'current-context'])).err).toBe("meshctl: no current context in '" + file + "' (hint: choose one with: meshctl config use-context NAME)\n");
    expect((await run(['config', 'use-context', 'zz'])).err).toBe(`meshctl: no context 'zz' in '${file}' (hint: contexts there: 'b')\n`);
    expect((await run(['--context', 'zz', 'status'])).err).toBe(`meshctl: no context 'zz' in '${file}' (hint: contexts there: 'b' (meshctl config get-contexts))\n`);
    expect((await run(['config', 'delete-context', 'zz'])).code).toBe(2);
  });

  it('commands - config: a broken file is one line naming file:line, for config commands and for status alike', async () => {
    await run(['config', 'set-context', 'a', '-s', node.socketPath]);
    const file = join(cfg, 'config.yaml');
    await writeFile(file, 'current-context: a\ncontexts:\n  a:\n    socket: /x\n    sockit: /y\n');
    for (const argv of [['status'], ['config', 'get-contexts'], ['config', 'set-context', 'b', '-s', '/b']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toBe(
        `meshctl: ${file}:5: unknown setting 'sockit' in context 'a' (hint: settings: socket, rootcas, cert, key, insecureskipverify, config, tls-client, timeout)\n`,
      );
    }
    // A flag that says where to connect does not make a broken file acceptable: it is still read for the rest.
    expect((await run(['-s', node.socketPath, 'status'])).code).toBe(2);
    // Without any file: no contexts, and no complaint.
    expect(await run(['config', 'get-contexts'], { env: { MESHCTL_CONFIG_DIR: join(dir, 'none') } })).toEqual({ code: 0, out: '', err: '' });
  });
});
