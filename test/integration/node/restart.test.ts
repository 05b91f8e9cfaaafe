// Running work survives its node (issue 10): `meshctl node` stopped by SIGTERM or killed by SIGKILL in the
// middle of a unit leaves the program running under the unit runner; the node started again on the same
// data directory takes the unit back, and it ends Succeeded with its complete output, byte for byte.
// Receptor does the same through its command runner (tests/functional TestResultsOnRestartedNode).
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cliBuilt, spawnTestNode, type SpawnedTestNode, type SpawnOptions } from '../../helpers/node.js';
import { exchange, RawConn, submit, waitForStatus } from './raw-client.js';

const HALF = 300_000;
// The program copies the first HALF bytes of its payload, pauses (the node is stopped then), copies the rest.
const workCommands = [{ worktype: 'slowcat', command: 'sh', params: `-c "dd bs=1000 count=${HALF / 1000} status=none; sleep 2; cat"` }];

function alive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

async function resultsOf(address: string, id: string): Promise<Buffer> {
  const c = await RawConn.connect(address);
  c.send(`work results ${id}\n`);
  c.end();
  expect(await c.readLine()).toBe(`Streaming results for work unit ${id}`);
  const out = await c.readToEnd(30_000);
  c.close();
  return out;
}

describe.runIf(cliBuilt())('node restart - running units are taken back', () => {
  const started: SpawnedTestNode[] = [];
  let programPid = 0;
  afterEach(async () => {
    if (programPid > 1 && alive(programPid)) process.kill(-programPid, 'SIGKILL');
    programPid = 0;
    for (const n of started.splice(0).reverse()) {
      await n.close();
      await rm(n.dir, { recursive: true, force: true });
    }
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`node restart - after ${signal} mid-unit the unit ends Succeeded with byte-exact output`, async () => {
      const opts: SpawnOptions = { via: 'cli', nodeId: 'survivor', workCommands };
      const first = await spawnTestNode(opts);
      started.push(first);
      const payload = randomBytes(1024 * 1024);
      const id = await submit(first.socketPath, 'work submit localhost slowcat', payload);
      const running = await waitForStatus(first.socketPath, id, (s) => s.State === 1 && s.StdoutSize >= HALF);
      programPid = (running.ExtraData as { Pid: number }).Pid;

      first.child.kill(signal);
      await once(first.child, 'exit');
      // The program outlived its node.
      expect(alive(programPid)).toBe(true);

      const second = await spawnTestNode({ ...opts, dir: first.dir });
      started.push(second);
      // Taken back while still running: a follower started now gets everything and ends with the unit.
      const after = await waitForStatus(second.socketPath, id, () => true);
      expect(after.State).toBe(1);
      expect(after.Detail).toBe(`Running: PID ${programPid}`);
      const followed = await resultsOf(second.socketPath, id);
      expect(followed.equals(payload)).toBe(true);

      const done = await waitForStatus(second.socketPath, id, (s) => s.State !== 1, 20_000);
      expect(done).toMatchObject({ State: 2, StateName: 'Succeeded', Detail: 'exit status 0', StdoutSize: payload.length, ExtraData: null });
      expect((await resultsOf(second.socketPath, id)).equals(payload)).toBe(true);
      expect(second.stderr()).toContain(`took back the running program (PID ${programPid})`);
      expect(alive(programPid)).toBe(false);
    });
  }

  it('node restart - a unit finished while no node ran is found Succeeded at start', async () => {
    const opts: SpawnOptions = { via: 'cli', nodeId: 'offline', workCommands };
    const first = await spawnTestNode(opts);
    started.push(first);
    const payload = randomBytes(HALF * 2);
    const id = await submit(first.socketPath, 'work submit localhost slowcat', payload);
    const running = await waitForStatus(first.socketPath, id, (s) => s.State === 1);
    programPid = (running.ExtraData as { Pid: number }).Pid;
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    // The runner records the end in the status file while no node runs.
    const deadline = Date.now() + 20_000;
    while (alive(programPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(programPid)).toBe(false);
    const second = await spawnTestNode({ ...opts, dir: first.dir });
    started.push(second);
    const [line] = await exchange(second.socketPath, `work status ${id}\n`);
    expect(JSON.parse(line!)).toMatchObject({ State: 2, Detail: 'exit status 0', StdoutSize: payload.length });
    expect((await resultsOf(second.socketPath, id)).equals(payload)).toBe(true);
  });
});
