// The built binary on real pseudo-terminals (script(1)), for what depends on the terminal (issue 11):
// - a terminal reporting 0 columns (`stty cols 0`, some CI pseudo-terminals): the spinner looped for ever, 7.8 MB
//   of cursor codes in 30 s, 3.2 GB of memory, deaf to SIGINT and SIGTERM. Now it never draws there;
// - TERM=dumb: cursor codes and bold text were still sent. Now neither (FORCE_COLOR still forces colour);
// - tables fit the terminal's width (they wrapped mid-word), --wide keeps them whole, piped output is never cut;
// - --query on the binary: raw strings, a bad expression exits 2 before connecting, and the JMESPath library is
//   loaded only when --query is given.
// Bounds on time and size are generous for a shared 2-core machine: the old spinner wrote megabytes within the
// same 3 s and never exited at all.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/control-client.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { startSilentListener, type SilentListener } from '../helpers/silent-listeners.js';
import { BIN, ensureBuilt, ROOT } from './build.js';

const ENV = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
const MISSING = '/nonexistent/a/rather/long/path/to/a/program/that/is/not/there';

interface Pty {
  child: ChildProcess;
  /** Everything the terminal received so far. */
  output(): Buffer;
  done: Promise<{ code: number | null; at: number }>;
}

const children: ChildProcess[] = [];

/**
 * Runs `shellLine` on a new pseudo-terminal (script -qec: script exits with the command's status). This process
 * has no terminal, so script's pty starts at 0 columns: each test sets the size it wants with stty first.
 */
function pty(shellLine: string, env: Record<string, string> = {}): Pty {
  const child = spawn('script', ['-qec', shellLine, '/dev/null'], { cwd: ROOT, env: { ...ENV, TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'ignore'] });
  children.push(child);
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  const done = new Promise<{ code: number | null; at: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, at: Date.now() }));
  });
  return { child, output: () => Buffer.concat(chunks), done };
}

const meshctlLine = (args: string) => `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args}`;

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** What a terminal shows of each line: colour codes and script's \r dropped. */
function screenLines(out: Buffer): string[] {
  return out
    .toString('utf8')
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\r\n')
    .filter((l) => l !== '');
}

/** Terminal columns of a line (this data is ASCII and '…'). */
const columnsOf = (l: string) => [...l].length;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let silent: SilentListener | undefined;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await silent?.close();
  silent = undefined;
});

describe('e2e terminal - spinner', () => {
  it('e2e terminal - regression (issue 11): on a 0-column terminal the output stays small (< 10 KB in 3 s) and Ctrl-C exits 130 at once (was: 7.8 MB in 30 s, no exit)', async () => {
    silent = await startSilentListener();
    // meshctl's pid, so that a looping meshctl (the bug) is killed at the end rather than left spinning.
    const run = pty(`stty cols 0 rows 24; echo PID=$$; ${meshctlLine(`-s tcp://${silent.address} status`)}`);
    let pid = 0;
    try {
      await until('the connection', () => silent!.accepted.length === 1);
      pid = Number(/PID=(\d+)/.exec(run.output().toString())![1]);
      // The spinner would start after 250 ms; watch the terminal for 3 s.
      await sleep(3000);
      const bytes = run.output().length;
      expect(bytes).toBeLessThan(10 * 1024);
      const sentAt = Date.now();
      run.child.stdin!.write('\x03'); // a typed Ctrl-C: the terminal sends SIGINT
      const r = await run.done;
      run.child.stdin!.destroy();
      expect(r.code, run.output().toString()).toBe(130);
      expect(r.at - sentAt).toBeLessThan(5_000);
      // Nothing was drawn at all: no cursor code reached the terminal.
      expect(run.output().toString()).not.toContain('\x1b[K');
      await silent.accepted[0]!.closed;
    } finally {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('e2e terminal - TERM=dumb: no cursor codes and no colour, where an 80-column xterm gets the spinner; FORCE_COLOR still colours', async () => {
    silent = await startSilentListener();
    // --timeout 1s: the greeting never comes, so each run ends with its error line after drawing what it draws.
    const line = (term: string, extra = '') => `stty cols 80 rows 24; TERM=${term} ${extra} ${meshctlLine(`-s tcp://${silent!.address} --timeout 1s status`)}`;
    const [xterm, dumb, forced] = [pty(line('xterm')), pty(line('dumb')), pty(line('dumb', 'FORCE_COLOR=1'))];
    const [rx, rd, rf] = await Promise.all([xterm.done, dumb.done, forced.done]);
    expect([rx.code, rd.code, rf.code]).toEqual([3, 3, 3]);
    // The same run on an xterm draws (which shows this test can see it) and colours its error line.
    expect(xterm.output().toString()).toContain('\x1b[K');
    expect(xterm.output().toString()).toContain('\x1b[31mmeshctl:');
    const d = dumb.output().toString();
    expect(d).not.toContain('\x1b');
    expect(d).toMatch(/^meshctl: .*greeting/m);
    const f = forced.output().toString();
    expect(f).toContain('\x1b[31mmeshctl:');
    expect(f).not.toContain('\x1b[K');
    expect(f).not.toMatch(/\r(?!\n)/); // no carriage return that is not a line end: nothing redrawn
  });
});

describe('e2e terminal - tables and --query', () => {
  let node: TestNode;
  let dir: string;
  let failedId: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'meshctl-e2e-term-'));
    node = await startTestNode({
      nodeId: 'termnode',
      workCommands: [
        { worktype: 'echo', command: 'echo', params: 'hello' },
        { worktype: 'missing-program-with-a-long-work-type', command: MISSING },
      ],
    });
    const c = new ControlClient({ address: node.socketPath });
    try {
      await c.workSubmit({ workType: 'echo' }, null);
      failedId = (await c.workSubmit({ workType: 'missing-program-with-a-long-work-type' }, null)).unitid;
      for (let i = 0; i < 200 && (await c.workStatus(failedId)).State !== 3; i++) await sleep(50);
    } finally {
      await c.close();
    }
  });

  afterAll(async () => {
    await node?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const at = (cols: number, args: string) => pty(`stty cols ${cols} rows 24; ${meshctlLine(`-s ${JSON.stringify(node.socketPath)} ${args}`)}`);

  it('e2e terminal - stty cols 60: work list and status print no line longer than 60 columns; the long Detail is cut', async () => {
    const list = at(60, 'work list');
    const status = at(60, 'status');
    expect((await list.done).code).toBe(0);
    expect((await status.done).code).toBe(0);
    const lines = screenLines(list.output());
    expect(lines[0]).toMatch(/^Unit ID +Work Type +State +Stdout +Detail$/);
    expect(lines.find((l) => l.startsWith(failedId))).toMatch(/ Failed +0 +fork\/\S*…$/);
    for (const l of [...lines, ...screenLines(status.output())]) expect(columnsOf(l), l).toBeLessThanOrEqual(60);
  });

  it('e2e terminal - stty cols 60 with --wide: every cell whole, lines as long as they need', async () => {
    const run = at(60, 'work list --wide');
    expect((await run.done).code).toBe(0);
    const lines = screenLines(run.output());
    expect(lines.join('\n')).toContain(`missing-program-with-a-long-work-type  Failed`);
    expect(lines.join('\n')).toContain(`fork/exec ${MISSING}: no such file or directory`);
    expect(Math.max(...lines.map(columnsOf))).toBeGreaterThan(60);
  });

  it('e2e terminal - piped from a 60-column terminal: TSV, nothing cut', async () => {
    const run = at(60, 'work list | cat');
    expect((await run.done).code).toBe(0);
    expect(run.output().toString()).toContain(`${failedId}\tmissing-program-with-a-long-work-type\tFailed\t0\tfork/exec ${MISSING}: no such file or directory\r\n`);
  });

  it("e2e terminal - --query: a string raw on the terminal and in a pipe, a filter's array as JSON", async () => {
    const tty = at(80, `work status ${failedId} --query StateName`);
    const piped = at(80, `work status ${failedId} --query StateName | od -c | head -1`);
    const filter = at(80, `work list --query "[?StateName=='Failed'].id" | cat`);
    await Promise.all([tty.done, piped.done, filter.done]);
    expect(tty.output().toString()).toBe('Failed\r\n');
    expect(piped.output().toString()).toMatch(/^0000000 +F +a +i +l +e +d +\\n\r\n$/);
    expect(JSON.parse(filter.output().toString())).toEqual([failedId]);
  });

  it('e2e terminal - a bad --query is one line, exit 2, before any connection (no node at this address)', async () => {
    const run = pty(`stty cols 80 rows 24; ${meshctlLine(`-s ${JSON.stringify(join(dir, 'nothing-here.sock'))} status --query "Advertisements[?"`)}`, { NO_COLOR: '1' });
    const r = await run.done;
    expect(r.code).toBe(2);
    expect(run.output().toString()).toMatch(/^meshctl: invalid --query expression 'Advertisements\[\?': syntax error: [^\r\n]*\r\n$/);
  });

  it('e2e terminal - the JMESPath library is loaded only when --query is given', async () => {
    const loadsJmespath = async (args: string[]): Promise<boolean> => {
      const cov = await mkdtemp(join(dir, 'cov-'));
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, '-s', node.socketPath, ...args], { cwd: ROOT, env: { ...ENV, NODE_V8_COVERAGE: cov }, stdio: 'ignore' });
        child.once('error', reject);
        child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
      });
      // V8 lists every script the process ran, node_modules packages included.
      const urls: string[] = [];
      for (const file of await readdir(cov)) {
        const report = JSON.parse(await readFile(join(cov, file), 'utf8')) as { result: { url: string }[] };
        urls.push(...report.result.map((s) => s.url));
      }
      // main.cjs, or fast.cjs for the fast path's lines (`status`, `status --json`: src/cli/fast.ts).
      expect(urls.some((u) => /\/dist\/cli-bundle\/(main|fast)\.cjs$/.test(u))).toBe(true);
      return urls.some((u) => u.includes('/node_modules/@jmespath-community/jmespath/'));
    };
    const [plain, json, queried] = await Promise.all([
      loadsJmespath(['status']),
      loadsJmespath(['status', '--json']),
      loadsJmespath(['status', '--query', 'NodeID']),
    ]);
    expect({ plain, json, queried }).toEqual({ plain: false, json: false, queried: true });
  });
});
