// The built binary, as a user runs it: exit statuses, what goes to stdout vs stderr, piped vs terminal output,
// one JSON document under --json, one error line per failure, Ctrl-C and `| head`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certs.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { GREETING, startScriptedServer } from '../helpers/scripted-server.js';
import { BIN, ensureBuilt, ROOT } from './build.js';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  bytes: Buffer;
}

let node: TestNode;
let dir: string;
let pki: TestPki;

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
  return env;
};

/** Runs `node bin/meshctl.js ...args` with stdout/stderr piped. */
function meshctl(
  args: string[],
  o: { env?: NodeJS.ProcessEnv; stdin?: string | Buffer; onSpawn?: (pid: number) => void } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...baseEnv(), MESHCTL_SOCKET: node.socketPath, ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    if (o.stdin !== undefined) child.stdin.end(o.stdin);
    else child.stdin.end();
    o.onSpawn?.(child.pid!);
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(out);
      resolve({ code, signal, out: bytes.toString('utf8'), err: Buffer.concat(err).toString('utf8'), bytes });
    });
  });
}

/** Runs a shell command line (for pipes and a pty via script(1)). */
function sh(line: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], { cwd: ROOT, env: { ...baseEnv(), MESHCTL_SOCKET: node.socketPath, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(out);
      resolve({ code, signal, out: bytes.toString('utf8'), err: Buffer.concat(err).toString('utf8'), bytes });
    });
  });
}

/** The one line the CLI prints for an error: `meshctl: ...`, and nothing else (no stack). */
function oneErrorLine(r: Result): string {
  const lines = r.err.split('\n').filter(Boolean);
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(/^meshctl: /);
  return lines[0]!;
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'meshctl-e2e-'));
  [node, pki] = await Promise.all([
    startTestNode({
      nodeId: 'e2enode',
      workCommands: [
        { worktype: 'cat', command: 'cat' },
        { worktype: 'fail', command: 'sh', params: "-c 'echo oops; exit 3'" },
        { worktype: 'sleep', command: 'sleep', params: '30' },
      ],
    }),
    makeTestPki(dir, { nodes: [{ name: 'server' }] }),
  ]);
}, 60_000);

afterAll(async () => {
  await node?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('e2e - basics', () => {
  it('e2e - --version and --help print on stdout and exit 0', async () => {
    const [v, h] = await Promise.all([meshctl(['--version']), meshctl(['--help'])]);
    expect(v).toMatchObject({ code: 0, err: '' });
    expect(v.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(h.code).toBe(0);
    expect(h.out).toContain('Usage: meshctl');
  });

  it('e2e - status piped: parseable records, no colour; --json: exactly one document', async () => {
    const [piped, json, forced] = await Promise.all([
      meshctl(['status']),
      meshctl(['status', '--json']),
      meshctl(['status'], { env: { FORCE_COLOR: '1' } }),
    ]);
    expect(piped).toMatchObject({ code: 0, err: '' });
    expect(piped.out).toMatch(/^node_id\te2enode\n/);
    expect(piped.out).not.toContain('\x1b[');
    expect(JSON.parse(json.out)).toMatchObject({ NodeID: 'e2enode' });
    expect(forced.out).toMatch(/^node_id\te2enode\n/); // colour never changes the piped layout
  });

  it('e2e - status on a real terminal: aligned sections in colour', async () => {
    const r = await sh(`script -qec "node ${BIN} status" /dev/null`);
    expect(r.code).toBe(0);
    expect(r.out).toContain('\x1b[1m');
    expect(r.out.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Node ID: +e2enode/);
  });

  it('e2e - NO_COLOR on a terminal', async () => {
    const r = await sh(`script -qec "node ${BIN} status" /dev/null`, { NO_COLOR: '1' });
    expect(r.out).toMatch(/Node ID: +e2enode/);
    expect(r.out).not.toContain('\x1b[1m');
  });
});

describe('e2e - start-up', () => {
  /**
   * Modules of interest that a run of meshctl runs, read from V8's coverage (NODE_V8_COVERAGE): every file Node
   * loaded (external packages such as cli-table3 or @peculiar/x509), and inside dist/cli-bundle/main.cjs and
   * fast.cjs (the fast path of --version, status and work list) the module wrappers esbuild names by source path
   * that were called. A bundled source without a wrapper runs at load (dist/cli-bundle/inputs.json, written by
   * scripts/bundle-cli.mjs, lists them all).
   */
  async function loaded(args: string[], env: Record<string, string> = {}): Promise<string[]> {
    const cov = await mkdtemp(join(dir, 'cov-'));
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: ROOT,
        env: { ...baseEnv(), MESHCTL_SOCKET: node.socketPath, NODE_V8_COVERAGE: cov, ...env },
      });
      child.stdout.resume();
      child.stderr.resume();
      child.on('close', () => resolve());
    });
    const lists = JSON.parse(await readFile(join(ROOT, 'dist', 'cli-bundle', 'inputs.json'), 'utf8')) as { inputs: string[]; fast: string[] };
    const sources: string[] = [];
    for (const file of await readdir(cov)) {
      const report = JSON.parse(await readFile(join(cov, file), 'utf8')) as {
        result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
      };
      for (const script of report.result) {
        const bundle = /\/dist\/cli-bundle\/(main|fast)\.cjs$/.exec(script.url)?.[1];
        if (bundle === undefined) {
          sources.push(script.url);
          continue;
        }
        const inputs = bundle === 'fast' ? lists.fast : lists.inputs;
        const bundled = new Set(inputs);
        const wrapped = new Set<string>();
        for (const fn of script.functions) {
          if (!bundled.has(fn.functionName)) continue;
          wrapped.add(fn.functionName);
          if (fn.ranges[0]!.count > 0) sources.push(fn.functionName);
        }
        sources.push(...inputs.filter((i) => !wrapped.has(i)));
      }
    }
    expect(sources.some((p) => p.startsWith('src/cli/'))).toBe(true); // the coverage did see the bundle
    const areas = sources.map((p) => /node_modules\/(chalk|cli-table3|ora|yaml|@peculiar)\/|src\/(client|render|node|certs)\//.exec(p)).filter((m) => m !== null);
    return [...new Set(areas.map((m) => m[1] ?? m[2]!))].sort();
  }

  it('e2e - --version loads none of the heavy modules; piped status only what it renders with', async () => {
    const [version, status, colour] = await Promise.all([
      loaded(['--version']),
      loaded(['status']),
      loaded(['status'], { FORCE_COLOR: '1' }),
    ]);
    expect(version).toEqual([]);
    expect(status).toEqual(['client', 'render']);
    expect(colour).toEqual(['chalk', 'client', 'render']);
  });
});

describe('e2e - work', () => {
  it('e2e - submit, results, status, list, release', async () => {
    const s = await meshctl(['work', 'submit', 'cat', '-l', 'hello e2e']);
    expect(s).toMatchObject({ code: 0, err: '' });
    const id = s.out.trim();
    const [res, st, ls] = await Promise.all([
      meshctl(['work', 'results', id]),
      meshctl(['work', 'status', id, '--json']),
      meshctl(['work', 'list', '-q']),
    ]);
    expect(res).toMatchObject({ code: 0, out: 'hello e2e\n', err: '' });
    expect(JSON.parse(st.out)).toMatchObject({ StateName: 'Succeeded', StdoutSize: 10 });
    expect(ls.out.split('\n')).toContain(id);
    const rel = await meshctl(['work', 'release', id, '--json']);
    expect(JSON.parse(rel.out)).toEqual([{ released: id }]);
  });

  it('e2e - --follow writes binary output byte for byte from a payload piped on stdin', async () => {
    const data = randomBytes(1 << 20);
    const r = await meshctl(['work', 'submit', 'cat', '-p', '-', '--follow', '--rm'], { stdin: data });
    expect(r.code).toBe(0);
    expect(Buffer.compare(r.bytes, data)).toBe(0);
  });

  it('e2e - a failed unit exits 1 with State and Detail on stderr, output on stdout', async () => {
    const r = await meshctl(['work', 'submit', 'fail', '-n', '-f', '--rm']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('oops\n');
    expect(r.err).toMatch(/^meshctl: work unit '\S+' failed: exit status 3 \(hint: state Failed \(3\)/m);
  });

  it('e2e - stdout closed early (| head): no stack trace, meshctl exits 0', async () => {
    const file = join(dir, 'big.bin');
    await writeFile(file, randomBytes(8 << 20));
    const id = (await meshctl(['work', 'submit', 'cat', '-p', file])).out.trim();
    const r = await sh(`node ${BIN} work results ${id} | head -c 100 | wc -c; echo "status=\${PIPESTATUS[0]}" >&2`);
    expect(r.out.trim()).toBe('100');
    expect(r.err).toBe('status=0\n');
    await meshctl(['work', 'release', id]);
  });

  it('e2e - stdout closed early after the command wrote it all without waiting (cert inspect | head): exit 0, no stack trace', async () => {
    // cert inspect writes its report in one go; ~0.5 MiB is more than a pipe holds, so the EPIPE comes after the
    // command returned (it used to crash with an unhandled 'error' event).
    const bundle = join(dir, 'bundle.pem');
    await writeFile(bundle, pki.ca.certPem.repeat(1000));
    const r = await sh(`node ${BIN} cert inspect ${bundle} | head -c 100 | wc -c; echo "status=\${PIPESTATUS[0]}" >&2`);
    expect(r.out.trim()).toBe('100');
    expect(r.err).toBe('status=0\n');
  });

  it('e2e - Ctrl-C while following exits 130 and --rm still releases the unit', async () => {
    let pid = 0;
    const running = meshctl(['work', 'submit', 'sleep', '-n', '-f', '--rm'], { onSpawn: (p) => (pid = p) });
    // Wait until the unit runs (observed through the node, not a timer).
    for (;;) {
      const l = await meshctl(['work', 'list', '--json']);
      const units = Object.values(JSON.parse(l.out) as Record<string, { WorkType: string; State: number }>);
      if (units.some((u) => u.WorkType === 'sleep' && u.State === 1)) break;
    }
    process.kill(pid, 'SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/^released \S+\n$/);
    expect((await meshctl(['work', 'list', '--json'])).out).not.toContain('"sleep"');
  });
});

describe('e2e - errors: one line, the right status', () => {
  it('e2e - address problems', async () => {
    const port = await closedPort();
    const [none, missing, refused, form] = await Promise.all([
      meshctl(['status'], { env: { MESHCTL_SOCKET: '' } }),
      meshctl(['status', '-s', join(dir, 'no.sock')]),
      meshctl(['status', '-s', `tcp://127.0.0.1:${port}`]),
      meshctl(['status', '-s', 'http://x:1']),
    ]);
    expect(none.code).toBe(2);
    expect(oneErrorLine(none)).toContain('no control service address given (hint: pass --socket');
    expect(missing.code).toBe(3);
    expect(oneErrorLine(missing)).toContain(`socket '${join(dir, 'no.sock')}' does not exist`);
    expect(refused.code).toBe(3);
    expect(oneErrorLine(refused)).toContain(`connection refused by tcp://127.0.0.1:${port}`);
    expect(form.code).toBe(2);
    expect(oneErrorLine(form)).toContain("invalid address 'http://x:1'");
  });

  it('e2e - bad greeting and TLS failure', async () => {
    const notControl = await startScriptedServer(async (s) => {
      await s.send('hello from something else\n');
    });
    const tlsServer = await startScriptedServer(
      async (s) => {
        await s.send(GREETING('t'));
        await s.readLine();
      },
      { kind: 'tls', tls: { cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem } },
    );
    try {
      const [greet, tls] = await Promise.all([meshctl(['status', '-s', notControl.address]), meshctl(['status', '-s', tlsServer.address])]);
      expect(greet.code).toBe(3);
      expect(oneErrorLine(greet)).toContain('not a Receptor control service');
      expect(tls.code).toBe(4);
      expect(oneErrorLine(tls)).toMatch(/^meshctl: tls: /);
    } finally {
      await Promise.all([notControl.close(), tlsServer.close()]);
    }
  });

  it('e2e - ERROR: replies and unknown units exit 5', async () => {
    const [unit, type] = await Promise.all([meshctl(['work', 'status', 'nosuch']), meshctl(['work', 'submit', 'nosuchtype', '-n'])]);
    expect(unit.code).toBe(5);
    expect(oneErrorLine(unit)).toContain('unknown work unit nosuch');
    expect(type.code).toBe(5);
    oneErrorLine(type);
  });

  it('e2e - submit usage errors exit 2 before anything is sent', async () => {
    const results = await Promise.all([
      meshctl(['work', 'submit', 'cat', '-p', join(dir, 'none.bin')]),
      meshctl(['work', 'submit', 'cat', '-n', '-a', `x=@${join(dir, 'none.txt')}`]),
      meshctl(['work', 'submit', 'cat', '-n', '-l', 'x']),
      meshctl(['work', 'submit', 'cat', '-n', '-a', 'novalue']),
      meshctl(['work', 'submit', 'cat', '-n', '--ttl', '1 hour']),
    ]);
    const lines = results.map((r) => {
      expect(r.code, r.err).toBe(2);
      expect(r.out).toBe('');
      return oneErrorLine(r);
    });
    expect(lines[0]).toContain(`cannot read payload file '${join(dir, 'none.bin')}': no such file`);
    expect(lines[1]).toContain(`cannot read --param x file '${join(dir, 'none.txt')}'`);
    expect(lines[2]).toContain('--payload-literal and --no-payload cannot be used together');
    expect(lines[3]).toContain("bad --param 'novalue': expected key=value");
    expect(lines[4]).toContain("invalid --ttl '1 hour'");
    // Nothing reached the node: no unit was created by any of them.
    expect((await meshctl(['work', 'list', '--json'])).out).toBe('{}\n');
  });

  it('e2e - unknown command and option are usage errors', async () => {
    const [cmd, opt] = await Promise.all([meshctl(['stauts']), meshctl(['status', '--jsno'])]);
    expect(cmd.code).toBe(2);
    expect(oneErrorLine(cmd)).toBe("meshctl: unknown command 'stauts' (hint: did you mean status?)");
    expect(opt.code).toBe(2);
    expect(oneErrorLine(opt)).toContain("unknown option '--jsno'");
  });
});
