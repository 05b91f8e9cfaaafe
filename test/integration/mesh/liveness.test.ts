// Link liveness (issue 13: idle CPU per node at or below receptor's): Receptor sends no keepalive, the route updates
// every node sends on every link each 10 s keep a link from its 21 s idle limit (pkg/netceptor/netceptor.go
// defaultRouteUpdateTime, defaultMaxConnectionIdleTime). Our links sent a HEARTBEAT frame every 2 s whatever else
// they carried, which made an idle 10-node chain cost 1.6x receptor's CPU (bench/mesh-scale.js); now a heartbeat
// goes only on a link that has carried nothing from us for heartbeatMs. A proxy between the two nodes counts the
// frames of each type that cross it (its own reading of the framing: u32 length | u8 type | payload).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMERS, type Mesh, type MeshTimers } from '../../../src/node/mesh/index.js';
import { meshTestbed } from './helpers.js';

const HEARTBEAT = 0x04;
const ROUTE = 0x05;

interface FrameCounter {
  address: string;
  /** Frames seen so far by type, each direction added up. */
  counts: Map<number, number>;
  close(): Promise<void>;
}

async function countingProxy(upstreamPort: number): Promise<FrameCounter> {
  const counts = new Map<number, number>();
  const sockets = new Set<net.Socket>();
  const tally = (): ((chunk: Buffer) => void) => {
    let buf = Buffer.alloc(0);
    return (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 5) {
        const len = buf.readUInt32BE(0);
        if (buf.length < 4 + len) break;
        const type = buf[4]!;
        counts.set(type, (counts.get(type) ?? 0) + 1);
        buf = buf.subarray(4 + len);
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
    client.on('data', tally());
    up.on('data', tally());
    client.pipe(up);
    up.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    counts,
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

  it('mesh liveness - with the default timers an idle link carries no heartbeat (Receptor sends none; ours sent one every 2 s)', async () => {
    // Every default, not the tests' fast ones: the route update period is 10 s, so this window may hold no frame at all.
    const proxy = await linkedPair({ ...DEFAULT_TIMERS });
    try {
      const before = proxy.counts.get(HEARTBEAT) ?? 0;
      await new Promise((r) => setTimeout(r, 4500));
      expect(proxy.counts.get(HEARTBEAT) ?? 0).toBe(before);
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('mesh liveness - a link busy with route updates more often than heartbeatMs gets no heartbeat', async () => {
    const proxy = await linkedPair({ routeUpdateIntervalMs: 150, heartbeatMs: 600, idleTimeoutMs: 4000 });
    try {
      const before = { hb: proxy.counts.get(HEARTBEAT) ?? 0, route: proxy.counts.get(ROUTE) ?? 0 };
      await new Promise((r) => setTimeout(r, 2500));
      expect(proxy.counts.get(ROUTE) ?? 0).toBeGreaterThan(before.route + 4);
      expect(proxy.counts.get(HEARTBEAT) ?? 0).toBe(before.hb);
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('mesh liveness - a link quiet for heartbeatMs gets heartbeats both ways and outlives the idle timeout', async () => {
    // Route updates and adverts far apart: only heartbeats keep the link from its 1.5 s idle limit.
    const proxy = await linkedPair({ routeUpdateIntervalMs: 60_000, serviceAdIntervalMs: 60_000, heartbeatMs: 300, idleTimeoutMs: 1500 });
    try {
      const before = proxy.counts.get(HEARTBEAT) ?? 0;
      let dropped = false;
      for (const m of [proxy.a, proxy.b]) m.on('disconnection', () => (dropped = true));
      await new Promise((r) => setTimeout(r, 4000));
      // At least one heartbeat per side per idle period, and the link never dropped.
      expect(proxy.counts.get(HEARTBEAT) ?? 0).toBeGreaterThanOrEqual(before + 2 * Math.floor(4000 / 1500));
      expect(dropped).toBe(false);
      expect(proxy.a.status().Connections).toEqual([{ NodeID: 'b', Cost: 1 }]);
    } finally {
      await proxy.close();
    }
  }, 30_000);
});
