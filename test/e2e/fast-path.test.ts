// The fast path of `--version`, `status` and `work list` (src/cli/fast.ts, dist/cli-bundle/fast.cjs; issue 13):
// bin/meshctl.js and the whole CLI (dist/cli-bundle/main.cjs loaded the same way, through bin/code-cache.js) run
// the same command lines against the same scripted control services, and their stdout, stderr and exit status
// must be byte for byte the same, for good lines, lines the fast path leaves to the CLI (bad words, missing
// values) and failures (no socket, an ERROR reply, a reply that is not JSON, a connection closed early). V8's
// coverage shows which bundle ran: the fast lines never load main.cjs.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GREETING, startScriptedServer, type ScriptedServer, type ScriptSocket } from '../helpers/scripted-server.js';
import { BIN, ensureBuilt, ROOT } from './build.js';

const STATUS = {
  NodeID: 'fastnode',
  SystemCPUCount: 2,
  SystemMemoryMiB: 1024,
  Version: '1.6.5',
  Connections: [{ NodeID: 'peer1', Cost: 1 }],
  RoutingTable: { peer1: 'peer1' },
  Advertisements: [{ NodeID: 'fastnode', Service: 'control', Time: '2026-11-29T10:00:00.123456789Z', ConnType: 1, Tags: { type: 'Control Service' }, WorkCommands: [{ WorkType: 'cat', Secure: false }] }],
  KnownConnectionCosts: { fastnode: { peer1: 1 }, peer1: { fastnode: 1 } },
  WorkCommands: [{ WorkType: 'cat', Secure: false }],
};
const UNITS = {
  a1B2c3D4: { State: 2, StateName: 'Succeeded', Detail: 'exit status 0', StdoutSize: 12, WorkType: 'cat', ExtraData: null },
  z9Y8x7W6: { State: 1, StateName: 'Running', Detail: 'Running: PID 4242', StdoutSize: 0, WorkType: 'sleep\tx', ExtraData: null },
};

interface Result {
  code: number | null;
  out: string;
  err: string;
}

let dir: string;
let fullPath: string;
const servers: Record<string, ScriptedServer> = {};

/** A control service answering each request line with `answer(line)`; null closes the connection. */
function serve(answer: (line: string) => string | null): Promise<ScriptedServer> {
  return startScriptedServer(async (s: ScriptSocket) => {
    await s.send(GREETING('fastnode'));
    for (let line = await s.readLine(); line !== null; line = await s.readLine()) {
      const reply = answer(line);
      if (reply === null) {
        s.sock.destroy();
        return;
      }
      await s.send(reply);
    }
  });
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'meshctl-e2e-fastpath-'));
  // The whole CLI, loaded as bin/meshctl.js loads it when the fast path declines a line.
  fullPath = join(dir, 'full.cjs');
  const loader = join(ROOT, 'bin', 'code-cache.js');
  const main = join(ROOT, 'dist', 'cli-bundle', 'main.cjs');
  await writeFile(
    fullPath,
    `require(${JSON.stringify(loader)}).loadBundle(${JSON.stringify(main)}, ${JSON.stringify(`${main}.cli-cache`)}).main(process.argv.slice(2)).then((c) => { process.exitCode = c; });\n`,
  );
  servers.good = await serve((line) => {
    const req = JSON.parse(line) as { command: string; subcommand?: string };
    if (req.command === 'status') return JSON.stringify(STATUS) + '\n';
    if (req.command === 'work' && req.subcommand === 'list') return JSON.stringify(UNITS) + '\n';
    return `ERROR: Unknown command\n`;
  });
  servers.refusing = await serve(() => 'ERROR: permission denied for this command\n');
  servers.garbled = await serve(() => 'this is not json\n');
  servers.closing = await serve(() => null);
}, 120_000);

afterAll(async () => {
  for (const s of Object.values(servers)) await s.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Which bundles a run of bin/meshctl.js loaded, from V8's coverage (bin/code-cache.js requires them then). */
async function bundlesLoaded(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const cov = await mkdtemp(join(dir, 'cov-'));
  await run(BIN, args, { ...env, NODE_V8_COVERAGE: cov });
  const names = new Set<string>();
  for (const file of await readdir(cov)) {
    const report = JSON.parse(await readFile(join(cov, file), 'utf8')) as { result: { url: string }[] };
    for (const s of report.result) {
      const m = /\/dist\/cli-bundle\/(\w+\.cjs)$/.exec(s.url);
      if (m) names.add(m[1]!);
    }
  }
  return [...names].sort();
}

const sock = (name: string) => servers[name]!.path!;

/** Each case: argv (with a server's socket filled in), extra environment. */
function cases(): [string, string[], NodeJS.ProcessEnv?][] {
  const good = sock('good');
  const missing = join(dir, 'no-such.sock');
  return [
    ['version', ['--version']],
    ['version, short', ['-V']],
    ['status', ['-s', good, 'status']],
    ['status --json', ['--socket', good, 'status', '--json']],
    ['status, socket after the verb overriding one before', ['-s', missing, 'status', '--socket=' + good]],
    ['status, socket from MESHCTL_SOCKET', ['status'], { MESHCTL_SOCKET: good }],
    ['status, unix: address', ['status', '-s', `unix:${good}`]],
    ['work list', ['-s', good, 'work', 'list']],
    ['work ls --json', ['work', 'ls', '--json', '-s', good]],
    ['no socket anywhere', ['status']],
    ['socket missing', ['-s', missing, 'status']],
    ['socket missing, work list --json', ['-s', missing, 'work', 'list', '--json']],
    ['bad address', ['-s', 'tcp://nohost', 'work', 'list']],
    ['node refuses', ['-s', sock('refusing'), 'work', 'list']],
    ['reply not JSON', ['-s', sock('garbled'), 'status', '--json']],
    ['connection closed before the reply', ['-s', sock('closing'), 'status']],
    // Left to the whole CLI (bad input): both runs are main's, and must still agree.
    ['unknown option', ['-s', good, 'status', '--jsn']],
    ['stray word', ['-s', good, 'status', 'extra']],
    ['missing value', ['status', '-s']],
    ['empty value', ['status', '-s', '']],
    ['version with a command', ['--version', 'status']],
    ['another output flag', ['-s', good, 'work', 'list', '--yaml']],
  ];
}

describe('e2e - fast path', () => {
  it('e2e - fast path - each line prints and exits exactly as the whole CLI does', async () => {
    const list = cases();
    const results = await Promise.all(list.map(([, args, env]) => Promise.all([run(BIN, args, env), run(fullPath, args, env)])));
    list.forEach(([name], i) => {
      const [fast, full] = results[i]!;
      expect(fast, name).toStrictEqual(full);
    });
    // The comparison covers real output and real failures, not two empty runs.
    const by = Object.fromEntries(list.map(([name], i) => [name, results[i]![0]]));
    expect(by['status']!.out).toContain('fastnode');
    expect(JSON.parse(by['work ls --json']!.out)).toStrictEqual(UNITS);
    expect(by['socket missing']!.code).toBe(3);
    expect(by['node refuses']!.code).toBe(5);
    expect(by['unknown option']!.code).toBe(2);
  }, 120_000);

  it('e2e - fast path - the fast lines load fast.cjs only; any other line loads main.cjs', async () => {
    const good = sock('good');
    const [version, status, list, other] = await Promise.all([
      bundlesLoaded(['--version']),
      bundlesLoaded(['-s', good, 'status', '--json']),
      bundlesLoaded(['work', 'list'], { MESHCTL_SOCKET: good }),
      bundlesLoaded(['-s', good, 'status', '--wide']),
    ]);
    expect(version).toEqual(['fast.cjs']);
    expect(status).toEqual(['fast.cjs']);
    expect(list).toEqual(['fast.cjs']);
    expect(other).toEqual(['fast.cjs', 'main.cjs']);
  }, 120_000);
});
