// Command logic through main(), in process, with captured output (gh's second kind of command test): a real
// embedded node on a temp Unix socket, output checked for a terminal and for a pipe.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { fakeIo } from '../cmdutil/fake-io.js';

let node: TestNode;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-cmd-'));
  node = await startTestNode({
    nodeId: 'cmdnode',
    workCommands: [
      { worktype: 'cat', command: 'cat' },
      { worktype: 'echo', command: 'echo', params: 'hello', allowruntimeparams: true },
      { worktype: 'fail', command: 'sh', params: "-c 'echo oops; exit 3'" },
      { worktype: 'sleep', command: 'sh', params: "-c 'echo started; exec sleep 30'" },
    ],
    cancelGraceMs: 200,
  });
});

afterAll(async () => {
  await node?.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[], o: { tty?: boolean; stdin?: string | Buffer; env?: Record<string, string> } = {}) {
  const f = fakeIo({ tty: o.tty, stdin: o.stdin, env: { MESHCTL_SOCKET: node.socketPath, ...o.env } });
  const code = await main(argv, f.io, { signals: false });
  return { code, out: f.stdout(), err: f.stderr(), bytes: f.stdoutBytes() };
}

describe('commands - mesh', () => {
  it('commands - status piped is parseable records; --json is the node reply', async () => {
    const piped = await run(['status']);
    expect(piped.code).toBe(0);
    expect(piped.out).toMatch(/^node_id\tcmdnode\n/);
    expect(piped.out).toMatch(/^work_type\tcmdnode\tcat$/m);
    expect(piped.err).toBe('');
    const json = await run(['status', '--json']);
    const doc = JSON.parse(json.out) as Record<string, unknown>;
    expect(doc.NodeID).toBe('cmdnode');
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['Advertisements', 'Connections', 'RoutingTable', 'Version']));
  });

  it('commands - status on a terminal has sections; colour follows FORCE_COLOR / NO_COLOR', async () => {
    const t = await run(['status'], { tty: true, env: { NO_COLOR: '1' } });
    expect(t.out).toMatch(/^Node ID: +cmdnode$/m);
    expect(t.out).not.toContain('\x1b[');
    const c = await run(['status'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(c.out).toContain('\x1b[1m');
    const nc = await run(['status', '--no-color'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(nc.out).not.toContain('\x1b[');
  });

  it('commands - status --yaml', async () => {
    const y = await run(['status', '--yaml']);
    expect(y.out).toMatch(/^NodeID: cmdnode$/m);
  });

  it('commands - ping localhost twice as one JSON document', async () => {
    const r = await run(['ping', 'localhost', '--count', '2', '--delay', '0', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { Success: boolean; From: string }[];
    expect(doc).toHaveLength(2);
    expect(doc[0]).toMatchObject({ Success: true, From: 'cmdnode' });
  });

  it('commands - a failed ping exits 1 with the reason', async () => {
    const r = await run(['ping', 'nowhere', '--count', '1']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^meshctl: ping to 'nowhere' failed: .+ \(hint: /);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('commands - traceroute and version', async () => {
    const t = await run(['traceroute', 'localhost']);
    expect(t.out).toMatch(/^0\tcmdnode\t\d+\t\S+\t$/m);
    const v = await run(['version', '--json']);
    expect(JSON.parse(v.out)).toMatchObject({ NodeID: 'cmdnode', meshctl: expect.any(String), Version: expect.any(String) });
  });

  it('commands - connect bridges stdin to a service and passes EOF on', async () => {
    const r = await run(['connect', 'localhost', 'control'], { stdin: 'status\n' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Receptor Control, node cmdnode\n\{.*"NodeID":"cmdnode"/);
  });
});

describe('commands - work', () => {
  it('commands - submit piped prints the unit id; results and status follow', async () => {
    const s = await run(['work', 'submit', 'cat', '-l', 'hello there']);
    expect(s.code).toBe(0);
    const id = s.out.trim();
    expect(id).toMatch(/^\S+$/);
    const r = await run(['work', 'results', id]);
    expect(r).toMatchObject({ code: 0, out: 'hello there\n', err: '' });
    const st = await run(['work', 'status', id, '--json']);
    expect(JSON.parse(st.out)).toMatchObject({ State: 2, StateName: 'Succeeded', StdoutSize: 12, WorkType: 'cat' });
    const part = await run(['work', 'results', id, '--start-pos', '6']);
    expect(part.out).toBe('there\n');
    const list = await run(['work', 'list', '-q']);
    expect(list.out.split('\n')).toContain(id);
    const rel = await run(['work', 'release', id]);
    expect(rel).toMatchObject({ code: 0, out: `${id}\treleased\n` });
  });

  it('commands - submit on a terminal shows Result and Unit ID', async () => {
    const s = await run(['work', 'submit', 'cat', '-n', '--rm'], { tty: true, env: { NO_COLOR: '1' } });
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^Result: +Job Started\nUnit ID: +\S+\n$/);
    expect(s.err).toContain('--rm without --follow');
  });

  it('commands - --follow streams a binary payload back byte for byte', async () => {
    const data = randomBytes(300_000);
    const file = join(dir, 'payload.bin');
    await writeFile(file, data);
    const r = await run(['work', 'submit', 'cat', '-p', file, '--follow', '--rm']);
    expect(r.code).toBe(0);
    expect(Buffer.compare(r.bytes, data)).toBe(0);
    expect(r.err).toMatch(/^released \S+\n$/);
  });

  it('commands - payload from stdin with -p -', async () => {
    const r = await run(['work', 'submit', 'cat', '-p', '-', '-f', '--rm'], { stdin: 'from stdin\n' });
    expect(r.out).toBe('from stdin\n');
  });

  it('commands - command parameters reach the work command', async () => {
    const r = await run(['work', 'submit', 'echo', '-n', '-f', '--rm', 'world']);
    expect(r.out).toBe('hello world\n');
  });

  it('commands - a failed unit: output first, then exit 1 with State/Detail on stderr', async () => {
    const r = await run(['work', 'submit', 'fail', '-n', '-f', '--rm']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('oops\n');
    expect(r.err).toMatch(/^meshctl: work unit '\S+' failed: exit status 3 \(hint: state Failed \(3\)/m);
  });

  it('commands - results of a unit canceled meanwhile end (Receptor never ends that stream) and exit 1', async () => {
    const id = (await run(['work', 'submit', 'sleep', '-n'])).out.trim();
    const following = run(['work', 'results', id]);
    // Cancel once the unit has written its first line (so it is running), then the stream must end by itself.
    for (;;) {
      const st = JSON.parse((await run(['work', 'status', id, '--json'])).out) as { StdoutSize: number };
      if (st.StdoutSize > 0) break;
    }
    expect((await run(['work', 'cancel', id])).code).toBe(0);
    const r = await following;
    expect(r.out).toBe('started\n');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^meshctl: work unit '${id}' was canceled`));
    await run(['work', 'release', id]);
  });

  it('commands - unknown unit and unknown work type are server errors (exit 5)', async () => {
    const u = await run(['work', 'status', 'nosuchunit']);
    expect(u.code).toBe(5);
    expect(u.err).toMatch(/^meshctl: unknown work unit nosuchunit \(hint: list units/);
    const t = await run(['work', 'submit', 'nosuchtype', '-n']);
    expect(t.code).toBe(5);
    expect(t.err).toMatch(/^meshctl: .*nosuchtype/);
  });

  it('commands - cancel goes on past a failing id and exits non-zero at the end', async () => {
    const id = (await run(['work', 'submit', 'cat', '-n'])).out.trim();
    const r = await run(['work', 'cancel', 'bogus1', id, '--json']);
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.out) as Record<string, string>[];
    expect(doc).toEqual([{ unitid: 'bogus1', error: 'unknown work unit bogus1' }, expect.objectContaining({})]);
    expect(Object.values(doc[1]!)).toEqual([id]);
    expect(r.err).toContain("meshctl: cancel 'bogus1': unknown work unit bogus1\n");
    expect(r.err).toContain('meshctl: could not cancel 1 of 2 work units');
    await run(['work', 'release', id]);
  });

  it('commands - release --all releases everything listed', async () => {
    await run(['work', 'submit', 'cat', '-n']);
    const r = await run(['work', 'release', '--all', '--yes']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\treleased\n/);
    expect((await run(['work', 'list', '--json'])).out).toBe('{}\n');
  });

  it('commands - usage errors are caught before connecting', async () => {
    const bad = await run(['work', 'submit', 'cat', '-l', 'x', '--ttl', '5 minutes'], { env: { MESHCTL_SOCKET: '/nonexistent.sock' } });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^meshctl: invalid --ttl '5 minutes'/);
    const two = await run(['work', 'submit', 'cat', '-l', 'x', '-n'], { env: { MESHCTL_SOCKET: '/nonexistent.sock' } });
    expect(two.err).toMatch(/^meshctl: --payload-literal and --no-payload cannot be used together/);
  });
});
