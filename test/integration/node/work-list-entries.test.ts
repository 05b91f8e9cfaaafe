// `work list` is built from entries each unit keeps until its status changes (UnitBase.listEntry) and from an ID
// order the Workceptor keeps until a unit is added or forgotten (issue 13: a 10k-unit list was 2.2 times slower
// than receptor's, most of it spent re-marshalling every unit's map). A stale entry or order would answer with an
// old state, a released unit or a missing one, so each step below changes the node one way (submit, the program
// starting and ending, release, a unit found on disk after start) and then compares the whole list reply with
// one built here from `work status` replies (goMarshal's path, no cache) in UTF-8 byte order (Buffer.compare).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { exchange, RawConn, waitForStatus } from './raw-client.js';

describe('work list entries', () => {
  let n: TestNode;
  let gate: string;
  beforeAll(async () => {
    n = await startTestNode({ nodeId: 'lister', workCommands: [{ worktype: 'gated', command: 'sh', params: '-c "while [ ! -e \\"$1\\" ]; do sleep 0.05; done; echo finished" GATE', allowruntimeparams: true }] });
    gate = path.join(n.dir, 'gate');
  });
  afterAll(async () => {
    await n.close();
  });

  async function line(text: string): Promise<string> {
    const [reply] = await exchange(n.socketPath, `${text}\n`);
    return reply!;
  }

  /** The list reply as it must be: each unit's `work status` bytes under its ID, IDs in UTF-8 byte order. */
  async function expectedList(ids: string[]): Promise<string> {
    const sorted = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const parts: string[] = [];
    for (const id of sorted) parts.push(`${JSON.stringify(id)}:${await line(`{"command":"work","subcommand":"status","unitid":${JSON.stringify(id)}}`)}`);
    return `{${parts.join(',')}}`;
  }

  async function submitGated(id: string): Promise<void> {
    const c = await RawConn.connect(n.socketPath);
    c.send(`${JSON.stringify({ command: 'work', subcommand: 'submit', node: 'localhost', worktype: 'gated', workUnitID: id, params: gate })}\n`);
    expect(await c.readLine()).toBe(`Work unit created with ID ${id}. Send stdin data and EOF.`);
    c.end();
    expect(await c.readLine(20_000)).toBe(`{"result":"Job Started","unitid":"${id}"}`);
    c.close();
  }

  it('work list - every change of a unit or of the set of units shows in the next list, in UTF-8 byte order', async () => {
    // Cached while empty.
    expect(await line('work list')).toBe('{}');

    // Submits: the set grows. U+FFC3 sorts after an emoji in UTF-16 but before it in UTF-8 (EF BF 83 < F0 9F).
    const ids = ['list-b', 'list-\uffc3', 'list-\u{1F600}', 'list-a'];
    await submitGated(ids[0]!);
    await waitForStatus(n.socketPath, ids[0]!, (s) => s.State === 1);
    expect(await line('work list')).toBe(await expectedList(ids.slice(0, 1)));
    for (const id of ids.slice(1)) await submitGated(id);
    for (const id of ids) await waitForStatus(n.socketPath, id, (s) => s.State === 1);
    const running = await line('work list');
    expect(running).toBe(await expectedList(ids));
    expect(Object.keys(JSON.parse(running) as object)).toEqual(['list-a', 'list-b', 'list-\uffc3', 'list-\u{1F600}']);

    // The programs end: every entry listed as Running before must now say Succeeded with its output size.
    writeFileSync(gate, '');
    for (const id of ids) await waitForStatus(n.socketPath, id, (s) => s.State === 2);
    const ended = await line('work list');
    expect(ended).toBe(await expectedList(ids));
    for (const s of Object.values(JSON.parse(ended) as Record<string, { StateName: string; StdoutSize: number }>)) {
      expect(s).toMatchObject({ StateName: 'Succeeded', StdoutSize: 'finished\n'.length });
    }

    // Release: the unit leaves the list.
    expect(await line(`work release ${ids[0]}`)).toBe(`{"released":"${ids[0]}"}`);
    expect(await line('work list')).toBe(await expectedList(ids.slice(1)));

    // A unit directory that appears after start is loaded by `work status` (findUnit → scanForUnit) and joins the
    // list; its type is not configured here, so its entry says "Unknown WorkType".
    const found = 'list-0-found';
    const dir = path.join(n.dataDir, 'lister', found);
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(path.join(dir, 'status'), '{"State":3,"Detail":"exit status 1","StdoutSize":0,"WorkType":"gone","ExtraData":null}\n', { mode: 0o600 });
    expect(JSON.parse(await line(`work status ${found}`))).toMatchObject({ ExtraData: 'Unknown WorkType', StateName: 'Failed' });
    const withFound = await line('work list');
    expect(withFound).toBe(await expectedList([found, ...ids.slice(1)]));
    expect(Object.keys(JSON.parse(withFound) as object)[0]).toBe(found);

    // A list naming one unit goes through the same path as `work status`.
    expect(await line(`work list ${ids[1]}`)).toBe(`{${JSON.stringify(ids[1])}:${await line(`work status ${ids[1]}`)}}`);
  }, 60_000);
});
