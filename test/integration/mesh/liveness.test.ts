// Link liveness (issue 13: idle CPU per node at or below receptor's): Receptor sends no keepalive, the route updates
// every node sends on every link each 10 s keep a link from its 21 s idle limit (pkg/netceptor/netceptor.go
// defaultRouteUpdateTime, defaultMaxConnectionIdleTime). Our links once sent a HEARTBEAT frame every 2 s whatever else
// they carried, which made an idle 10-node chain cost 1.6x receptor's CPU (bench/mesh-scale.js); links now speak
// netceptor (issue 15), and a link that has carried nothing from us for heartbeatMs gets our routing update as its
// keepalive. A proxy between the two nodes counts the netceptor messages of each type that cross it (its own
// reading of the tcp framing: u16 little-endian length, then the message, whose first byte is its type).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMERS, type Mesh, type MeshTimers } from '../../../src/node/mesh/index.js';
import { meshTestbed } from './helpers.js';

const ROUTE = 0x01;
const ADVERT = 0x02;

interface FrameCounter {
  address: string;
  /** Messages seen so far by type, each direction added up. */
  counts: Map<number, number>;
  /** The first message each way: [from the dialer, from the listener]. */
  first: [Buffer | undefined, Buffer | undefined];
  close(): Promise<void>;
}

async function countingProxy(upstreamPort: number): Promise<FrameCounter> {
  const counts = new Map<number, number>();
  const first: [Buffer | undefined, Buffer | undefined] = [undefined, undefined];
  const sockets = new Set<net.Socket>();
  const tally = (side: 0 | 1): ((chunk: Buffer) => void) => {
    let buf = Buffer.alloc(0);
    return (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16LE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        first[side] ??= Buffer.from(msg);
        counts.set(msg[0]!, (counts.get(msg[0]!) ?? 0) + 1);
        buf = buf.subarray(2 + len);
      }
    };
  };
  const server = net.createServer((client) => {
    const up = net.connect({ host: '127.0.0.1', port: upstreamPort });
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', tally(0));
    up.on('data', tally(1));
    client.pipe(up);
    up.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    counts,
    first,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('mesh link liveness', () => {
  const t = meshTestbed();

  async function linkedPair(timers: Partial<MeshTimers>): Promise<FrameCounter & { a: Mesh; b: Mesh }> {
    const a = t.node('a', { timers });
    const b = t.node('b', { timers });
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    const proxy = await countingProxy(l.address.port);
    a.addTcpPeer({ address: proxy.address });
    await t.converged([a, b]);
    return Object.assign(proxy, { a, b });
  }

  it('mesh liveness - with the default timers an idle link wakes no more often than receptor (its routing updates only)', async () => {
    // Every default, not the tests' fast ones: the route update period is 10 s, so this window holds at most one
    // routing update per side, and nothing else (no keepalive of our own, as receptor has none).
    const proxy = await linkedPair({ ...DEFAULT_TIMERS });
    try {
      const before = new Map(proxy.counts);
      await new Promise((r) => setTimeout(r, 4500));
      const grew = (type: number): number => (proxy.counts.get(type) ?? 0) - (before.get(type) ?? 0);
      expect(grew(ROUTE)).toBeLessThanOrEqual(2);
      const others = [...proxy.counts.keys()].filter((k) => k !== ROUTE && k !== ADVERT).map(grew);
      expect(others.every((n) => n === 0)).toBe(true);
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('mesh liveness - each side speaks first with its routing update naming itself (no greeting), as receptor does', async () => {
    const proxy = await linkedPair({});
    try {
      const [fromA, fromB] = proxy.first;
      for (const [m, node] of [
        [fromA, 'a'],
        [fromB, 'b'],
      ] as const) {
        expect(m?.[0]).toBe(ROUTE);
        const u = JSON.parse(m!.subarray(1).toString('utf8')) as { NodeID: string; ForwardingNode: string };
        expect(u).toMatchObject({ NodeID: node, ForwardingNode: node });
      }
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('mesh liveness - a link quiet for heartbeatMs gets our routing update as a keepalive both ways and outlives the idle timeout', async () => {
    // Route updates and adverts far apart: only keepalives keep the link from its 1.5 s idle limit.
    const proxy = await linkedPair({ routeUpdateIntervalMs: 60_000, serviceAdIntervalMs: 60_000, heartbeatMs: 300, idleTimeoutMs: 1500 });
    try {
      const before = proxy.counts.get(ROUTE) ?? 0;
      let dropped = false;
      for (const m of [proxy.a, proxy.b]) m.on('disconnection', () => (dropped = true));
      await new Promise((r) => setTimeout(r, 4000));
      // At least one keepalive per side per idle period, and the link never dropped.
      expect(proxy.counts.get(ROUTE) ?? 0).toBeGreaterThanOrEqual(before + 2 * Math.floor(4000 / 1500));
      expect(dropped).toBe(false);
      expect(proxy.a.status().Connections).toEqual([{ NodeID: 'b', Cost: 1 }]);
    } finally {
      await proxy.close();
    }
  }, 30_000);
});
