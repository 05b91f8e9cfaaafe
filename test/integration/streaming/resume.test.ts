// Resumable results: the connection to the node is cut (by a TCP proxy in front of its control listener) while
// the unit is still running; `work results` / `work submit --follow` / followResults() reconnect and ask again
// from the byte offset already delivered, so the output is the unit's stdout file exactly — every byte once.
// When the node stays unreachable, resuming gives up after --reconnect-timeout with exit 6 and the exact
// `--start-pos` to resume from, and stdout holds a clean prefix of the output.
import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { WorkState, type WorkUnitStatus } from '../../../src/protocol/types.js';
import { ensureBuilt } from '../../e2e/build.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { fileSize, KiB, prng, runCli, sha256File, unitStdout, waitFor } from './support.js';

// 40 × 64 KiB of random bytes over ~2 s: still running while the first cuts happen.
const SLOWGEN = '-c "i=0; while [ $i -lt 40 ]; do head -c 65536 /dev/urandom; sleep 0.05; i=$((i+1)); done"';
const SLOWGEN_SIZE = 40 * 64 * KiB;

let node: TestNode;
let direct: ControlClient;
let dir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-resume-'));
  node = await startTestNode({ tcp: true, workCommands: [{ worktype: 'slowgen', command: 'sh', params: SLOWGEN }] });
  direct = new ControlClient({ address: node.socketPath });
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

afterAll(async () => {
  await direct?.close();
  await node?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A proxy that cuts every connection after a random number of bytes in [min, max) (seeded). */
async function cuttingProxy(seed: number, min: number, max: number): Promise<FaultProxy> {
  const rand = prng(seed);
  const proxy = await startFaultProxy({ port: node.tcpPort! }, () => ({ cutAfter: min + Math.floor(rand() * (max - min)) }));
  cleanups.push(() => proxy.close());
  return proxy;
}

async function submitSlowgen(): Promise<string> {
  const r = await direct.workSubmit({ workType: 'slowgen' }, null);
  cleanups.push(() => direct.workRelease(r.unitid, { force: true }));
  return r.unitid;
}

async function outFile(name: string): Promise<{ file: string; fd: number; close: () => Promise<void> }> {
  const file = path.join(dir, name);
  const fh = await open(file, 'w');
  return { file, fd: fh.fd, close: () => fh.close() };
}

async function expectSameAsUnitStdout(file: string, unitId: string): Promise<void> {
  const onDisk = unitStdout(node, unitId);
  expect(await fileSize(onDisk)).toBe(SLOWGEN_SIZE);
  expect(await fileSize(file)).toBe(SLOWGEN_SIZE);
  expect(await sha256File(file)).toBe(await sha256File(onDisk));
}

describe('streaming - resume after dropped connections', () => {
  it('resume - followResults() delivers every byte exactly once across cuts while the unit runs', async () => {
    const proxy = await cuttingProxy(1, 40 * KiB, 300 * KiB);
    const id = await submitSlowgen();
    const client = new ControlClient({ address: proxy.address });
    cleanups.push(() => client.close());
    const hash = createHash('sha256');
    let size = 0;
    const statusAtReconnect: Promise<WorkUnitStatus>[] = [];
    const stream = client.followResults(id, {
      reconnectTimeoutMs: 10_000,
      onReconnect: () => {
        statusAtReconnect.push(direct.workStatus(id));
      },
    });
    for await (const chunk of stream) {
      hash.update(chunk);
      size += chunk.length;
    }
    expect(size).toBe(SLOWGEN_SIZE);
    expect(hash.digest('hex')).toBe(await sha256File(unitStdout(node, id)));
    expect(stream.final?.State).toBe(WorkState.Succeeded);
    expect(stream.reconnects).toBeGreaterThanOrEqual(3);
    expect(proxy.cuts).toBeGreaterThanOrEqual(3);
    // The first drop happened while the unit was still producing output.
    expect((await statusAtReconnect[0]!).State).toBe(WorkState.Running);
  });

  it('resume - `meshctl work results` (built binary) writes the unit stdout byte-exact and notes the reconnect on stderr', async () => {
    const proxy = await cuttingProxy(2, 40 * KiB, 300 * KiB);
    const id = await submitSlowgen();
    const out = await outFile('results.out');
    const run = runCli(['-s', proxy.address, 'work', 'results', id, '--reconnect-timeout', '10s'], { stdoutFd: out.fd });
    const r = await run.done;
    await out.close();
    expect(r.stderr).toMatch(new RegExp(`results stream of '${id}' lost at byte \\d+ .*reconnecting`));
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.cuts).toBeGreaterThanOrEqual(3);
    await expectSameAsUnitStdout(out.file, id);
  });

  it('resume - `meshctl work submit --follow` (built binary) survives cuts of its results stream', async () => {
    const proxy = await cuttingProxy(3, 40 * KiB, 300 * KiB);
    const before = new Set(Object.keys(await direct.workList()));
    const out = await outFile('submit.out');
    const run = runCli(['-s', proxy.address, 'work', 'submit', 'slowgen', '-n', '-f', '--reconnect-timeout', '10s'], { stdoutFd: out.fd });
    const r = await run.done;
    await out.close();
    const created = Object.keys(await direct.workList()).filter((k) => !before.has(k));
    expect(created).toHaveLength(1);
    const id = created[0]!;
    cleanups.push(() => direct.workRelease(id, { force: true }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reconnecting/);
    expect(proxy.cuts).toBeGreaterThanOrEqual(3);
    await expectSameAsUnitStdout(out.file, id);
  });

  it('resume - gives up after --reconnect-timeout with exit 6, the resume offset, and a clean prefix on stdout', async () => {
    // The first connection (the results stream) is cut after 100 KiB; every later one is dropped before the
    // greeting: the node "went away", status checks fail too, and only the timeout ends the retrying.
    const proxy = await startFaultProxy({ port: node.tcpPort! }, (i) => (i === 0 ? { cutAfter: 100 * KiB } : { cutAfter: 0 }));
    cleanups.push(() => proxy.close());
    const id = await submitSlowgen();
    const out = await outFile('timeout.out');
    const run = runCli(['-s', proxy.address, 'work', 'results', id, '--reconnect-timeout', '1s'], { stdoutFd: out.fd });
    const r = await run.done;
    await out.close();
    expect(r.code, r.stderr).toBe(6);
    expect(proxy.accepted).toBeGreaterThan(2);
    // The hint keeps the -s ADDRESS typed (issue 11: resume hints dropped it).
    const m = new RegExp(`^meshctl: lost the results stream of unit '${id}' at byte (\\d+) after retrying for 1s: .*\\(hint: resume with: meshctl -s ${proxy.address} work results ${id} --start-pos (\\d+)\\)$`, 'm').exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const written = await fileSize(out.file);
    expect(Number(m![2])).toBe(written);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(100 * KiB);
    // stdout is exactly the first `written` bytes of the unit's output: nothing lost, nothing repeated.
    await waitFor('the unit to finish', async () => ((await direct.workStatus(id)).State === WorkState.Succeeded ? true : undefined));
    expect(await sha256File(out.file)).toBe(await sha256File(unitStdout(node, id), written));
    // Resuming from there completes the output.
    const rest = await outFile('timeout.rest');
    const resumed = runCli(['-s', node.socketPath, 'work', 'results', id, '--start-pos', String(written)], { stdoutFd: rest.fd });
    expect((await resumed.done).code).toBe(0);
    await rest.close();
    // (sha256 rather than toEqual on Buffers: vitest compares those byte by byte, seconds per MiB)
    const whole = createHash('sha256').update(await readFile(out.file)).update(await readFile(rest.file)).digest('hex');
    expect(whole).toBe(await sha256File(unitStdout(node, id)));
  });
});
