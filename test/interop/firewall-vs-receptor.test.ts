// Node `firewallrules` as receptor 1.6.5 takes them (issue 12: "firewallrules is refused"): the same YAML files
// and command lines go to the real receptor and to the `receptor` launcher of meshctl node. Refusals must have
// receptor's exit status and its message (meshctl puts the file and entry first: `Error: FILE:LINE: entry #1
// (node): <receptor's text>`); accepted rules must start both. One documented difference: a pattern that is just
// `/` makes receptor panic, meshctl refuses it. Then a three-node mesh of real receptors with the rules on the
// middle node, and the same with meshctl nodes: ping answers must be the same.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, meshctlBin, requirePeers, runMeshctl, runProgram, runReceptorctl, spawnUntilListening, type ListeningProcess } from '../helpers/receptor.js';

let dir: string;
let launcher: string;
let realReceptor: string;

beforeAll(async () => {
  realReceptor = requirePeers().receptor;
  if (!existsSync(path.join(meshctlBin(), '..', '..', 'dist', 'cli-bundle', 'main.cjs'))) throw new Error('meshctl is not built: run `npm run build`');
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-interop-firewall-'));
  const r = await runMeshctl(['node', 'install-launcher', path.join(dir, 'bin')]);
  if (r.exitCode !== 0) throw new Error(`install-launcher failed (${r.exitCode}): ${r.stderr}`);
  launcher = path.join(dir, 'bin', 'receptor');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function configWith(rules: string): Promise<string> {
  const file = path.join(dir, `fw${++n}.yml`);
  await writeFile(file, `- node:\n    id: x\n    datadir: ${JSON.stringify(path.join(dir, `data${n}`))}\n    firewallrules: ${rules}\n- local-only:\n`);
  return file;
}

/** Both programs on the same arguments; a program still running after `ms` is killed (it started). */
async function both(args: string[], ms = 30_000) {
  const [real, ours] = await Promise.all([runProgram(realReceptor, args, { cwd: dir, timeoutMs: ms }), runProgram(launcher, args, { cwd: dir, timeoutMs: ms })]);
  const view = (r: typeof real) => ({ exit: r.exitCode, timedOut: r.timedOut, out: r.stdout.toString() + r.stderr });
  return { real: view(real), ours: view(ours) };
}

const REFUSED_YAML: [string, string][] = [
  ['an unknown action', '[{action: foo}]'],
  ['no action', '[{tonode: a}]'],
  ['an unknown key', '[{action: drop, bogus: x}]'],
  ['a value that is not a string', '[{action: drop, tonode: 5}]'],
  ['a bad rule after a good one', '[{action: accept}, {action: x}]'],
  ['a map instead of a list', '{action: drop}'],
  ['a list item that is not a map', '["x"]'],
];

const ACCEPTED_YAML: [string, string][] = [
  ['an empty list', '[]'],
  ['every key, mixed case', '[{Action: REJECT, FromNode: a, ToNode: "/b.*/", FromService: s, ToService: "/(?i)PING/"}]'],
  ['a pattern not enclosed in //', '[{action: drop, fromnode: "/a"}]'],
  ['a regex that does not compile', '[{action: drop, fromnode: "/(/"}]'],
];

describe('interop firewall rules: configuration', () => {
  for (const [what, rules] of REFUSED_YAML) {
    it(`interop firewall - ${what} (${rules}) is refused with receptor's message and exit status`, async () => {
      const file = await configWith(rules);
      const { real, ours } = await both(['-c', file]);
      expect(real.exit).toBe(1);
      expect(ours.exit).toBe(real.exit);
      const text = /^Error: (.*)\n$/.exec(real.out)![1]!;
      // receptor wraps a decoding error as "error loading config file: error setting field F in command node: X".
      const core = text.replace(/^error loading config file: error setting field (\w+) in command node: /, "bad value for '$1': ");
      expect(ours.out).toMatch(new RegExp(`^Error: ${escape(file)}:\\d+: entry #1 \\(node\\): ${escape(core)}\\n$`));
    });
  }

  it('interop firewall - accepted rules start both (receptor ignores a bad pattern, meshctl says so in a warning)', async () => {
    const files = await Promise.all(ACCEPTED_YAML.map(([, rules]) => configWith(rules)));
    const results = await Promise.all(files.map((f) => both(['-c', f], 6000)));
    results.forEach(({ real, ours }, i) => {
      const what = ACCEPTED_YAML[i]![0];
      expect({ what, started: real.timedOut && real.out.includes('Initialization complete'), out: real.out }).toMatchObject({ what, started: true });
      expect({ what, started: ours.timedOut && ours.out.includes('Initialization complete'), out: ours.out }).toMatchObject({ what, started: true });
    });
    expect(results[2]!.ours.out).toMatch(/WARNING .* firewall rule 0: fromnode pattern \/a is not enclosed in \/\/; receptor ignores it/);
  });

  it('interop sections - local-only alone, pyroscope-client (accepted, no effect here) and unix-socket-server/client start both', async () => {
    const data = path.join(dir, 'pyro');
    const { real, ours } = await both(
      ['--node', 'id=x', `datadir=${data}`, '--local-only', '--pyroscope-client', 'applicationname=x', 'serveraddress=http://127.0.0.1:1', 'tags={"a":"b"}', 'profiletypes=cpu'],
      6000,
    );
    expect({ started: real.timedOut, out: real.out }).toMatchObject({ started: true });
    expect({ started: ours.timedOut, out: ours.out }).toMatchObject({ started: true });
    expect(ours.out).toContain('Initialization complete');
    const socks = await mkdtemp(path.join(dir, 'unix-'));
    const target = path.join(socks, 'target.sock');
    await writeFile(target, '');
    const args = (tag: string): string[] => [
      '--node', `id=${tag}`, `datadir=${path.join(socks, tag)}`, '--local-only',
      '--unix-socket-server', `filename=${path.join(socks, `${tag}-in.sock`)}`, 'remotenode=x', 'remoteservice=y',
      '--unix-socket-client', 'service=u', `filename=${target}`,
    ];
    const [r2, o2] = await Promise.all([runProgram(realReceptor, args('r'), { cwd: dir, timeoutMs: 6000 }), runProgram(launcher, args('m'), { cwd: dir, timeoutMs: 6000 })]);
    expect({ started: r2.timedOut, out: r2.stdout.toString() + r2.stderr }).toMatchObject({ started: true });
    expect({ started: o2.timedOut, out: o2.stdout.toString() + o2.stderr }).toMatchObject({ started: true });
  });

  it('interop firewall - a pattern that is just "/" panics receptor 1.6.5; meshctl refuses it in one line (documented difference)', async () => {
    const file = await configWith('[{action: drop, fromnode: "/"}]');
    const { real, ours } = await both(['-c', file]);
    expect(real.exit).toBe(2);
    expect(real.out).toContain('panic: runtime error: slice bounds out of range [1:0]');
    expect(ours.exit).toBe(1);
    expect(ours.out).toMatch(/^Error: .*: error in rule 0: invalid firewall rule\. fromnode pattern "\/" is not a regex enclosed in \/\/ \(receptor 1\.6\.5 panics on it\)\n$/);
  });

  it("interop sections - work-python is refused by both, with receptor's deprecation text", async () => {
    const { real, ours } = await both(['--node', 'id=x', `datadir=${path.join(dir, 'wp')}`, '--local-only', '--work-python', 'worktype=p', 'plugin=a', 'function=b']);
    expect(real.exit).toBe(1);
    expect(ours).toEqual(real);
  });

  for (const value of ['[{"action":"drop"}]', '[{"action":"foo","tonode":5}]', '["x"]', 'drop']) {
    it(`interop firewall - on the command line, firewallrules=${value} gets receptor's exact error (receptor takes no rules there)`, async () => {
      const { real, ours } = await both(['--node', 'id=x', `datadir=${path.join(dir, 'argv')}`, `firewallrules=${value}`, '--local-only']);
      expect(real.exit).toBe(1);
      expect(ours).toEqual(real);
    });
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

interface Chain {
  sock: (id: string) => string;
  stop: () => Promise<void>;
}

/** a → b → c (a and c dial b), rules on b, each node with a control socket. */
async function chain(program: string, rules: string, tag: string): Promise<Chain> {
  const d = await mkdtemp(path.join(dir, `${tag}-`));
  const port = await freePort();
  const sock = (id: string): string => path.join(d, `${id}.sock`);
  const cfg = async (id: string, extra: string): Promise<string> => {
    const file = path.join(d, `${id}.yml`);
    await writeFile(
      file,
      `- node:\n    id: ${id}\n    datadir: ${JSON.stringify(path.join(d, 'data'))}\n${id === 'b' ? `    firewallrules: ${rules}\n` : ''}` +
        `- control-service:\n    service: control\n    filename: ${JSON.stringify(sock(id))}\n${extra}`,
    );
    return file;
  };
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    // Only the processes started here, by PID.
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = once(c, 'exit');
        c.kill('SIGTERM');
        await exited;
      }),
    );
    await rm(d, { recursive: true, force: true });
  };
  const start = async (id: string, extra: string): Promise<ListeningProcess> =>
    spawnUntilListening(`${tag} ${id}`, program, ['-c', await cfg(id, extra)], { sock: sock(id), cwd: d, boundMs: 30_000, started: (c) => children.push(c) });
  try {
    await start('b', `- tcp-listener:\n    port: ${port}\n    bindaddr: 127.0.0.1\n`);
    for (const id of ['a', 'c']) await start(id, `- tcp-peer:\n    address: 127.0.0.1:${port}\n`);
    // Wait until a has a route to c.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const st = await runReceptorctl(['--socket', sock('a'), 'status', '--json'], { timeoutMs: 10_000 });
      if (st.exitCode === 0 && /"c":\s*"b"/.test(st.stdout.toString())) break;
      if (Date.now() > deadline) throw new Error(`${tag}: a has no route to c: ${st.stdout.toString()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { sock, stop };
}

async function pingLine(c: Chain, from: string, to: string): Promise<string> {
  const r = await runReceptorctl(['--socket', c.sock(from), 'ping', to, '--count', '1'], { timeoutMs: 30_000 });
  // "Reply from c in 1.2ms" -> "Reply from c"; errors as they are.
  return (r.stdout.toString() + r.stderr).trim().replace(/ in [\d.]+\S*$/, '');
}

describe('interop firewall rules: a mesh with rules on the middle node', () => {
  const RULES = '[{action: reject, fromnode: a, tonode: c}, {action: accept, fromnode: "/c|x/", toservice: ping}, {action: drop, fromnode: c, tonode: a}]';

  it('interop firewall - receptor and meshctl nodes answer the same pings: rejected, accepted before a drop, dropped (timeout)', async () => {
    const results: Record<string, string[]> = {};
    for (const [tag, program] of [
      ['receptor', realReceptor],
      ['meshctl', launcher],
    ] as const) {
      const c = await chain(program, RULES, tag);
      try {
        // a -> c: rule 1 rejects it at b. c -> b: rule 2 (^c|x$ to ping) accepts it before rule 3. b -> a: no
        // rule matches. c -> a: rule 2 accepts the ping, but a's reply (a -> c) meets rule 1: rejected, and the
        // unreach message goes to a, so c times out.
        results[tag] = [await pingLine(c, 'a', 'c'), await pingLine(c, 'c', 'b'), await pingLine(c, 'b', 'a'), await pingLine(c, 'c', 'a')];
      } finally {
        await c.stop();
      }
    }
    expect(results.meshctl).toEqual(results.receptor);
    expect(results.receptor).toEqual(['ERROR: blocked by firewall', 'Reply from b', 'Reply from a', 'ERROR: timeout']);
  }, 120_000);
});
