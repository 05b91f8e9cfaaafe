// Work units of the embedded node over a real socket: the exact lines of every `work` subcommand, unit
// files on disk, real child processes. Expected texts were checked against receptor 1.6.5.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../helpers/mesh.js';
import { spawnTestNode, startTestNode, type TestNode } from '../../helpers/node.js';
import { exchange, RawConn, submit, waitForStatus } from './raw-client.js';

let n: TestNode;

beforeAll(async () => {
  n = await startTestNode({
    nodeId: 'foo',
    cancelGraceMs: 2000,
    workCommands: [
      { worktype: 'cat', command: 'cat' },
      { worktype: 'echo', command: 'echo', params: "hello 'a b'" },
      { worktype: 'sh', command: 'sh', params: '-c', allowruntimeparams: true },
      { worktype: 'nope', command: '/nonexistent/prog' },
      { worktype: 'nope2', command: 'no-such-command-meshctl' },
      { worktype: 'quote', command: 'echo', params: "'unclosed" },
    ],
  });
});

afterAll(async () => {
  await n.close();
});

const done = (s: { State: number }): boolean => s.State >= 2;

function processesWithMarker(marker: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(marker) && !l.includes('ps -eo'));
}

/** Live (not zombie) members of a process group. */
function liveGroupMembers(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && Number(f[1]) === pgid && !f[2]!.startsWith('Z'))
    .map((f) => f[0]!);
}

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('work submit', () => {
  it('work - text submit: intermediate line, payload to stdin, final JSON, then the session ends at EOF', async () => {
    const c = await RawConn.connect(n.socketPath);
    c.send('work submit localhost cat\n');
    const created = await c.readLine();
    const m = /^Work unit created with ID (foo[0-9a-zA-Z]{8})\. Send stdin data and EOF\.$/.exec(created);
    expect(m).not.toBeNull();
    const id = m![1]!;
    c.send('hello\n');
    c.end();
    expect(await c.readLine()).toBe(`{"result":"Job Started","unitid":"${id}"}`);
    expect((await c.readToEnd()).length).toBe(0);
    const s = await waitForStatus(n.socketPath, id, done);
    expect(s).toEqual({ Detail: 'exit status 0', ExtraData: null, State: 2, StateName: 'Succeeded', StdoutSize: 6, WorkType: 'cat' });
    const dir = path.join(n.dataDir, 'foo', id);
    expect((await readdir(dir)).sort()).toEqual(['status', 'status.lock', 'stdin', 'stdout']);
    expect(await readFile(path.join(dir, 'status'), 'utf8')).toBe(
      '{"State":2,"Detail":"exit status 0","StdoutSize":6,"WorkType":"cat","ExtraData":null}\n',
    );
    expect(await readFile(path.join(dir, 'stdin'), 'utf8')).toBe('hello\n');
    expect(await readFile(path.join(dir, 'stdout'), 'utf8')).toBe('hello\n');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, 'stdout'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'status'))).mode & 0o777).toBe(0o600);
  });

  it('work - params are split like shlex, no shell involved', async () => {
    const id = await submit(n.socketPath, 'work submit foo echo');
    await waitForStatus(n.socketPath, id, done);
    const [, out] = await exchange(n.socketPath, `work results ${id}\n`);
    expect(out).toBe('hello a b');
  });

  it('work - JSON submit with runtime params; stdout and stderr share one file; exit status n fails', async () => {
    const id = await submit(
      n.socketPath,
      JSON.stringify({ command: 'work', subcommand: 'submit', node: 'localhost', worktype: 'sh', params: '"echo hi; echo err >&2; exit 3"', secret_pw: 'hunter2' }),
    );
    const s = await waitForStatus(n.socketPath, id, done);
    expect(s).toMatchObject({ State: 3, StateName: 'Failed', Detail: 'exit status 3', StdoutSize: 7, ExtraData: null });
    const lines = await exchange(n.socketPath, `work results ${id}\n`);
    expect(lines).toEqual([`Streaming results for work unit ${id}`, 'hi', 'err']);
    const [list] = await exchange(n.socketPath, 'work list\n');
    expect(list).not.toContain('hunter2');
    expect(await readFile(path.join(n.dataDir, 'foo', id, 'status'), 'utf8')).not.toContain('hunter2');
  });

  it('work - runtime params on a type without allowruntimeparams are refused and the session goes on', async () => {
    const lines = await exchange(n.socketPath, 'work submit localhost echo x\nping localhost\n');
    expect(lines[0]).toBe('ERROR: extra params provided but not allowed');
    expect(lines[1]).toMatch(/"Success":true/);
  });

  it('work - submit errors', async () => {
    const lines = await exchange(
      n.socketPath,
      [
        'work submit localhost',
        'work submit localhost nosuchtype',
        '{"command":"work","subcommand":"submit","node":"localhost","worktype":"cat","x":1}',
        '{"command":"work","subcommand":"submit","worktype":"cat"}',
        '{"command":"work","subcommand":"submit","node":"localhost"}',
        '{"command":"work","subcommand":"submit","node":"localhost","worktype":"cat","ttl":"1m"}',
        '{"command":"work","subcommand":"submit","node":"localhost","worktype":"cat","signature":"x"}',
        '{"command":"work","subcommand":"submit","node":"other","worktype":"cat","secret_a":"b"}',
        '{"command":"work","subcommand":"submit","node":"other","worktype":"cat","tlsclient":"nope"}',
        '{"command":"work","subcommand":"submit","node":"other","worktype":"cat","ttl":"5x"}',
        '{"command":"work"}',
        '{"command":"work","subcommand":7}',
        '',
      ].join('\n'),
    );
    expect(lines).toEqual([
      'ERROR: work submit requires a target node and work type',
      'ERROR: unknown work type nosuchtype',
      'ERROR: submit parameters must all be strings and x is not',
      'ERROR: field node missing',
      'ERROR: field worktype missing',
      'ERROR: ttl option is intended for remote work only',
      'ERROR: work type did not expect a signature',
      'ERROR: cannot send secrets over a non-TLS connection',
      'ERROR: unknown TLS config nope',
      'ERROR: time: unknown unit "x" in duration "5x"',
      'ERROR: field subcommand missing',
      'ERROR: field subcommand must be a string',
    ]);
  });

  it('work - start failures become Failed units with Receptor-like details', async () => {
    const ids = await Promise.all(['nope', 'nope2', 'quote'].map((t) => submit(n.socketPath, `work submit localhost ${t}`)));
    const details = await Promise.all(ids.map(async (id) => (await waitForStatus(n.socketPath, id, done)).Detail));
    expect(details).toEqual([
      'fork/exec /nonexistent/prog: no such file or directory',
      'exec: "no-such-command-meshctl": executable file not found in $PATH',
      'EOF found when expecting closing quote',
    ]);
  });

  it('work - bytes sent right after the submit line are payload, never commands', async () => {
    const c = await RawConn.connect(n.socketPath);
    // Everything in one write: a client that does not wait for the intermediate line.
    c.send('work submit localhost cat\nstatus\nwork list\n');
    c.end();
    const created = await c.readLine();
    const id = /with ID (\S+)\./.exec(created)![1]!;
    const final = await c.readLine();
    expect(final).toBe(`{"result":"Job Started","unitid":"${id}"}`);
    expect((await c.readToEnd()).toString()).toBe('');
    await waitForStatus(n.socketPath, id, done);
    const lines = await exchange(n.socketPath, `work results ${id}\n`);
    expect(lines).toEqual([`Streaming results for work unit ${id}`, 'status', 'work list']);
  });

  it('work - 50 units submitted concurrently all run and are listed', async () => {
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) => submit(n.socketPath, 'work submit localhost cat', `payload ${i}\n`)),
    );
    expect(new Set(ids).size).toBe(50);
    const statuses = await Promise.all(ids.map((id) => waitForStatus(n.socketPath, id, done, 20_000)));
    for (const s of statuses) expect(s.Detail).toBe('exit status 0');
    const [list] = await exchange(n.socketPath, 'work list\n');
    const units = JSON.parse(list!) as Record<string, unknown>;
    for (const id of ids) expect(units[id]).toMatchObject({ State: 2, WorkType: 'cat' });
    const outs = await Promise.all(ids.map((id) => exchange(n.socketPath, `work results ${id}\n`)));
    outs.forEach((lines, i) => expect(lines[1]).toBe(`payload ${i}`));
  });
});

describe('work status, list, cancel, release', () => {
  it('work - status while running shows Pid and Params; cancel kills the whole process tree', async () => {
    const marker = `meshctl-cancel-${process.pid}-${Date.now()}`;
    const id = await submit(
      n.socketPath,
      JSON.stringify({
        command: 'work',
        subcommand: 'submit',
        node: 'localhost',
        worktype: 'sh',
        params: `"echo start; sleep 100 & sleep 101 # ${marker}"`,
      }),
    );
    const running = await waitForStatus(n.socketPath, id, (s) => s.State === 1 && s.StdoutSize === 6);
    const ed = running.ExtraData as { Pid: number; Params: string };
    expect(Object.keys(ed)).toEqual(['Pid', 'Params']);
    expect(running.Detail).toBe(`Running: PID ${ed.Pid}`);
    expect(ed.Params).toBe(`-c "echo start; sleep 100 & sleep 101 # ${marker}"`);
    // The shell and both sleeps are in the unit's own process group.
    expect(liveGroupMembers(ed.Pid).length).toBeGreaterThanOrEqual(3);
    expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(1);
    expect(await exchange(n.socketPath, `work cancel ${id}\n`)).toEqual([`{"cancelled":"${id}"}`]);
    const s = await waitForStatus(n.socketPath, id, (x) => x.State === 4);
    expect(s).toMatchObject({ Detail: 'Canceled', StateName: 'Canceled', ExtraData: null, StdoutSize: 6 });
    // The background sleep ignores SIGINT (non-interactive shells do that to `&` jobs): only the
    // group-wide SIGKILL ends it. Killed processes may linger as zombies until init reaps them.
    expect(await eventually(() => liveGroupMembers(ed.Pid).length === 0)).toBe(true);
    expect(await eventually(() => processesWithMarker(marker).length === 0)).toBe(true);
  });

  it('work - cancel of a finished unit answers cancelled and keeps its state', async () => {
    const id = await submit(n.socketPath, 'work submit localhost cat', 'x');
    await waitForStatus(n.socketPath, id, done);
    expect(await exchange(n.socketPath, `{"command":"work","subcommand":"cancel","unitid":"${id}"}\n`)).toEqual([
      `{"cancelled":"${id}"}`,
    ]);
    expect((await waitForStatus(n.socketPath, id, done)).State).toBe(2);
  });

  it('work - a unit cancelled while waiting for its payload does not start', async () => {
    const c = await RawConn.connect(n.socketPath);
    c.send('work submit localhost cat\n');
    const id = /with ID (\S+)\./.exec(await c.readLine())![1]!;
    const waiting = await waitForStatus(n.socketPath, id, () => true);
    expect(waiting).toMatchObject({ State: 0, Detail: 'Waiting for Input Data', ExtraData: { Pid: 0, Params: '' } });
    expect(await exchange(n.socketPath, `work cancel ${id}\n`)).toEqual([`{"cancelled":"${id}"}`]);
    c.send('never run\n');
    c.end();
    expect(await c.readLine()).toBe(`{"result":"Job Started","unitid":"${id}"}`);
    c.close();
    expect(await waitForStatus(n.socketPath, id, (s) => s.State === 4)).toMatchObject({ Detail: 'Canceled', StdoutSize: 0 });
  });

  it('work - release removes the unit directory; later commands say unknown work unit', async () => {
    const id = await submit(n.socketPath, 'work submit localhost cat', 'x');
    await waitForStatus(n.socketPath, id, done);
    const lines = await exchange(n.socketPath, `work release ${id}\nwork release ${id}\nwork status ${id}\nwork list ${id}\n`);
    expect(lines).toEqual([
      `{"released":"${id}"}`,
      `ERROR: unknown work unit ${id}`,
      `ERROR: unknown work unit ${id}`,
      `ERROR: unknown work unit ${id}`,
    ]);
    await expect(stat(path.join(n.dataDir, 'foo', id))).rejects.toThrow();
  });

  it('work - force-release of a running unit stops it and removes it', async () => {
    const id = await submit(n.socketPath, '{"command":"work","subcommand":"submit","node":"localhost","worktype":"sh","params":"\\"sleep 60\\""}');
    await waitForStatus(n.socketPath, id, (s) => s.State === 1);
    expect(await exchange(n.socketPath, `{"command":"work","subcommand":"force-release","unitid":"${id}"}\n`)).toEqual([
      `{"released":"${id}"}`,
    ]);
    await expect(stat(path.join(n.dataDir, 'foo', id))).rejects.toThrow();
  });

  it('work - argument errors of status, cancel, release, results, list', async () => {
    const lines = await exchange(
      n.socketPath,
      [
        'work',
        'work foo',
        'work status',
        'work status a b',
        'work cancel',
        'work force-release a b',
        'work results',
        'work results a b c',
        'work results a x',
        'work cancel zz',
        'work force-release zz',
        'work results zz',
        'work list zz',
        '{"command":"work","subcommand":"status"}',
        '{"command":"work","subcommand":"status","unitid":5}',
        '{"command":"work","subcommand":"results","unitid":"zz"}',
        '{"command":"work","subcommand":"results","unitid":"zz","startpos":true}',
        '{"command":"work","subcommand":"results","unitid":"zz","startpos":null}',
        '',
      ].join('\n'),
    );
    expect(lines).toEqual([
      'ERROR: bad command',
      'ERROR: bad command',
      'ERROR: work status requires a unit ID',
      'ERROR: work status does not take parameters after the unit ID',
      'ERROR: work cancel requires a unit ID',
      'ERROR: work force-release does not take parameters after the unit ID',
      'ERROR: work results requires a unit ID',
      'ERROR: work results only takes a unit ID and optional start position',
      'ERROR: error converting start position to integer: strconv.ParseInt: parsing "x": invalid syntax',
      'ERROR: unknown work unit zz',
      'ERROR: unknown work unit zz',
      'ERROR: unknown work unit zz',
      'ERROR: unknown work unit zz',
      'ERROR: field unitid missing',
      'ERROR: field unitid must be a string',
      'ERROR: field startpos missing',
      'ERROR: field startpos value %!s(bool=true) is not convertible to an int',
      'ERROR: field startpos value %!s(<nil>) is not convertible to an int',
    ]);
  });

  it('work - work list is {} on a node without units', async () => {
    const other = await startTestNode({ workCommands: [{ worktype: 'cat', command: 'cat' }] });
    try {
      expect(await exchange(other.socketPath, 'work list\n')).toEqual(['{}']);
    } finally {
      await other.close();
    }
  });
});

describe('work results', () => {
  it('work - results from a start position, past the end, negative, and string startpos', async () => {
    const id = await submit(n.socketPath, 'work submit localhost cat', 'hello\n');
    await waitForStatus(n.socketPath, id, done);
    const header = `Streaming results for work unit ${id}\n`;
    const read = async (req: string): Promise<string> => {
      const c = await RawConn.connect(n.socketPath);
      c.send(req);
      c.end();
      const all = (await c.readToEnd()).toString();
      c.close();
      return all;
    };
    expect(await read(`work results ${id} 2\n`)).toBe(header + 'llo\n');
    expect(await read(`work results ${id} 100\n`)).toBe(header);
    expect(await read(`work results ${id} -1\n`)).toBe(header);
    expect(await read(`{"command":"work","subcommand":"results","unitid":"${id}","startpos":"3"}\n`)).toBe(header + 'lo\n');
    expect(await read(`{"command":"work","subcommand":"results","unitid":"${id}","startpos":4.9}\n`)).toBe(header + 'o\n');
  });

  it('work - after the stream ends the session still takes commands (Receptor does not close it)', async () => {
    const id = await submit(n.socketPath, 'work submit localhost cat', 'abc');
    await waitForStatus(n.socketPath, id, done);
    const c = await RawConn.connect(n.socketPath);
    c.send(`work results ${id}\n`);
    expect(await c.readLine()).toBe(`Streaming results for work unit ${id}`);
    expect((await c.readBytes(3)).toString()).toBe('abc');
    c.send('{"command":"status","requested_fields":["NodeID"]}\n');
    expect(await c.readLine()).toBe('{"NodeID":"foo"}');
    c.close();
  });

  it('work - a follower of a running unit gets new output and ends when the unit completes', async () => {
    const flag = path.join(n.dir, `go-${Date.now()}`);
    const script = `echo one; while [ ! -e ${flag} ]; do sleep 0.02; done; echo two`;
    const id = await submit(
      n.socketPath,
      JSON.stringify({ command: 'work', subcommand: 'submit', node: 'localhost', worktype: 'sh', params: JSON.stringify(script) }),
    );
    await waitForStatus(n.socketPath, id, (s) => s.State === 1);
    const c = await RawConn.connect(n.socketPath);
    c.send(`work results ${id}\n`);
    c.end();
    expect(await c.readLine()).toBe(`Streaming results for work unit ${id}`);
    expect(await c.readLine()).toBe('one');
    expect(c.isEnded).toBe(false);
    await writeFile(flag, '');
    expect(await c.readLine()).toBe('two');
    expect((await c.readToEnd()).length).toBe(0);
    expect((await waitForStatus(n.socketPath, id, done)).StdoutSize).toBe(8);
    c.close();
  });

  it('work - results of an unknown unit fail at once', async () => {
    expect(await exchange(n.socketPath, 'work results nosuch\n')).toEqual(['ERROR: unknown work unit nosuch']);
  });
});

describe('work units across restarts', () => {
  it('work - units survive a node restart; a unit that was running is marked Failed', async () => {
    const first = await startTestNode({ nodeId: 'restart', workCommands: [{ worktype: 'cat', command: 'cat' }, { worktype: 'sleep', command: 'sleep', params: '30' }] });
    let second: TestNode | undefined;
    try {
      const done1 = await submit(first.socketPath, 'work submit localhost cat', 'kept\n');
      await waitForStatus(first.socketPath, done1, done);
      const running = await submit(first.socketPath, 'work submit localhost sleep');
      await waitForStatus(first.socketPath, running, (s) => s.State === 1);
      await first.node.close();
      second = await startTestNode({
        nodeId: 'restart',
        dir: first.dir,
        workCommands: [{ worktype: 'cat', command: 'cat' }, { worktype: 'sleep', command: 'sleep', params: '30' }],
      });
      const [list] = await exchange(second.socketPath, 'work list\n');
      const units = JSON.parse(list!) as Record<string, { State: number; Detail: string }>;
      expect(units[done1]).toMatchObject({ State: 2, Detail: 'exit status 0', StdoutSize: 5 });
      expect(units[running]).toMatchObject({ State: 3, ExtraData: null });
      expect(units[running]!.Detail).toBe('Killed');
      expect(await exchange(second.socketPath, `work results ${done1}\n`)).toEqual([
        `Streaming results for work unit ${done1}`,
        'kept',
      ]);
    } finally {
      await second?.node.close();
      await first.close();
    }
  });

  it('work - a unit left Running or Pending on disk by a crashed node is Failed at start', async () => {
    const { mkdir } = await import('node:fs/promises');
    const node0 = await startTestNode({ nodeId: 'crash', workCommands: [{ worktype: 'cat', command: 'cat' }] });
    await node0.node.close();
    const unitsDir = path.join(node0.dataDir, 'crash');
    const mk = async (id: string, body: string): Promise<void> => {
      await mkdir(path.join(unitsDir, id), { recursive: true });
      await writeFile(path.join(unitsDir, id, 'status'), body);
    };
    await mk('crashRUN00001', '{"State":1,"Detail":"Running: PID 999999","StdoutSize":0,"WorkType":"cat","ExtraData":{"Pid":999999,"Params":""}}\n');
    await mk('crashPEND0001', '{"State":0,"Detail":"Waiting for Input Data","StdoutSize":0,"WorkType":"cat","ExtraData":{"Pid":0,"Params":""}}\n');
    await mk('crashUNKN0001', '{"State":2,"Detail":"exit status 0","StdoutSize":0,"WorkType":"gone","ExtraData":null}\n');
    await mk('crashBAD00001', '{not json');
    const node1 = await startTestNode({ nodeId: 'crash', dir: node0.dir, workCommands: [{ worktype: 'cat', command: 'cat' }] });
    try {
      const [list] = await exchange(node1.socketPath, 'work list\n');
      const units = JSON.parse(list!) as Record<string, { State: number; Detail: string; ExtraData: unknown }>;
      expect(units.crashRUN00001).toMatchObject({
        State: 3,
        Detail: 'Failed to restart: the unit was running and its program is gone without a recorded exit status',
        ExtraData: null,
      });
      expect(units.crashPEND0001).toMatchObject({ State: 3, Detail: 'Pending at restart' });
      expect(units.crashUNKN0001).toMatchObject({ State: 2, ExtraData: 'Unknown WorkType' });
      expect(units.crashBAD00001!.State).toBe(3);
      expect(units.crashBAD00001!.Detail).toMatch(/^Failed to restart: /);
    } finally {
      await node1.close();
      await rm(node0.dir, { recursive: true, force: true });
    }
  });
});

describe('work units with huge runtime params', () => {
  it('work - runtime params over ARG_MAX fail the unit with E2BIG at once instead of being split into millions of arguments', async () => {
    const n = await startTestNode({ nodeId: 'big', workCommands: [{ worktype: 'echo', command: 'echo', allowruntimeparams: true }] });
    try {
      // 30 MiB of one-letter words: the old node spent seconds splitting them (and GC) before the exec failed.
      const params = 'a '.repeat(15 * 1024 * 1024);
      const c = await RawConn.connect(n.socketPath);
      c.send(`work submit localhost echo ${params}\n`);
      const id = /with ID (\S+)\./.exec(await c.readLine(30_000))![1]!;
      c.end();
      expect(await c.readLine(30_000)).toBe(`{"result":"Job Started","unitid":"${id}"}`);
      c.close();
      const echo = execFileSync('which', ['echo'], { encoding: 'utf8' }).trim();
      const st = await waitForStatus(n.socketPath, id, (s) => s.State === 3);
      expect(st.Detail).toBe(`fork/exec ${echo}: argument list too long`);
    } finally {
      await n.close();
    }
  });
});
