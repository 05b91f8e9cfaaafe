// ControlClient.waitForUnit (issue 11: `work status --wait`): polls `work status` on the client's one shared
// session until the unit is Succeeded, Failed or Canceled, and returns that status. Against a scripted control
// service (to see every request, the connection count, and a reply held past the time limit) and against a real
// embedded node (units that end, get canceled, get released). Time bounds are generous (a shared 2-core machine):
// they only tell "at once" from "after the next poll or a timeout".
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { WaitTimeoutError } from '../../../src/client/wait.js';
import { AbortError, EXIT, MeshctlError, ServerError } from '../../../src/errors.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { startScriptedServer, type ScriptedServer, type ScriptSocket } from '../../helpers/scripted-server.js';

const status = (State: number, StateName: string, StdoutSize = 0) =>
  JSON.stringify({ State, StateName, Detail: StateName === 'Running' ? 'Running: PID 42' : 'exit status 0', StdoutSize, WorkType: 'cat', ExtraData: null }) + '\n';

let scripted: ScriptedServer | undefined;
let client: ControlClient | undefined;

afterEach(async () => {
  await client?.close();
  await scripted?.close();
  client = scripted = undefined;
});

/** A control service that answers each `work status` with the next reply of `replies` (the last one repeats). */
async function serve(replies: ((s: ScriptSocket) => Promise<void>)[]): Promise<{ requests: string[] }> {
  const requests: string[] = [];
  scripted = await startScriptedServer(async (s) => {
    await s.send('Receptor Control, node scripted\n');
    for (let i = 0; ; i++) {
      const line = await s.readLine();
      if (line === null) return;
      requests.push(line);
      await replies[Math.min(i, replies.length - 1)]!(s);
    }
  });
  return { requests };
}

const reply = (text: string) => (s: ScriptSocket) => s.send(text);

describe('waitForUnit - scripted node', () => {
  it('waitForUnit - polls work status on one connection until the unit is final, and returns that status', async () => {
    const { requests } = await serve([reply(status(0, 'Pending')), reply(status(1, 'Running')), reply(status(1, 'Running')), reply(status(2, 'Succeeded', 12))]);
    client = new ControlClient({ address: scripted!.address });
    const seen: string[] = [];
    const st = await client.waitForUnit('u1', { onStatus: (s) => seen.push(s.StateName) });
    expect(st).toMatchObject({ State: 2, StateName: 'Succeeded', StdoutSize: 12 });
    expect(seen).toEqual(['Pending', 'Running', 'Running', 'Succeeded']);
    expect(requests).toHaveLength(4);
    for (const r of requests) expect(JSON.parse(r)).toEqual({ command: 'work', subcommand: 'status', unitid: 'u1' });
    expect(scripted!.connections).toHaveLength(1);
  });

  it('waitForUnit - several units waited for at once share the one connection', async () => {
    let n = 0;
    const { requests } = await serve([
      async (s) => {
        // Each unit is Running twice, then Succeeded.
        n++;
        await s.send(n <= 6 ? status(1, 'Running') : status(2, 'Succeeded'));
      },
    ]);
    client = new ControlClient({ address: scripted!.address });
    const all = await Promise.all(['a', 'b', 'c'].map((id) => client!.waitForUnit(id, { pollMs: 100 })));
    expect(all.map((s) => s.State)).toEqual([2, 2, 2]);
    expect(requests.length).toBeGreaterThanOrEqual(9);
    expect(scripted!.connections).toHaveLength(1);
  });

  it('waitForUnit - Failed and Canceled are final too: returned, not thrown (the caller decides what success is)', async () => {
    await serve([reply(status(3, 'Failed'))]);
    client = new ControlClient({ address: scripted!.address });
    expect(await client.waitForUnit('u1')).toMatchObject({ State: 3 });
    await client.close();
    await scripted!.close();
    await serve([reply(status(1, 'Running')), reply(status(4, 'Canceled'))]);
    client = new ControlClient({ address: scripted!.address });
    expect(await client.waitForUnit('u1')).toMatchObject({ State: 4 });
  });

  it('waitForUnit - an unknown unit throws the ServerError (EUNKNOWNUNIT, exit 5)', async () => {
    await serve([reply('ERROR: unknown work unit nope\n')]);
    client = new ControlClient({ address: scripted!.address });
    const err = await client.waitForUnit('nope').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).code).toBe('EUNKNOWNUNIT');
    expect((err as ServerError).exitCode).toBe(EXIT.SERVER);
  });

  it('waitForUnit - at the time limit a reply in flight is not cut off: WaitTimeoutError with the last status, and the session stays in step', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { requests } = await serve([
      reply(status(1, 'Running')),
      async (s) => {
        // Held past the wait's limit, then answered: it must be consumed by the abandoned request.
        await held;
        await s.send(status(1, 'Running'));
      },
      reply(status(2, 'Succeeded', 7)),
    ]);
    client = new ControlClient({ address: scripted!.address });
    const started = Date.now();
    const err = await client.waitForUnit('u1', { timeoutMs: 600 }).then(() => undefined, (e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    const w = err as WaitTimeoutError;
    expect(w).toMatchObject({ code: 'EWAITTIMEOUT', unitId: 'u1', timeoutMs: 600, hint: undefined });
    expect(w.exitCode).toBe(EXIT.WAIT_TIMEOUT);
    expect(w.last).toMatchObject({ State: 1 });
    expect(w.message).toBe("timed out after 600ms waiting for work unit 'u1' (still Running)");
    release();
    // The next request on the same client gets its own reply, not the held one.
    expect(await client.workStatus('u1')).toMatchObject({ State: 2, StdoutSize: 7 });
    expect(requests).toHaveLength(3);
    expect(scripted!.connections).toHaveLength(1);
  });

  it('waitForUnit - the signal ends the wait at once, between polls and during a request', async () => {
    await serve([reply(status(1, 'Running'))]);
    client = new ControlClient({ address: scripted!.address });
    const ac = new AbortController();
    const waiting = client.waitForUnit('u1', { signal: ac.signal, pollMs: 60_000 });
    await sleep(1_000); // past the first quick polls: now in a 1-minute sleep
    const at = Date.now();
    ac.abort(new AbortError('terminated', { signal: 'SIGTERM' }));
    const err = await waiting.then(() => undefined, (e: unknown) => e);
    expect(Date.now() - at).toBeLessThan(1_000);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as MeshctlError).exitCode).toBe(EXIT.TERMINATED);
    await client.close();
    await scripted!.close();

    await serve([() => new Promise<void>(() => undefined)]); // never answers
    client = new ControlClient({ address: scripted!.address });
    const ac2 = new AbortController();
    const stuck = client.waitForUnit('u1', { signal: ac2.signal });
    await sleep(300);
    const at2 = Date.now();
    ac2.abort();
    const err2 = await stuck.then(() => undefined, (e: unknown) => e);
    expect(Date.now() - at2).toBeLessThan(1_000);
    expect(err2).toBeInstanceOf(AbortError);
    expect((err2 as MeshctlError).exitCode).toBe(EXIT.INTERRUPTED);
  });
});

describe('waitForUnit - embedded node', () => {
  let node: TestNode;
  let c: ControlClient;

  beforeAll(async () => {
    node = await startTestNode({
      workCommands: [
        { worktype: 'slow', command: 'sh', params: "-c 'sleep 1; echo done'" },
        { worktype: 'sleep', command: 'sh', params: "-c 'exec sleep 60'" },
      ],
      cancelGraceMs: 200,
    });
    c = new ControlClient({ address: node.socketPath });
  });

  afterAll(async () => {
    await c?.close();
    await node?.close();
  });

  it('waitForUnit - a unit that runs for a second is waited for until Succeeded', async () => {
    const { unitid } = await c.workSubmit({ workType: 'slow' }, null);
    const states: number[] = [];
    const st = await c.waitForUnit(unitid, { onStatus: (s) => states.push(s.State) });
    expect(st).toMatchObject({ State: 2, StdoutSize: 5 });
    expect(states[0]).toBeLessThan(2);
    await c.workRelease(unitid);
  });

  it('waitForUnit - canceled meanwhile returns Canceled; released meanwhile throws EUNKNOWNUNIT', async () => {
    const a = (await c.workSubmit({ workType: 'sleep' }, null)).unitid;
    const waitA = c.waitForUnit(a);
    await sleep(300);
    await c.workCancel(a);
    expect(await waitA).toMatchObject({ State: 4, StateName: 'Canceled' });
    await c.workRelease(a);

    const b = (await c.workSubmit({ workType: 'sleep' }, null)).unitid;
    const waitB = c.waitForUnit(b).then(() => undefined, (e: unknown) => e);
    await sleep(300);
    await c.workRelease(b);
    const err = await waitB;
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).code).toBe('EUNKNOWNUNIT');
  });
});
