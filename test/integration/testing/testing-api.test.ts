// meshctl/testing (src/testing): startNode and startMesh handles against real embedded nodes on real sockets,
// real unit programs and real files — restart, kill, dropLink, waitForRoutes, cutResults, config forms, cleanup.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { startMesh, startNode, waitUntil, type TestMesh, type TestNode } from '../../../src/testing/index.js';

/** Every process below `pid` (children, grandchildren...), read from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A unit program that waits for `gate` to exist, then prints `text` (no timing involved). */
const gated = (gate: string, text: string): string => `-c 'while [ ! -f ${gate} ]; do sleep 0.05; done; printf ${text}'`;

/** Submits a `sh` unit that waits for `gate` and then prints `text`; resolves once it runs, with its program's PID. */
async function runGated(n: TestNode, gate: string, text: string): Promise<{ unitid: string; pid: number }> {
  const client = n.client();
  const { unitid } = await client.workSubmit({ workType: 'sh', params: { params: gated(gate, text) } }, null);
  const running = await waitUntil(async () => {
    const s = await client.workStatus(unitid);
    return s.State === 1 ? s : undefined;
  }, 'the unit to run');
  return { unitid, pid: (running.ExtraData as { Pid: number }).Pid };
}

const before = new Set(descendants(process.pid));
/** Our descendants that were not there when the file loaded (the unit runner and programs of these tests). */
const newDescendants = (): number[] => descendants(process.pid).filter((p) => !before.has(p));

/** Waits until none of newDescendants() is left; fails naming what is (pid and command line). */
async function noNewDescendants(timeoutMs = 15_000): Promise<void> {
  try {
    await waitUntil(() => newDescendants().length === 0, 'no process left', timeoutMs);
  } catch {
    const left = newDescendants().map((p) => {
      try {
        return `${p}: ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120)}`;
      } catch {
        return `${p}: (gone)`;
      }
    });
    throw new Error(`processes left after ${timeoutMs} ms: ${left.join('; ')}`);
  }
}

let node: TestNode | undefined;
let mesh: TestMesh | undefined;
afterEach(async () => {
  await node?.stop();
  await mesh?.stop();
  node = undefined;
  mesh = undefined;
});

describe('testing - startNode', { timeout: 90_000 }, () => {
  it('testing - startNode with options: real ports for port 0, a working socket, and stop() removes the directory', async () => {
    node = await startNode({ workCommands: [{ worktype: 'cat', command: 'cat' }], tcp: true, listen: true });
    expect(node.state).toBe('running');
    expect(node.socketPath.startsWith(node.dir)).toBe(true);
    expect(node.tcpPort).toBeGreaterThan(0);
    expect(node.tcpAddress).toBe(`tcp://127.0.0.1:${node.tcpPort}`);
    expect(node.peerAddress).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    const status = await node.client().status();
    expect(status.NodeID).toBe(node.nodeId);
    const { unitid } = await node.client().workSubmit({ workType: 'cat' }, 'hello');
    expect((await collect(node.client().workResults(unitid))).toString()).toBe('hello');
    const dir = node.dir;
    await node.stop();
    node = undefined;
    expect(existsSync(dir)).toBe(false);
  });

  it('testing - startNode takes Receptor YAML text and fills in datadir and a control socket in its own directory', async () => {
    node = await startNode(['- node:', '    id: yaml-node', '- work-command:', '    worktype: echo', '    command: echo', '    params: from-yaml'].join('\n'));
    expect(node.nodeId).toBe('yaml-node');
    expect(readFileSync(node.configPath, 'utf8')).toContain(node.socketPath);
    const { unitid } = await node.client().workSubmit({ workType: 'echo' }, null);
    expect((await collect(node.client().workResults(unitid))).toString()).toBe('from-yaml\n');
  });

  it('testing - a handle is AsyncDisposable: leaving an `await using` scope stops the node and removes its directory', async () => {
    let dir = '';
    {
      await using n = await startNode();
      dir = n.dir;
      expect(existsSync(n.socketPath)).toBe(true);
    }
    expect(dir).toMatch(/meshctl-test-/);
    expect(existsSync(dir)).toBe(false);
  });

  it('testing - startNode refuses an id that contradicts the YAML, naming both', async () => {
    await expect(startNode({ id: 'a', config: [{ node: { id: 'b' } }] })).rejects.toThrow("id 'a' and the config's node id 'b' differ");
  });

  it('testing - restart() keeps the ports and the data directory, and a running unit survives it', async () => {
    node = await startNode({ workCommands: [{ worktype: 'sh', command: 'sh', allowruntimeparams: true }], tcp: true, listen: true });
    const gate = path.join(node.dir, 'go');
    const { tcpPort, peerAddress, socketPath } = node;
    const { unitid } = await node.client().workSubmit({ workType: 'sh', params: { params: gated(gate, 'survived') } }, null);
    await waitUntil(async () => (await node!.client().workStatus(unitid)).State === 1, 'the unit to run');
    await node.restart();
    expect([node.state, node.tcpPort, node.peerAddress, node.socketPath]).toEqual(['running', tcpPort, peerAddress, socketPath]);
    await writeFile(gate, '');
    const final = await node.client().waitForUnit(unitid, { timeoutMs: 20_000, pollMs: 100 });
    expect(final.State).toBe(2); // Succeeded: the restarted node took the program back
    expect((await collect(node.client().workResults(unitid))).toString()).toBe('survived');
  });

  it('testing - kill() drops the node at once and leaves its program running; restart() takes the unit back', async () => {
    node = await startNode({ workCommands: [{ worktype: 'sh', command: 'sh', allowruntimeparams: true }] });
    const gate = path.join(node.dir, 'go');
    const { unitid, pid } = await runGated(node, gate, 'after-kill');
    await node.kill();
    expect(node.state).toBe('killed');
    expect(await canConnect(node.socketPath)).toBe(false);
    expect(() => node!.node).toThrow('is killed');
    expect(alive(pid)).toBe(true); // as receptor's command runner outlives a SIGKILLed receptor
    await node.restart();
    await writeFile(gate, '');
    const final = await node.client().waitForUnit(unitid, { timeoutMs: 20_000, pollMs: 100 });
    expect(final.State).toBe(2);
    expect((await collect(node.client().workResults(unitid))).toString()).toBe('after-kill');
  });

  it('testing - stop() after kill() ends the programs the kill left running: no process, no directory', async () => {
    node = await startNode({ workCommands: [{ worktype: 'sh', command: 'sh', allowruntimeparams: true }] });
    const { pid } = await runGated(node, path.join(node.dir, 'never'), 'x');
    await node.kill();
    expect(alive(pid)).toBe(true);
    const dir = node.dir;
    await node.stop();
    node = undefined;
    await waitUntil(() => !alive(pid), `program ${pid} to end`, 15_000);
    await noNewDescendants();
    expect(existsSync(dir)).toBe(false);
  });

  // Regression: Workceptor.close() stopped the start-up load at its next slice even when it was to stop work, so a
  // stop() after kill() whose node had not yet reached the running unit in its load left the program running
  // (seen in a CI run at load; with 4,000 finished units ahead of it on disk the load takes many slices).
  it('testing - stop() after kill() ends the kill\'s program even when the restarted node is still loading its units', async () => {
    node = await startNode({ workCommands: [{ worktype: 'sh', command: 'sh', allowruntimeparams: true }] });
    const { pid } = await runGated(node, path.join(node.dir, 'never'), 'x');
    await node.kill();
    const units = node.unitsDir;
    for (let i = 0; i < 4000; i++) {
      const dir = path.join(units, `done${String(i).padStart(5, '0')}`);
      mkdirSync(dir, { mode: 0o700 });
      writeFileSync(path.join(dir, 'status'), '{"State":2,"Detail":"exit status 0","StdoutSize":0,"WorkType":"sh","ExtraData":null}\n');
    }
    await node.stop();
    node = undefined;
    await waitUntil(() => !alive(pid), `program ${pid} to end`, 15_000);
    await noNewDescendants();
  });

  it('testing - cutResults cuts the next results stream after N bytes and only that one', async () => {
    node = await startNode({ workCommands: [{ worktype: 'cat', command: 'cat' }], tcp: true });
    const payload = Buffer.alloc(300_000, 'abcdefghij');
    const { unitid } = await node.client().workSubmit({ workType: 'cat' }, payload);
    await node.client().waitForUnit(unitid, { timeoutMs: 20_000, pollMs: 100 });
    const cut = node.cutResults(100_003, { unitId: unitid });
    const short = await collect(node.client().workResults(unitid));
    expect(await cut.hit).toBe(unitid);
    expect(short.length).toBe(100_003);
    expect(short.equals(payload.subarray(0, 100_003))).toBe(true);
    // One-shot: the next stream is whole.
    expect((await collect(node.client().workResults(unitid))).equals(payload)).toBe(true);
    expect(cut.count).toBe(1);
    // Over TCP the client sees the same: the bytes before the cut, then the end (no reset of unsent data).
    const tcp = new ControlClient({ address: node.tcpAddress! });
    try {
      node.cutResults(65_537);
      const viaTcp = await collect(tcp.workResults(unitid));
      expect(viaTcp.equals(payload.subarray(0, 65_537))).toBe(true);
    } finally {
      await tcp.close();
    }
  });

  it('testing - cutResults at 0 with every: each stream ends right after its header until cancel()', async () => {
    node = await startNode({ workCommands: [{ worktype: 'cat', command: 'cat' }] });
    const { unitid } = await node.client().workSubmit({ workType: 'cat' }, 'some bytes');
    await node.client().waitForUnit(unitid, { timeoutMs: 20_000, pollMs: 100 });
    const cut = node.cutResults(0, { every: true });
    expect((await collect(node.client().workResults(unitid))).length).toBe(0);
    expect((await collect(node.client().workResults(unitid))).length).toBe(0);
    expect(cut.count).toBe(2);
    cut.cancel();
    expect((await collect(node.client().workResults(unitid))).toString()).toBe('some bytes');
  });
});

describe('testing - startMesh', { timeout: 90_000 }, () => {
  const connected = (m: TestMesh, a: string, b: string): boolean => m.node(a).node.mesh.status().Connections.some((c) => c.NodeID === b);

  it('testing - startMesh links the nodes and returns once every node routes to every other (waitForRoutes)', async () => {
    mesh = await startMesh({ nodes: ['a', 'b', 'c'], links: [['a', 'b'], { from: 'c', to: 'b', via: 'ws' }] });
    for (const id of ['a', 'b', 'c']) {
      expect(Object.keys(mesh.node(id).node.mesh.status().RoutingTable).sort()).toEqual(['a', 'b', 'c'].filter((x) => x !== id));
    }
    const s = await mesh.client('a').status();
    expect(s.RoutingTable).toMatchObject({ c: 'b' });
  });

  it('testing - dropLink closes the link at both ends and the dialling node redials it', async () => {
    mesh = await startMesh({ nodes: ['a', 'b'], links: [['a', 'b']] });
    const drops: string[] = [];
    mesh.node('b').node.mesh.on('disconnection', (n) => drops.push(n));
    mesh.dropLink('a', 'b');
    await waitUntil(() => drops.includes('a'), 'b to see the link to a close', 10_000);
    await waitUntil(() => connected(mesh!, 'a', 'b') && connected(mesh!, 'b', 'a'), 'the link to come back', 15_000);
    await mesh.waitForRoutes();
  });

  it('testing - dropLink keepDown keeps the link down (routes withdrawn) until restore()', async () => {
    mesh = await startMesh({ nodes: ['a', 'b', 'c'], links: [['a', 'b'], ['b', 'c']] });
    const cutOff = mesh.dropLink('c', 'b', { keepDown: true });
    await waitUntil(() => mesh!.node('a').node.mesh.status().RoutingTable.c === undefined, 'a to lose its route to c', 15_000);
    // Several redial rounds later (redial backoff at most 400 ms), still down.
    await new Promise((r) => setTimeout(r, 1500));
    expect(connected(mesh, 'b', 'c')).toBe(false);
    cutOff.restore();
    await mesh.waitForRoutes();
    expect(connected(mesh, 'b', 'c')).toBe(true);
  });

  it('testing - a node of a mesh restarts on its ports and the mesh converges again', async () => {
    mesh = await startMesh({ nodes: ['a', 'b'], links: [['a', 'b']] });
    await mesh.node('b').kill();
    await waitUntil(() => mesh!.node('a').node.mesh.status().RoutingTable.b === undefined, 'a to lose b', 15_000);
    await mesh.node('b').restart();
    await mesh.waitForRoutes();
    await mesh.node('a').waitForRoutes(['b']);
  });

  it('testing - a cut on the executing node cuts the stream the submitting node mirrors; the remote unit resumes and its output stays whole', async () => {
    mesh = await startMesh({
      nodes: ['controller', { id: 'executor', workCommands: [{ worktype: 'cat', command: 'cat' }] }],
      links: [['controller', 'executor']],
    });
    const cut = mesh.node('executor').cutResults(1000);
    const client = mesh.client('controller');
    const payload = Buffer.alloc(100_000, 'remote ');
    const { unitid } = await client.workSubmit({ workType: 'cat', node: 'executor' }, payload);
    await cut.hit; // the controller's remote unit reads results through the executor's control service
    const final = await client.waitForUnit(unitid, { timeoutMs: 30_000, pollMs: 100 });
    expect(final.State).toBe(2);
    expect((await collect(client.workResults(unitid))).equals(payload)).toBe(true);
    expect(cut.count).toBe(1);
  });

  it('testing - work submitted on one node runs on another, and a cut on the submitting node cuts its client stream', async () => {
    mesh = await startMesh({
      nodes: ['controller', 'hop', { id: 'executor', workCommands: [{ worktype: 'cat', command: 'cat' }] }],
      links: [['controller', 'hop'], ['executor', 'hop']],
    });
    const client: ControlClient = mesh.client('controller');
    const payload = Buffer.alloc(200_000, 'xyz');
    const { unitid } = await client.workSubmit({ workType: 'cat', node: 'executor' }, payload);
    const final = await client.waitForUnit(unitid, { timeoutMs: 30_000, pollMs: 100 });
    expect(final.State).toBe(2);
    expect((await collect(client.workResults(unitid))).equals(payload)).toBe(true);
    mesh.node('controller').cutResults(1234);
    const short = await collect(client.workResults(unitid));
    expect(short.equals(payload.subarray(0, 1234))).toBe(true);
    const dir = mesh.dir;
    await mesh.stop();
    mesh = undefined;
    expect(existsSync(dir)).toBe(false);
    await noNewDescendants();
  });
});
