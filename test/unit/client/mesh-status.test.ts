// The pure parts of the mesh fan-out (src/client/mesh-fanout.ts, mesh-status.ts): which nodes a status knows of,
// a status + work list → a row, and the fan-out's concurrency bound, per-node timeout and early exit.
import { describe, expect, it } from 'vitest';
import { fanOut, knownNodes, type MeshNode } from '../../../src/client/mesh-fanout.js';
import { summarize } from '../../../src/client/mesh-status.js';
import type { Status, WorkList } from '../../../src/protocol/types.js';

const ad = (NodeID: string, Service: string, ConnType = 1, work: string[] = []) => ({
  NodeID,
  Service,
  ConnType,
  Time: '2026-11-29T10:00:00Z',
  Tags: { type: 'Control Service' },
  WorkCommands: work.length ? work.map((WorkType) => ({ WorkType, Secure: false })) : null,
});

describe('mesh nodes - knownNodes', () => {
  it('mesh nodes - costs (both ends), routes and advertisers are all known; local first, then by ID', () => {
    const status = {
      NodeID: 'm',
      KnownConnectionCosts: { m: { hop: 1 }, hop: { m: 1, z: 2, partitioned: 1 } },
      RoutingTable: { hop: 'hop', z: 'hop' },
      Advertisements: [ad('m', 'control'), ad('adonly', 'control'), ad('z', 'control', 2)],
    };
    const nodes = knownNodes(status);
    expect(nodes.map((n) => n.id)).toEqual(['m', 'adonly', 'hop', 'partitioned', 'z']);
    expect(nodes[0]).toEqual({ id: 'm', local: true, controlTls: false, controlAdvertised: true });
    // ConnType 2 (StreamTLS) on the `control` service: the hop needs the tls-client.
    expect(nodes.find((n) => n.id === 'z')).toMatchObject({ controlTls: true, controlAdvertised: true });
    expect(nodes.find((n) => n.id === 'partitioned')).toMatchObject({ controlTls: false, controlAdvertised: false });
  });

  it('mesh nodes - a TLS advertisement of another service does not mark the control service TLS', () => {
    const nodes = knownNodes({ NodeID: 'a', KnownConnectionCosts: {}, RoutingTable: {}, Advertisements: [ad('b', 'securectl', 2), ad('b', 'control', 1)] });
    expect(nodes.find((n) => n.id === 'b')).toMatchObject({ controlTls: false });
  });

  it('mesh nodes - a lone node knows itself; null sections (Receptor sends null for empty maps at times) are read as empty', () => {
    const s = { NodeID: 'solo', KnownConnectionCosts: null, RoutingTable: null, Advertisements: null } as unknown as Status;
    expect(knownNodes(s).map((n) => n.id)).toEqual(['solo']);
  });
});

describe('mesh status - summarize', () => {
  const status: Partial<Status> = {
    NodeID: 'w',
    Version: '1.6.5',
    SystemCPUCount: 4,
    SystemMemoryMiB: 2048,
    Connections: [
      { NodeID: 'z', Cost: 2 },
      { NodeID: 'hop', Cost: 1 },
    ],
    // Other nodes' work types are in the status too: only the node's own count.
    Advertisements: [ad('w', 'control', 1, ['cat', 'echo']), ad('other', 'control', 1, ['kube'])],
  };
  const unit = (StateName: string, State: number) => ({ State, StateName, Detail: '', StdoutSize: 0, WorkType: 'cat', ExtraData: null });
  const list: WorkList = { a: unit('Succeeded', 2), b: unit('Succeeded', 2), c: unit('Running', 1), d: unit('Failed', 3) };

  it("mesh status - a row holds the node's own work types, units counted by state and its connections by peer", () => {
    expect(summarize(status, list, 1.5)).toEqual({
      nodeId: 'w',
      version: '1.6.5',
      cpus: 4,
      memoryMiB: 2048,
      workTypes: ['cat', 'echo'],
      units: { Succeeded: 2, Running: 1, Failed: 1 },
      connections: [
        { node: 'hop', cost: 1 },
        { node: 'z', cost: 2 },
      ],
      rttMs: 1.5,
    });
  });

  it('mesh status - no units and no work types are empty, not missing', () => {
    expect(summarize({ NodeID: 'h', Advertisements: [ad('h', 'control')] }, {}, null)).toMatchObject({ workTypes: [], units: {}, connections: [], rttMs: null });
  });
});

describe('mesh fan-out - bounds', () => {
  const nodes: MeshNode[] = Array.from({ length: 12 }, (_, i) => ({ id: `n${String(i).padStart(2, '0')}`, local: false, controlTls: false, controlAdvertised: true }));
  // The clients are made but never used by these tasks: no socket is opened.
  const options = { address: '/nonexistent/meshctl-fanout.sock' };

  it('mesh fan-out - never more than --concurrency nodes at once, and every node yields once', async () => {
    let running = 0;
    let most = 0;
    const seen: string[] = [];
    for await (const r of fanOut(
      options,
      nodes,
      async (n) => {
        running++;
        most = Math.max(most, running);
        await new Promise((res) => setTimeout(res, 5 + (Number(n.id.slice(1)) % 3) * 5));
        running--;
        return n.id;
      },
      { concurrency: 3 },
    )) {
      expect(r.ok).toBe(true);
      seen.push(r.node.id);
    }
    expect(most).toBe(3);
    expect(seen.sort()).toEqual(nodes.map((n) => n.id));
  });

  it('mesh fan-out - a node that does not answer within the timeout yields ETIMEDOUT naming it, and frees its slot', async () => {
    const out = [];
    for await (const r of fanOut(
      options,
      nodes.slice(0, 3),
      (n, { signal }) =>
        n.id === 'n01'
          ? new Promise((_res, rej) => signal.addEventListener('abort', () => rej(signal.reason as Error), { once: true }))
          : Promise.resolve(n.id),
      { concurrency: 1, timeoutMs: 200 },
    )) {
      out.push(r);
    }
    expect(out.map((r) => [r.node.id, r.ok])).toEqual([
      ['n00', true],
      ['n01', false],
      ['n02', true],
    ]);
    const bad = out[1]!;
    if (bad.ok) throw new Error('unreachable');
    expect(bad.error.code).toBe('ETIMEDOUT');
    expect(bad.error.message).toBe("node 'n01' did not answer within 200ms");
    expect(bad.error.data).toMatchObject({ node: 'n01', timeoutMs: 200 });
  });

  it("mesh fan-out - a task's MeshctlError keeps its code and gains the node's name", async () => {
    const { ServerError } = await import('../../../src/errors.js');
    const it = fanOut(options, nodes.slice(0, 1), () => Promise.reject(new ServerError('no route to node')));
    const r = (await it.next()).value!;
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.code, r.error.message]).toEqual(['ESERVER', "node 'n00': no route to node"]);
  });

  it("mesh fan-out - the caller's abort rejects the whole fan-out with the abort, not a per-node row", async () => {
    const ac = new AbortController();
    const gen = fanOut(options, nodes, (_n, { signal }) => new Promise((_res, rej) => signal.addEventListener('abort', () => rej(signal.reason as Error), { once: true })), {
      signal: ac.signal,
      timeoutMs: 60_000,
    });
    setTimeout(() => ac.abort(), 20);
    await expect(gen.next()).rejects.toMatchObject({ code: 'EABORTED' });
  });

  it('mesh fan-out - breaking out of the loop ends the nodes still being asked', async () => {
    const aborted: string[] = [];
    const gen = fanOut(
      options,
      nodes.slice(0, 4),
      (n, { signal }) =>
        n.id === 'n00'
          ? Promise.resolve('first')
          : new Promise((_res, rej) =>
              signal.addEventListener('abort', () => {
                aborted.push(n.id);
                rej(signal.reason as Error);
              }),
            ),
      { concurrency: 4, timeoutMs: 60_000 },
    );
    for await (const r of gen) {
      expect(r.node.id).toBe('n00');
      break;
    }
    expect(aborted.sort()).toEqual(['n01', 'n02', 'n03']);
  });
});
