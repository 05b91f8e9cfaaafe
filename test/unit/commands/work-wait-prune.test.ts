// Command logic through main(), in process, against a real embedded node (issue 11, work items):
// - `work status --wait [--timeout D] [--for STATE]` waits until each unit has ended, like kubectl wait: exit 0
//   when all ended in a wanted state, 1 when one ended otherwise, 5 for an unknown unit, 124 when time ran out;
// - `work release --state S [--dry-run]` prunes the units in those states and asks like --all; --older-than is
//   refused with the reason (the protocol tells no unit's age).
// Terminal and piped output both; the prompt on a real pseudo-terminal is in test/e2e/work-wait-prune.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeIo } from '../cmdutil/fake-io.js';
import { main } from '../../../src/cli/main.js';
import { ControlClient } from '../../../src/client/control-client.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';

let node: TestNode;
let client: ControlClient;

beforeAll(async () => {
  node = await startTestNode({
    nodeId: 'waitnode',
    workCommands: [
      { worktype: 'cat', command: 'cat' },
      { worktype: 'fail', command: 'sh', params: "-c 'echo oops; exit 3'" },
      // Ends after a second: a wait must see it Running first, then Succeeded.
      { worktype: 'slow', command: 'sh', params: "-c 'sleep 1; echo done'" },
      { worktype: 'sleep', command: 'sh', params: "-c 'echo started; exec sleep 60'" },
    ],
    cancelGraceMs: 200,
  });
  client = new ControlClient({ address: node.socketPath });
});

afterAll(async () => {
  await client?.close();
  await node?.close();
});

/** main() over in-memory streams; `terminal`: stdin, stdout and stderr are terminals (CI set: no spinner). */
async function run(argv: string[], o: { terminal?: boolean; stdin?: string; socket?: string } = {}) {
  const tty = Boolean(o.terminal);
  const f = fakeIo({ tty, stdinTty: tty, stdin: o.stdin, env: { NO_COLOR: '1', MESHCTL_SOCKET: o.socket ?? node.socketPath } });
  const code = await main(argv, f.io, { signals: false });
  return { code, out: f.stdout(), err: f.stderr() };
}

async function submit(workType: string): Promise<string> {
  const r = await client.workSubmit({ workType }, null);
  return r.unitid;
}

async function untilState(id: string, state: number): Promise<void> {
  const end = Date.now() + 20_000;
  while ((await client.workStatus(id)).State !== state) {
    if (Date.now() > end) throw new Error(`unit ${id} never reached state ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function releaseAll(): Promise<void> {
  for (const id of Object.keys(await client.workList())) await client.workRelease(id, { force: true });
}

describe('work status --wait', () => {
  it('work status --wait - waits for a running unit to end and prints its final status (piped: the work list record)', async () => {
    const id = await submit('slow');
    expect((await client.workStatus(id)).State).toBeLessThan(2);
    const r = await run(['work', 'status', id, '--wait']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(new RegExp(`^${id}\\tslow\\tSucceeded\\t5\\t[^\\n]*\\n$`));
  });

  it('work status --wait - on a terminal one line: id, state, detail', async () => {
    const id = await submit('cat');
    const r = await run(['work', 'status', id, '--wait'], { terminal: true });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${id}  Succeeded( {2}\\S.*)?\\n$`));
  });

  it('work status --wait - a unit that ended Failed exits 1 naming the state and its detail; --for failed makes it 0', async () => {
    const id = await submit('fail');
    const r = await run(['work', 'status', id, '--wait']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^${id}\\tfail\\tFailed\\t`));
    expect(r.err).toBe(`meshctl: work unit '${id}' ended Failed, not Succeeded: exit status 3 (hint: see its output: meshctl work results ${id})\n`);
    const ok = await run(['work', 'status', id, '--wait', '--for', 'FAILED']);
    expect(ok).toMatchObject({ code: 0, err: '' });
    const either = await run(['work', 'status', id, '--wait', '--for', 'succeeded,failed']);
    expect(either.code).toBe(0);
  });

  it('work status --wait - a unit canceled while waited for ends the wait: exit 1, or 0 with --for canceled', async () => {
    const id = await submit('sleep');
    await untilState(id, 1);
    const waiting = run(['work', 'status', id, '--wait', '--json']);
    const waitingFor = run(['work', 'status', id, '--wait', '--for', 'canceled', '--json']);
    await new Promise((r) => setTimeout(r, 300));
    await client.workCancel(id);
    const [r, ok] = await Promise.all([waiting, waitingFor]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ State: 4, StateName: 'Canceled', WorkType: 'sleep' });
    expect(r.err).toContain(`work unit '${id}' ended Canceled, not Succeeded`);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ State: 4 });
  });

  it('work status --wait - an unknown unit exits 5 with the node text; one released while waited for too', async () => {
    const r = await run(['work', 'status', 'nosuchunit', '--wait']);
    expect(r.code).toBe(5);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^meshctl: unknown work unit nosuchunit \(hint: /);
    const id = await submit('sleep');
    const waiting = run(['work', 'status', id, '--wait']);
    await untilState(id, 1);
    await client.workRelease(id);
    const gone = await waiting;
    expect(gone.code).toBe(5);
    expect(gone.err).toMatch(new RegExp(`^meshctl: unknown work unit ${id} `));
  });

  it('work status --wait --timeout - time running out exits 124 and shows the last state seen', async () => {
    const id = await submit('sleep');
    await untilState(id, 1);
    const r = await run(['work', 'status', id, '--wait', '--timeout', '1s']);
    expect(r.code).toBe(124);
    expect(r.out).toMatch(new RegExp(`^${id}\\tsleep\\tRunning\\t`));
    expect(r.err).toBe(
      `meshctl: timed out after 1s waiting for work unit '${id}' (still Running) (hint: wait longer with a larger --timeout, or see the unit: meshctl work status ${id})\n`,
    );
    const j = await run(['work', 'status', id, '--wait', '--timeout', '500ms', '--json']);
    expect(j.code).toBe(124);
    expect(JSON.parse(j.out)).toMatchObject({ State: 1, WorkType: 'sleep' });
    await client.workRelease(id, { force: true });
  });

  it('work status --wait - several units: a line as each ends, one error line per failing unit, the first failure decides', async () => {
    const ok = await submit('cat');
    const bad = await submit('fail');
    const r = await run(['work', 'status', '--wait', ok, 'nosuchunit', bad]);
    // Ids in order: nosuchunit (5) is the first failure.
    expect(r.code).toBe(5);
    const lines = r.out.trimEnd().split('\n').sort();
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).toMatch(new RegExp(`^${ok}\\tcat\\tSucceeded\\t`, 'm'));
    expect(lines.join('\n')).toMatch(new RegExp(`^${bad}\\tfail\\tFailed\\t`, 'm'));
    const err = r.err.trimEnd().split('\n');
    expect(err).toHaveLength(3);
    expect(err).toContain("meshctl: wait for 'nosuchunit': unknown work unit nosuchunit (hint: list units with `meshctl work list`)");
    expect(err).toContain(`meshctl: wait for '${bad}': work unit '${bad}' ended Failed, not Succeeded: exit status 3 (hint: see its output: meshctl work results ${bad})`);
    expect(err[2]).toMatch(/^meshctl: 2 of 3 work units did not end Succeeded \(hint: list units/);
  });

  it('work status --wait --json - one unit: its status object; several: an object of statuses by id', async () => {
    const a = await submit('cat');
    const b = await submit('cat');
    const one = await run(['work', 'status', a, '--wait', '--json']);
    expect(JSON.parse(one.out)).toMatchObject({ State: 2, StateName: 'Succeeded', WorkType: 'cat', StdoutSize: 0 });
    const two = await run(['work', 'status', '--wait', a, b, a, '--yaml']);
    expect(two.code).toBe(0);
    // One entry per unit, the repeated id included once.
    expect(two.out.match(/^\S.*:$/gm)).toEqual([`${a}:`, `${b}:`]);
    expect(two.out.match(/^ {2}State: 2$/gm)).toHaveLength(2);
    const json = await run(['work', 'status', '--wait', a, b, '--json']);
    expect(Object.keys(JSON.parse(json.out) as object)).toEqual([a, b]);
  });

  it('work status - usage errors before connecting: several ids or --for without --wait, a state that never ends, a bad --timeout', async () => {
    const gone = '/nonexistent/meshctl.sock';
    const cases: [string[], string][] = [
      [['work', 'status', 'a', 'b'], 'meshctl: work status shows one unit, got 2 unit ids (hint: add --wait to wait for several units, or list them with `meshctl work list`)\n'],
      [['work', 'status', 'a', '--for', 'failed'], 'meshctl: --for needs --wait (hint: add --wait to wait until the unit ends in that state)\n'],
      [['work', 'status', 'a', '--wait', '--for', 'running'], "meshctl: --for 'running': --wait waits for units to end (hint: give the final states that count as success: succeeded, failed, canceled)\n"],
      [['work', 'status', 'a', '--wait', '--for', 'done'], "meshctl: unknown work unit state 'done' in --for (hint: use pending, running, succeeded, failed, canceled; several comma-separated, or --for again)\n"],
      [['work', 'status', 'a', '--wait', '--timeout', '5 minutes'], `meshctl: invalid --timeout '5 minutes': time: unknown unit " minutes" in duration "5 minutes" (hint: give a duration such as 5s, 500ms or 1m30s (a bare number is seconds))\n`],
    ];
    for (const [argv, err] of cases) {
      const r = await run(argv, { socket: gone });
      expect({ argv, code: r.code, out: r.out, err: r.err }).toEqual({ argv, code: 2, out: '', err });
    }
  });
});

describe('work release --state', () => {
  it('work release --state - piped with --yes releases only the units in those states', async () => {
    await releaseAll();
    const ok = await submit('cat');
    const bad = await submit('fail');
    const running = await submit('sleep');
    await untilState(ok, 2);
    await untilState(bad, 3);
    await untilState(running, 1);
    const r = await run(['work', 'release', '--state', 'Succeeded', '--state', 'failed', '--yes']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.trimEnd().split('\n').sort()).toEqual([`${bad}\treleased`, `${ok}\treleased`].sort());
    expect(Object.keys(await client.workList())).toEqual([running]);
    await client.workRelease(running, { force: true });
  });

  it('work release --state - piped without --yes refuses before connecting: exit 2, nothing released', async () => {
    await releaseAll();
    const id = await submit('cat');
    await untilState(id, 2);
    const r = await run(['work', 'release', '--state', 'succeeded']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'meshctl: refusing to release work units in state Succeeded without confirmation: no terminal to ask on (hint: pass --yes to release them, or --dry-run to list them)\n',
    );
    expect(Object.keys(await client.workList())).toEqual([id]);
  });

  it('work release --state - on a terminal asks with the count, the states and the node; no releases nothing', async () => {
    await releaseAll();
    const a = await submit('fail');
    const b = await submit('cat');
    await untilState(a, 3);
    await untilState(b, 2);
    const no = await run(['work', 'release', '--state', 'failed,canceled'], { terminal: true, stdin: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.err).toBe("release 1 work unit in state Failed or Canceled of node 'waitnode', deleting their output (yes/no)? nothing released\n");
    expect(Object.keys(await client.workList()).sort()).toEqual([a, b].sort());
    const yes = await run(['work', 'release', '--state', 'failed,canceled'], { terminal: true, stdin: 'yes\n' });
    expect(yes.code).toBe(0);
    expect(yes.out).toBe(`released ${a}\n`);
    expect(Object.keys(await client.workList())).toEqual([b]);
    const none = await run(['work', 'release', '--state', 'failed'], { terminal: true, stdin: '' });
    expect(none).toMatchObject({ code: 0, out: '', err: 'no work units in state Failed to release\n' });
  });

  it('work release --state --dry-run - lists the selection (piped records, --json the statuses) and releases nothing, without asking', async () => {
    await releaseAll();
    const a = await submit('fail');
    const b = await submit('cat');
    await untilState(a, 3);
    await untilState(b, 2);
    const r = await run(['work', 'release', '--state', 'failed', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${a}\\tfail\\tFailed\\t\\d+\\t[^\\n]*\\n$`));
    expect(r.err).toBe('dry run: would release 1 work unit in state Failed; nothing released\n');
    const j = await run(['work', 'release', '--all', '--dry-run', '--force', '--json']);
    expect(Object.keys(JSON.parse(j.out) as object).sort()).toEqual([a, b].sort());
    expect(j.err).toBe('dry run: would force-release 2 work units; nothing released\n');
    const t = await run(['work', 'release', '--state', 'succeeded', '--dry-run'], { terminal: true, stdin: '' });
    expect(t.code).toBe(0);
    expect(t.out).toContain(b);
    expect(t.out).not.toContain(a);
    expect(Object.keys(await client.workList()).sort()).toEqual([a, b].sort());
  });

  it('work release - --older-than is refused with the reason; --state and --dry-run usage errors come before connecting', async () => {
    const gone = '/nonexistent/meshctl.sock';
    const cases: [string[], string][] = [
      [
        ['work', 'release', '--state', 'succeeded', '--older-than', '7d'],
        "meshctl: --older-than '7d': a work unit's age is not known over the control protocol (hint: Receptor's work status and work list carry no time; select by --state, or by the unit directories' times on the node's host)\n",
      ],
      [['work', 'release', '--state', 'finished', '--yes'], "meshctl: unknown work unit state 'finished' in --state (hint: use pending, running, succeeded, failed, canceled; several comma-separated, or --state again)\n"],
      [['work', 'release', 'abc', '--state', 'failed'], 'meshctl: give unit ids or --state, not both (hint: see --help)\n'],
      [['work', 'release', 'abc', '--dry-run'], 'meshctl: --dry-run needs --all or --state (hint: with unit ids, the ids named are what would be released)\n'],
    ];
    for (const [argv, err] of cases) {
      const r = await run(argv, { socket: gone });
      expect({ argv, code: r.code, out: r.out, err: r.err }).toEqual({ argv, code: 2, out: '', err });
    }
  });
});
