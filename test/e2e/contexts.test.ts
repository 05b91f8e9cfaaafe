// Contexts through the built binary (docs/cli.md "Contexts"): `meshctl config set-context` + `use-context`, then
// `meshctl status` reaches the node with no -s; --context, the environment and flags override in that order; a
// broken file is one line naming file:line; and reading the file meshctl wrote does not load the yaml package.
// Two real nodes: one on a Unix socket, one behind mutual TLS (certificates made per run). Each child gets its own
// HOME and XDG_CONFIG_HOME under a temp dir, so the user's real contexts never take part.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certs.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { BIN, ensureBuilt, ROOT } from './build.js';

let dir: string;
let pki: TestPki;
let plain: TestNode;
let secure: TestNode;
let xdg: string;
let file: string;

interface Result {
  code: number | null;
  out: string;
  err: string;
}

function meshctl(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: join(dir, 'home'), XDG_CONFIG_HOME: xdg, LANG: 'C.UTF-8', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function nodeId(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await meshctl([...args, '--json'], env);
  expect(r.err, args.join(' ')).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { NodeID: string }).NodeID;
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'meshctl-e2e-contexts-'));
  xdg = join(dir, 'xdg');
  file = join(xdg, 'meshctl', 'config.yaml');
  pki = await makeTestPki(dir, { nodes: [{ name: 'secure' }, { name: 'client' }] });
  [plain, secure] = await Promise.all([
    startTestNode({ nodeId: 'plain' }),
    startTestNode({
      nodeId: 'secure',
      tlsServer: { cert: pki.nodes.secure!.certPem, key: pki.nodes.secure!.keyPem, clientcas: pki.ca.certPem, requireclientcert: true, skipreceptornamescheck: true },
    }),
  ]);
  const a = await meshctl(['config', 'set-context', 'plain', '-s', plain.socketPath]);
  expect(a).toMatchObject({ code: 0, err: `context 'plain' created in ${file}\n` });
  const b = await meshctl([
    'config',
    'set-context',
    'secure',
    '-s',
    secure.tlsAddress!,
    '--rootcas',
    pki.ca.certPath,
    '--cert',
    pki.nodes.client!.certPath,
    '--key',
    pki.nodes.client!.keyPath,
    '--timeout',
    '20s',
  ]);
  expect(b.code).toBe(0);
}, 60_000);

afterAll(async () => {
  await Promise.all([plain?.close(), secure?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('e2e contexts', () => {
  it('e2e contexts - use-context, then status reaches the node with no -s and no MESHCTL_SOCKET', async () => {
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await meshctl(['config', 'use-context', 'secure'])).toMatchObject({ code: 0, out: '', err: "switched to context 'secure'\n" });
    // Mutual TLS with the context's CA, certificate and key.
    expect(await nodeId(['status'])).toBe('secure');
    expect(await meshctl(['config', 'current-context'])).toMatchObject({ code: 0, out: 'secure\n' });
    const list = await meshctl(['config', 'get-contexts']);
    expect(list.out).toBe(`\tplain\t${plain.socketPath}\t\t\n*\tsecure\t${secure.tlsAddress}\trootcas, cert\t20s\n`);
  });

  it('e2e contexts - --context picks another context, and outranks the environment', async () => {
    await meshctl(['config', 'use-context', 'secure']);
    expect(await nodeId(['--context', 'plain', 'status'])).toBe('plain');
    expect(await nodeId(['status', '--context', 'plain'])).toBe('plain');
    expect(await nodeId(['status'], { MESHCTL_CONTEXT: 'plain' })).toBe('plain');
    expect(await nodeId(['--context', 'secure', 'status'], { MESHCTL_SOCKET: plain.socketPath })).toBe('secure');
  });

  it('e2e contexts - the environment overrides the current context, and flags override the environment', async () => {
    await meshctl(['config', 'use-context', 'secure']);
    expect(await nodeId(['status'], { MESHCTL_SOCKET: plain.socketPath })).toBe('plain');
    expect(await nodeId(['status'], { RECEPTORCTL_SOCKET: plain.socketPath })).toBe('plain');
    const nowhere = join(dir, 'nowhere.sock');
    expect(await nodeId(['-s', plain.socketPath, 'status'], { MESHCTL_SOCKET: nowhere })).toBe('plain');
    expect(await nodeId(['-s', plain.socketPath, '--context', 'secure', 'status'])).toBe('plain');
    // Without the override the environment's address is what is dialled.
    const r = await meshctl(['status'], { MESHCTL_SOCKET: nowhere });
    expect(r).toMatchObject({ code: 3, out: '' });
    expect(r.err).toContain(nowhere);
  });

  it('e2e contexts - a broken file is one line naming file:line, exit 2', async () => {
    const cfg = join(dir, 'broken');
    const path = join(cfg, 'config.yaml');
    await meshctl(['config', 'set-context', 'x', '-s', plain.socketPath], { MESHCTL_CONFIG_DIR: cfg });
    const good = await readFile(path, 'utf8');
    await writeFile(path, good.replace('  x:\n', '  x:\n    timeout: soon\n'));
    for (const args of [['status'], ['config', 'get-contexts'], ['-s', plain.socketPath, 'status']]) {
      const r = await meshctl(args, { MESHCTL_CONFIG_DIR: cfg });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toBe('');
      const lines = r.err.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^meshctl: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: 'timeout' of context 'x': invalid --timeout 'soon'`));
    }
    await writeFile(path, good + 'contexts:\n'); // a duplicate key: a YAML error, from the yaml package
    const dup = await meshctl(['status'], { MESHCTL_CONFIG_DIR: cfg });
    expect(dup.code).toBe(2);
    expect(dup.err.trim().split('\n')).toEqual([expect.stringMatching(/^meshctl: .*config\.yaml:\d+: map keys must be unique \(hint: /)]);
  });

  it('e2e contexts - reading the file meshctl wrote loads no yaml package (writing it does)', async () => {
    await meshctl(['config', 'use-context', 'plain']);
    /** The node_modules packages a run of meshctl loaded, from V8's coverage (every script Node compiled). */
    const packages = async (args: string[]): Promise<string[]> => {
      const cov = await mkdtemp(join(dir, 'cov-'));
      const r = await meshctl(args, { NODE_V8_COVERAGE: cov });
      expect(r.code, r.err).toBe(0);
      const names = new Set<string>();
      for (const f of await readdir(cov)) {
        const report = JSON.parse(await readFile(join(cov, f), 'utf8')) as { result: { url: string }[] };
        for (const s of report.result) {
          const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(s.url);
          if (m) names.add(m[1]!);
        }
      }
      return [...names].sort();
    };
    expect(await packages(['status'])).not.toContain('yaml');
    expect(await packages(['config', 'set-context', 'plain', '--timeout', '9s'])).toContain('yaml');
  });
});
