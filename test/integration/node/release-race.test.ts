// No program outlives its unit (issue 10): `work release` racing with the unit's start once left the
// program running while the unit was gone from the list (11 of 700 rounds), because cancel() set its flag
// after run() had checked it and was awaiting lookPath. Here 500 rounds release a unit at every moment of
// its start: while its payload is still open, right at EOF, while the program is being started, and after.
// Against the old code it left 2–5 programs running per run.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { exchange, RawConn } from './raw-client.js';

const ROUNDS = 500;
const PARALLEL = 8;
// A unique second argument makes the test's programs findable in `ps` (sleep adds its arguments up).
const MARKER = `0.000${process.pid}${Date.now() % 100000}`;

function programsLeft(): string[] {
  return execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(MARKER) && !/^\s*\d+\s+Z/.test(l) && !l.includes('ps -eo'));
}

describe('work release racing with start', () => {
  let n: TestNode;
  beforeAll(async () => {
    // `sleep` found through PATH: the lookup's few file checks are the window the race needs (an
    // absolute path resolves at once and leaves none).
    n = await startTestNode({ nodeId: 'race', workCommands: [{ worktype: 'sleeper', command: 'sleep', params: `300 ${MARKER}` }] });
  });
  afterAll(async () => {
    await n.close();
  });

  it(`release race - ${ROUNDS} rounds of release against start leave 0 orphaned programs and 0 units`, async () => {
    const replies = new Map<string, number>();
    const hop = (): Promise<void> => new Promise((r) => setImmediate(r));
    // One open control connection per lane sends the releases: no connect between EOF and release.
    const lanes = await Promise.all(Array.from({ length: PARALLEL }, () => RawConn.connect(n.socketPath)));
    const round = async (i: number, lane: RawConn): Promise<void> => {
      const c = await RawConn.connect(n.socketPath);
      c.send('work submit localhost sleeper\n');
      const id = /with ID (\S+)\./.exec(await c.readLine())![1]!;
      // Spread the release over the unit's start: before EOF, with it, and up to ~60 event-loop turns after.
      const hops = i % 64;
      if (hops === 0) lane.send(`work release ${id}\n`);
      c.end();
      for (let k = 1; k < hops; k++) await hop();
      if (hops !== 0) lane.send(`work release ${id}\n`);
      const submitted = await c.readLine(20_000);
      c.close();
      expect(submitted).toBe(`{"result":"Job Started","unitid":"${id}"}`);
      expect(await lane.readLine(20_000)).toBe(`{"released":"${id}"}`);
      replies.set(id, i);
    };
    for (let i = 0; i < ROUNDS; i += PARALLEL) {
      await Promise.all(Array.from({ length: Math.min(PARALLEL, ROUNDS - i) }, (_, k) => round(i + k, lanes[k]!)));
    }
    for (const l of lanes) l.close();
    expect(replies.size).toBe(ROUNDS);
    const [list] = await exchange(n.socketPath, 'work list\n');
    expect(JSON.parse(list!)).toEqual({});
    // A program killed a moment ago may still be exiting: give stragglers a moment, then none may be left.
    const deadline = Date.now() + 5000;
    while (programsLeft().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(programsLeft()).toEqual([]);
  }, 240_000);
});
