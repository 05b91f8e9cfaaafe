// Issue 11's work items on the built binary:
// - `work status --wait` exits 0 / 1 / 5 / 124 (succeeded, ended otherwise, unknown unit, time ran out) with the
//   status on stdout and the reason on stderr, and SIGINT / SIGTERM during the wait exit 130 / 143 at once;
// - `work release --state S` asks on a real pseudo-terminal (script) like --all, refuses piped without --yes,
//   and --dry-run lists without releasing.
// Time bounds are generous (a shared 2-core machine): "at once" is told apart from "at the next poll or never".
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/control-client.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { BIN } from './build.js';

const ENV = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', NO_COLOR: '1' };
const MESHCTL = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;

let dir: string;
let node: TestNode;
let client: ControlClient;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshctl-e2e-wait-'));
  node = await startTestNode({
    nodeId: 'e2ewait',
    workCommands: [
      { worktype: 'cat', command: 'cat' },
      { worktype: 'fail', command: 'sh', params: "-c 'exit 2'" },
      { worktype: 'sleep', command: 'sh', params: "-c 'exec sleep 60'" },
    ],
    cancelGraceMs: 200,
  });
  client = new ControlClient({ address: node.socketPath });
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

afterAll(async () => {
  await client?.close();
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  stdout(): string;
  done: Promise<Ran & { at: number }>;
}

/** meshctl with every stream piped (no terminal); the test node lives in this process, so never spawnSync. */
function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, '-s', node.socketPath, ...args], { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Ran & { at: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, at: Date.now() }));
  });
  return { child, stdout: () => stdout, done };
}

const meshctl = (args: string[]) => start(args).done;

interface Pty {
  output(): string;
  type(text: string): void;
  exited: Promise<number | null>;
}

/** `meshctl ARGS` on a new 80x24 pseudo-terminal (script -e: its exit status is meshctl's); `type` types keys. */
function onTerminal(args: string[]): Pty {
  const all = ['-s', node.socketPath, ...args];
  const command = `stty cols 80 rows 24; exec ${MESHCTL} ${all.map((a) => JSON.stringify(a)).join(' ')}`;
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir, env: { ...ENV, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  void exited.then(() => child.stdin!.destroy());
  return { output: () => out, type: (text) => child.stdin!.write(text), exited };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function submit(workType: string): Promise<string> {
  return (await client.workSubmit({ workType }, null)).unitid;
}

async function running(id: string): Promise<void> {
  await until(`${id} running`, async () => (await client.workStatus(id)).State === 1);
}

async function units(): Promise<string[]> {
  return Object.keys(await client.workList()).sort();
}

async function releaseAll(): Promise<void> {
  for (const id of await units()) await client.workRelease(id, { force: true });
}

describe('e2e - work status --wait', () => {
  it('e2e - exit 0 for Succeeded, 1 for Failed, 5 for an unknown unit, 124 when the time runs out; the status on stdout', async () => {
    const ok = await submit('cat');
    const bad = await submit('fail');
    const slow = await submit('sleep');
    await running(slow);
    const [a, b, c, d] = await Promise.all([
      meshctl(['work', 'status', ok, '--wait']),
      meshctl(['work', 'status', bad, '--wait']),
      meshctl(['work', 'status', 'nosuchunit', '--wait']),
      meshctl(['work', 'status', slow, '--wait', '--timeout', '1s', '--json']),
    ]);
    expect(a).toMatchObject({ code: 0, stderr: '' });
    expect(a.stdout).toMatch(new RegExp(`^${ok}\\tcat\\tSucceeded\\t0\\t`));
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(new RegExp(`^${bad}\\tfail\\tFailed\\t`));
    expect(b.stderr).toMatch(new RegExp(`^meshctl: work unit '${bad}' ended Failed, not Succeeded: exit status 2 \\(hint: see its output: meshctl -s \\S+ work results ${bad}\\)\\n$`));
    expect(c).toMatchObject({ code: 5, stdout: '' });
    expect(d.code).toBe(124);
    expect(JSON.parse(d.stdout)).toMatchObject({ State: 1, StateName: 'Running' });
    expect(d.stderr).toMatch(new RegExp(`^meshctl: timed out after 1s waiting for work unit '${slow}' \\(still Running\\)`));
    await client.workRelease(slow, { force: true });
  });

  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`e2e - ${signal} during the wait exits ${status} at once and leaves the unit alone`, async () => {
      const id = await submit('sleep');
      await running(id);
      // Past the first quick polls: the signal lands in the steady wait between two polls (or in a request).
      const r = start(['work', 'status', id, '--wait']);
      await sleep(1_500);
      expect(r.child.exitCode).toBeNull();
      const at = Date.now();
      r.child.kill(signal);
      const end = await r.done;
      expect(end.code).toBe(status);
      expect(end.at - at).toBeLessThan(2_000);
      expect(end.stdout).toBe('');
      expect(end.stderr).toBe('');
      expect((await client.workStatus(id)).State).toBe(1);
      await client.workRelease(id, { force: true });
    });
  }
});

describe('e2e - work release --state', () => {
  it('e2e - piped: refused without --yes (exit 2, nothing released); --dry-run lists; --yes releases only that state', async () => {
    await releaseAll();
    const ok = await submit('cat');
    const bad = await submit('fail');
    await until('both ended', async () => (await client.workStatus(ok)).State === 2 && (await client.workStatus(bad)).State === 3);
    const refused = await meshctl(['work', 'release', '--state', 'failed']);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toMatch(/^meshctl: refusing to release work units in state Failed without confirmation: no terminal to ask on/);
    const dry = await meshctl(['work', 'release', '--state', 'failed', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^${bad}\\tfail\\tFailed\\t`));
    expect(dry.stderr).toBe('dry run: would release 1 work unit in state Failed; nothing released\n');
    expect(await units()).toEqual([ok, bad].sort());
    const yes = await meshctl(['work', 'release', '--state', 'FAILED', '--yes']);
    expect(yes).toMatchObject({ code: 0, stdout: `${bad}\treleased\n`, stderr: '' });
    expect(await units()).toEqual([ok]);
    const older = await meshctl(['work', 'release', '--state', 'succeeded', '--older-than', '24h', '--yes']);
    expect(older.code).toBe(2);
    expect(older.stderr).toMatch(/^meshctl: --older-than '24h': a work unit's age is not known over the control protocol/);
    expect(await units()).toEqual([ok]);
  });

  it('e2e - on a terminal it asks with the count and states: no keeps them (exit 1), yes releases them', async () => {
    await releaseAll();
    const a = await submit('fail');
    const b = await submit('fail');
    const keep = await submit('cat');
    await until('all ended', async () => (await Promise.all([a, b, keep].map((id) => client.workStatus(id)))).every((s) => s.State >= 2));
    const no = onTerminal(['work', 'release', '--state', 'failed,canceled']);
    await until('the question', () => no.output().includes("release 2 work units in state Failed or Canceled of node 'e2ewait', deleting their output (yes/no)? "));
    no.type('no\n');
    expect(await no.exited, no.output()).toBe(1);
    expect(no.output()).toContain('nothing released');
    expect(await units()).toEqual([a, b, keep].sort());
    const yes = onTerminal(['work', 'release', '--state', 'failed,canceled']);
    await until('the question', () => yes.output().includes('(yes/no)? '));
    yes.type('yes\n');
    expect(await yes.exited, yes.output()).toBe(0);
    expect(yes.output()).toMatch(new RegExp(`released ${a}`));
    expect(await units()).toEqual([keep]);
  });
});
