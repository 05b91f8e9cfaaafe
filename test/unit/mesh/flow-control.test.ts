// Channel flow control and the advert table, in memory: two Muxes joined by the loopback, MeshStreams on
// their ports, no sockets.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AdvertStore } from '../../../src/node/mesh/adverts.js';
import { loopbackMuxes } from '../../../src/node/mesh/loopback.js';
import type { Mux, MuxOptions } from '../../../src/node/mesh/mux.js';
import type { Port } from '../../../src/node/mesh/port.js';
import { MeshStream } from '../../../src/node/mesh/stream.js';

const options: MuxOptions = { window: 64 * 1024, maxDataFrame: 4096, writeBufferBytes: 64 * 1024, maxControlQueueBytes: 1 << 20 };
const open = { fromNode: 'a', fromService: 'x', toNode: 'a', toService: 'svc', hopsToLive: 30 };

async function pair(): Promise<{ client: MeshStream; server: MeshStream; serverPort: Port; serverMux: Mux }> {
  let server: MeshStream | undefined;
  let serverPort: Port | undefined;
  let serverMux: Mux | undefined;
  const [a] = loopbackMuxes(options, {
    onOpen(mux, port) {
      serverMux = mux;
      serverPort = port;
      server = new MeshStream(port, { node: 'a', service: 'svc' }, { node: 'a', service: 'x' }, 8192);
      mux.accept(port);
    },
  });
  const { port, accepted } = a.open(open);
  await accepted;
  const client = new MeshStream(port, { node: 'a', service: 'x' }, { node: 'a', service: 'svc' }, 8192);
  return { client, server: server!, serverPort: serverPort!, serverMux: serverMux! };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('mesh flow control', () => {
  it('flow - a receiver that does not read stops the sender after one window', async () => {
    const { client, server } = await pair();
    server.pause();
    let accepted = 0;
    for (let i = 0; i < 100; i++) {
      const ok = client.write(Buffer.alloc(4096));
      accepted += 4096;
      if (!ok) {
        const drained = await Promise.race([once(client, 'drain').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
        if (!drained) break;
      }
    }
    // window (64 KiB) + the receiver's readable buffer (64 KiB) + the writer's own buffers (≤ 16+8 KiB).
    expect(accepted).toBeLessThanOrEqual(64 * 1024 + 64 * 1024 + 32 * 1024);
    expect(accepted).toBeGreaterThanOrEqual(64 * 1024);
    // Reading again lets everything through.
    let got = 0;
    server.on('data', (c: Buffer) => (got += c.length));
    server.resume();
    client.end();
    await once(server, 'end');
    expect(got).toBe(accepted);
  });

  it('flow - half-close: each direction ends on its own', async () => {
    const { client, server } = await pair();
    const got: string[] = [];
    server.on('data', (c: Buffer) => got.push(c.toString()));
    server.on('end', () => server.end('bye'));
    client.end('hi');
    const reply: string[] = [];
    client.on('data', (c: Buffer) => reply.push(c.toString()));
    await once(client, 'end');
    expect(got.join('')).toBe('hi');
    expect(reply.join('')).toBe('bye');
  });

  it('flow - a peer sending beyond its credit has its channel reset', async () => {
    const { client, server, serverMux, serverPort } = await pair();
    const clientErr = once(client, 'error');
    const serverErr = once(server, 'error');
    serverMux.receive({ type: 'data', id: serverPort.id, data: Buffer.alloc(options.window + 1) });
    const [e] = (await serverErr) as [Error];
    expect(e.message).toBe('protocol error: peer sent more than its flow-control credit');
    const [ce] = (await clientErr) as [Error];
    expect(ce.message).toBe('protocol error: peer sent more than its flow-control credit');
  });

  it('flow - destroying one end resets the other with the reason', async () => {
    const { client, server } = await pair();
    const err = once(server, 'error');
    const own = once(client, 'error');
    client.destroy(new Error('gave up'));
    await own;
    const [e] = (await err) as [Error];
    expect(e.message).toBe('gave up');
    await tick();
    expect(server.destroyed).toBe(true);
  });
});

describe('mesh advert store', () => {
  // Go time.Time text as receptor sends it; 100 means 2026-11-29T00:00:00.0000001Z.
  const ad = (t: string, cancel = false) => ({
    NodeID: 'b',
    Service: 'ctl',
    Time: `2026-11-29T00:00:00.${t.padStart(9, '0')}Z`,
    ConnType: 1,
    Tags: null,
    WorkCommands: null,
    Cancel: cancel,
  });

  it('adverts - the newest advert wins, older or equal ones are not news', () => {
    const s = new AdvertStore();
    expect(s.apply(ad('100'))).toBe(true);
    expect(s.apply(ad('100'))).toBe(false);
    expect(s.apply(ad('99'))).toBe(false);
    expect(s.apply(ad('101'))).toBe(true);
    expect(s.get('b', 'ctl')?.timeNs).toBe(BigInt(Date.UTC(2026, 10, 29)) * 1_000_000n + 101n);
  });

  it('adverts - a cancel removes the advert and is not news twice (no flooding loop)', () => {
    const s = new AdvertStore();
    s.apply(ad('100'));
    expect(s.apply(ad('200', true))).toBe(true);
    expect(s.all()).toEqual([]);
    expect(s.apply(ad('200', true))).toBe(false);
    expect(s.apply(ad('150'))).toBe(false);
    expect(s.apply(ad('300'))).toBe(true);
    expect(s.all()).toHaveLength(1);
  });
});
