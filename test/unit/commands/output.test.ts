// Output flags through main(), in process, against a real embedded node (issue 11): --query on every command
// with JSON output (its data shape, a lone string printed raw, --json/--yaml documents, errors before anything
// runs), tables that fit the terminal's width and --wide, piped output never cut. TTY and piped each time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { ControlClient } from '../../../src/client/control-client.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { fakeIo } from '../cmdutil/fake-io.js';

let node: TestNode;
let dir: string;
let pki: TestPki;
/** A unit that failed with a long Detail, and one that succeeded. */
let failedId: string;
let okId: string;

const MISSING = '/nonexistent/a/rather/long/path/to/a/program/that/is/not/there';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-output-'));
  node = await startTestNode({
    nodeId: 'outnode',
    workCommands: [
      { worktype: 'echo', command: 'echo', params: 'hello' },
      { worktype: 'missing-program-with-a-long-work-type', command: MISSING },
    ],
  });
  pki = await makeTestPki(dir, { nodes: [] });
  const c = new ControlClient({ address: node.socketPath });
  try {
    okId = (await c.workSubmit({ workType: 'echo' }, null)).unitid;
    failedId = (await c.workSubmit({ workType: 'missing-program-with-a-long-work-type' }, null)).unitid;
    // Until both have ended (observed through the node, generously bounded).
    for (let i = 0; i < 200; i++) {
      const l = await c.workList();
      if (l[okId]?.State === 2 && l[failedId]?.State === 3) break;
      await sleep(50);
    }
  } finally {
    await c.close();
  }
});

afterAll(async () => {
  await node?.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[], o: { tty?: boolean; columns?: number; env?: Record<string, string> } = {}) {
  const f = fakeIo({ tty: o.tty, columns: o.columns, env: { MESHCTL_SOCKET: node.socketPath, ...o.env } });
  const code = await main(argv, f.io, { signals: false });
  return { code, out: f.stdout(), err: f.stderr() };
}

const both = [
  ['piped', false],
  ['terminal', true],
] as const;

describe('output - --query on every data command', () => {
  for (const [mode, tty] of both) {
    it(`output - a lone string is printed raw, ${mode}`, async () => {
      expect(await run(['status', '--query', 'NodeID'], { tty })).toEqual({ code: 0, out: 'outnode\n', err: '' });
      expect(await run(['ping', 'localhost', '--count', '1', '--query', '[0].From'], { tty })).toEqual({ code: 0, out: 'outnode\n', err: '' });
      expect((await run(['work', 'status', okId, '--query', 'StateName'], { tty })).out).toBe('Succeeded\n');
      const v = await run(['version', '--query', 'NodeID'], { tty });
      expect(v).toEqual({ code: 0, out: 'outnode\n', err: '' });
    });

    it(`output - anything else is one JSON document; --json makes a string one too, ${mode}`, async () => {
      const r = await run(['status', '--query', '{node: NodeID, types: Advertisements[].WorkCommands[].WorkType}'], { tty });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toEqual({ node: 'outnode', types: ['echo', 'missing-program-with-a-long-work-type'] });
      expect((await run(['status', '--json', '--query', 'NodeID'], { tty })).out).toBe('"outnode"\n');
      expect((await run(['work', 'status', okId, '--query', 'StdoutSize'], { tty })).out).toBe('6\n');
    });

    it(`output - --yaml --query prints the result as YAML, ${mode}`, async () => {
      const r = await run(['status', '--yaml', '--query', '{node: NodeID}'], { tty });
      expect(r).toEqual({ code: 0, out: 'node: outnode\n', err: '' });
      expect((await run(['status', '--yaml', '--query', 'NodeID'], { tty })).out).toBe('outnode\n');
    });
  }

  it("output - work list: the units as an array with `id`, so filters work: [?StateName=='Failed'].id", async () => {
    const r = await run(['work', 'list', '--query', "[?StateName=='Failed'].id"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([failedId]);
    const all = JSON.parse((await run(['work', 'list', '--query', '@'])).out) as Record<string, unknown>[];
    expect(all.map((u) => u.id).sort()).toEqual([failedId, okId].sort());
    expect(Object.keys(all[0]!)[0]).toBe('id');
    expect(all.find((u) => u.id === failedId)).toMatchObject({ StateName: 'Failed', WorkType: 'missing-program-with-a-long-work-type' });
    // --json itself stays the node's reply, an object keyed by unit id (receptorctl's shape).
    expect(Object.keys(JSON.parse((await run(['work', 'list', '--json'])).out) as object).sort()).toEqual([failedId, okId].sort());
  });

  it('output - work release --dry-run and work status --wait (several units) list units as work list --query does', async () => {
    const dry = await run(['work', 'release', '--state', 'failed', '--dry-run', '--query', '[].{id: id, state: StateName}']);
    expect(dry.code, dry.err).toBe(0);
    expect(JSON.parse(dry.out)).toEqual([{ id: failedId, state: 'Failed' }]);
    const wait = await run(['work', 'status', '--wait', okId, failedId, '--for', 'succeeded,failed', '--query', 'sort([].id)']);
    expect(wait.code, wait.err).toBe(0);
    expect(JSON.parse(wait.out)).toEqual([failedId, okId].sort());
  });

  it('output - traceroute: the hops as an array with `hop`', async () => {
    const r = await run(['traceroute', 'localhost', '--query', '[].{hop: hop, from: From}']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([{ hop: 0, from: 'outnode' }]);
  });

  it('output - work submit --query unitid prints the new id raw', async () => {
    const r = await run(['work', 'submit', 'echo', '-n', '--query', 'unitid']);
    expect(r.code).toBe(0);
    const id = r.out.trim();
    expect(r.out).toBe(`${id}\n`);
    const rel = await run(['work', 'release', id, '--query', '[0].released']);
    expect(rel).toEqual({ code: 0, out: `${id}\n`, err: '' });
  });

  it('output - cert inspect --query (no node needed)', async () => {
    const r = await run(['cert', 'inspect', pki.ca.certPath, '--query', '[0].subject']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/meshctl test CA\n$/);
    const kind = await run(['cert', 'inspect', pki.ca.certPath, '--query', '[].kind']);
    expect(JSON.parse(kind.out)).toEqual(['certificate']);
  });

  it('output - a raw string is exact when piped, its control characters escaped on a terminal', async () => {
    const expr = "'a\x1b[2Jb'";
    expect((await run(['status', '--query', expr])).out).toBe('a\x1b[2Jb\n');
    expect((await run(['status', '--query', expr], { tty: true })).out).toBe('a\\x1b[2Jb\n');
  });
});

describe('output - --query errors', () => {
  it('output - a bad expression: exit 2, one line naming it, nothing on stdout, and no unit submitted', async () => {
    const before = Object.keys(JSON.parse((await run(['work', 'list', '--json'])).out) as object).length;
    const r = await run(['work', 'submit', 'echo', '-n', '--query', 'unitid[']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^meshctl: invalid --query expression 'unitid\[': syntax error: .*\(hint: JMESPath syntax: .*\)\n$/);
    expect(r.err.split('\n')).toHaveLength(2);
    expect(Object.keys(JSON.parse((await run(['work', 'list', '--json'])).out) as object)).toHaveLength(before);
  });

  it('output - an unknown function is refused the same way', async () => {
    const r = await run(['status', '--query', 'nosuch(@)']);
    expect(r).toEqual({
      code: 2,
      out: '',
      err: expect.stringMatching(/^meshctl: invalid --query expression 'nosuch\(@\)': unknown function: nosuch\(\) \(hint: /),
    });
  });

  it("output - a type error met while evaluating (the node's data) is a usage error too", async () => {
    const r = await run(['status', '--query', 'length(SystemCPUCount)']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^meshctl: invalid --query expression 'length\(SystemCPUCount\)': invalid type: /);
  });

  it('output - --wide with --json, or --quiet with --query, is a usage error', async () => {
    expect(await run(['work', 'list', '--wide', '--json'])).toMatchObject({ code: 2, out: '', err: expect.stringContaining('--wide only applies to tables') });
    expect(await run(['work', 'list', '-q', '--query', '@'])).toMatchObject({ code: 2, err: expect.stringContaining('--quiet cannot be combined with --json, --yaml or --query') });
  });
});

describe('output - tables fit the terminal', () => {
  /** Terminal columns of the longest line: colour codes take none, and this data is ASCII and '…'. */
  const longest = (text: string) =>
    Math.max(...text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\n$/, '').split('\n').map((l) => [...l].length));

  for (const columns of [60, 80]) {
    it(`output - work list on a ${columns}-column terminal: no line longer, the long Detail cut with '…'`, async () => {
      const r = await run(['work', 'list'], { tty: true, columns });
      expect(r.code).toBe(0);
      expect(longest(r.out)).toBeLessThanOrEqual(columns);
      expect(r.out).toContain(failedId);
      expect(r.out).toContain(okId);
      expect(r.out).toContain('…');
      expect(r.out).not.toContain('no such file or directory');
    });
  }

  it('output - --wide shows every cell whole on the same terminal', async () => {
    const r = await run(['work', 'list', '--wide'], { tty: true, columns: 60 });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`fork/exec ${MISSING}: no such file or directory`);
    expect(longest(r.out)).toBeGreaterThan(60);
  });

  it('output - an unknown width (0) cuts nothing', async () => {
    const r = await run(['work', 'list'], { tty: true });
    expect(r.out).toContain('no such file or directory');
  });

  it('output - piped output is never cut, whatever the terminal width', async () => {
    const r = await run(['work', 'list'], { columns: 20 });
    expect(r.out).toContain(`${failedId}\tmissing-program-with-a-long-work-type\tFailed\t0\tfork/exec ${MISSING}: no such file or directory\n`);
  });

  it('output - TERM=dumb on a terminal: tables without bold or colour; FORCE_COLOR still colours, NO_COLOR still wins', async () => {
    const dumb = await run(['work', 'list'], { tty: true, env: { TERM: 'dumb' } });
    expect(dumb.out).toMatch(/^Unit ID +Work Type/);
    expect(dumb.out).not.toContain('\x1b');
    const xterm = await run(['work', 'list'], { tty: true, env: { TERM: 'xterm' } });
    expect(xterm.out).toContain('\x1b[1mUnit ID');
    expect((await run(['work', 'list'], { tty: true, env: { TERM: 'dumb', FORCE_COLOR: '1' } })).out).toContain('\x1b[31mFailed');
    expect((await run(['work', 'list'], { tty: true, env: { TERM: 'dumb', FORCE_COLOR: '1', NO_COLOR: '1' } })).out).not.toContain('\x1b');
  });

  it('output - status on a 60-column terminal fits', async () => {
    const r = await run(['status'], { tty: true, columns: 60 });
    expect(r.code).toBe(0);
    expect(longest(r.out)).toBeLessThanOrEqual(60);
  });
});
