// Multiplexed streams across hops: dial/listen, half-close, errors, flow control and memory bounds.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MeshError, type Mesh, type MeshDuplex as MeshStream } from '../../../src/node/mesh/index.js';
import { meshTestbed, readAll, waitFor } from './helpers.js';

async function chain(t: ReturnType<typeof meshTestbed>): Promise<[Mesh, Mesh, Mesh]> {
  const [a, b, c] = t.nodes('a', 'b', 'c');
  await t.link(a!, b!);
  await t.link(b!, c!);
  await t.converged([a!, b!, c!]);
  return [a!, b!, c!];
}

/** Writes `total` random bytes in 64 KiB chunks honouring backpressure; resolves with their sha256. */
async function pump(stream: MeshStream, total: number, onProgress?: (sent: number) => void): Promise<string> {
  const h = createHash('sha256');
  let sent = 0;
  while (sent < total) {
    const chunk = randomBytes(Math.min(65536, total - sent));
    h.update(chunk);
    sent += chunk.length;
    onProgress?.(sent);
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  stream.end();
  return h.digest('hex');
}

/** Reads a stream to its end hashing as it goes; resolves with [bytes, sha256]. */
function drainHash(stream: NodeJS.ReadableStream): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let n = 0;
    stream.on('data', (c: Buffer) => {
      h.update(c);
      n += c.length;
    });
    stream.once('end', () => resolve([n, h.digest('hex')]));
    stream.once('error', reject);
  });
}

describe('mesh streams', () => {
  const t = meshTestbed();

  // Regression: OPEN_OK and the service's first DATA can arrive in one read, before the dialler's stream
  // exists; those bytes (a control service's greeting) used to be dropped.
  it('mesh - what a service writes as soon as it accepts reaches the dialler, across hops and to itself', async () => {
    const [a, , c] = await chain(t);
    for (const m of [a, c]) m.listenService('greeter', (s) => s.end(`hello from ${m.nodeId}\n`));
    for (let i = 0; i < 20; i++) {
      expect((await readAll(await a.dialService('c', 'greeter'))).toString()).toBe('hello from c\n');
      expect((await readAll(await a.dialService('localhost', 'greeter'))).toString()).toBe('hello from a\n');
    }
  });

  it('mesh - a stream across two hops carries both directions with half-close', async () => {
    const [a, , c] = await chain(t);
    let from: { node: string; service: string } | undefined;
    c.listenService('upper', (s, f) => {
      from = f;
      void readAll(s).then((data) => {
        s.end(data.toString().toUpperCase());
      });
    });
    const s = await a.dialService('c', 'upper');
    expect(s.remote).toEqual({ node: 'c', service: 'upper' });
    s.end('hello mesh');
    expect((await readAll(s)).toString()).toBe('HELLO MESH');
    expect(from?.node).toBe('a');
    expect(from?.service).toBe(s.local.service);
  });

  it('mesh - dial errors: unknown service, unknown node, service on a lone node', async () => {
    const [a] = await chain(t);
    const unknown = await a.dialService('c', 'nothing').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(MeshError);
    expect(unknown).toMatchObject({ kind: 'ESERVICEUNKNOWN', message: 'service unknown' });
    const noRoute = await a.dialService('zz', 'x').catch((e: unknown) => e);
    expect(noRoute).toMatchObject({ kind: 'ENOROUTE', message: 'no route to node' });
  });

  it('mesh - dialling localhost reaches this node’s own service', async () => {
    const a = t.node('a');
    a.listenService('echo', (s) => s.pipe(s));
    const s = await a.dialService('localhost', 'echo');
    s.end('self');
    expect((await readAll(s)).toString()).toBe('self');
  });

  it('mesh - 100 MiB through two hops arrives byte-exact with bounded buffering', async () => {
    const [a, b, c] = await chain(t);
    const total = 100 * 1024 * 1024;
    const received = new Promise<[number, string]>((resolve, reject) => {
      c.listenService('sink', (s) => {
        drainHash(s).then(resolve, reject);
      });
    });
    let maxBuffered = 0;
    const sampler = setInterval(() => {
      const n = a.stats().bufferedBytes + b.stats().bufferedBytes + c.stats().bufferedBytes;
      if (n > maxBuffered) maxBuffered = n;
    }, 2);
    try {
      const s = await a.dialService('c', 'sink');
      const sentHash = await pump(s, total);
      const [n, gotHash] = await received;
      expect(n).toBe(total);
      expect(gotHash).toBe(sentHash);
    } finally {
      clearInterval(sampler);
    }
    // Windows (256 KiB) and link write buffers (256 KiB) on three nodes, not the 100 MiB.
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThan(4 * 1024 * 1024);
  }, 120_000);

  it('mesh - a reader that stops stops its sender within a window, and another stream still flows', async () => {
    const [a, b, c] = await chain(t);
    let stalled: MeshStream | undefined;
    c.listenService('stall', (s) => {
      stalled = s;
      s.on('error', () => undefined);
      s.pause();
    });
    c.listenService('sink', (s) => {
      void drainHash(s).then(([n]) => s.end(String(n)));
    });
    const slow = await a.dialService('c', 'stall');
    slow.on('error', () => undefined);
    // Offer data until write() refuses and no 'drain' comes for 300 ms: the windows on the path are full.
    let accepted = 0;
    for (;;) {
      accepted += 65536;
      if (slow.write(Buffer.alloc(65536, 1))) continue;
      const drained = await Promise.race([once(slow, 'drain').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
      if (!drained) break;
      if (accepted > 64 * 1024 * 1024) throw new Error('the sender was never stopped');
    }
    // Writer buffer + one window per channel on the path + link write buffers: far below what a
    // sender without flow control would have pushed.
    expect(accepted).toBeLessThan(3 * 1024 * 1024);
    const held = a.stats().bufferedBytes + b.stats().bufferedBytes + c.stats().bufferedBytes + (stalled?.readableLength ?? 0);
    expect(held).toBeLessThan(3 * 1024 * 1024);
    // The same links still carry another stream at full speed.
    const fast = await a.dialService('c', 'sink');
    await pump(fast, 8 * 1024 * 1024);
    expect((await readAll(fast)).toString()).toBe(String(8 * 1024 * 1024));
    expect(stalled).toBeDefined();
    slow.destroy();
  }, 60_000);

  it('mesh - two concurrent streams through the same hops both progress', async () => {
    const [a, , c] = await chain(t);
    const done: string[] = [];
    c.listenService('sink', (s) => {
      void drainHash(s).then(([n]) => s.end(String(n)));
    });
    const big = await a.dialService('c', 'sink');
    const small = await a.dialService('c', 'sink');
    const bigDone = pump(big, 48 * 1024 * 1024).then(() => readAll(big)).then((r) => {
      done.push('big');
      return r.toString();
    });
    const smallDone = pump(small, 2 * 1024 * 1024).then(() => readAll(small)).then((r) => {
      done.push('small');
      return r.toString();
    });
    expect(await smallDone).toBe(String(2 * 1024 * 1024));
    expect(await bigDone).toBe(String(48 * 1024 * 1024));
    // Round-robin scheduling: the small stream is not queued behind the big one.
    expect(done).toEqual(['small', 'big']);
  }, 60_000);

  it('mesh - a stream through a hop that goes away ends on both ends when the idle timeout passes', async () => {
    // Streams run end to end over data messages (as receptor's QUIC connections do), so a hop keeps no state for
    // them: losing the only hop is noticed by the two ends, after streamIdleTimeoutMs without an answer (receptor:
    // 30 s, quic-go's idle timeout; 4 s with the test timers).
    const [a, b, c] = await chain(t);
    const serverSide = new Promise<MeshStream>((resolve) => c.listenService('hold', (s) => resolve(s)));
    const s = await a.dialService('c', 'hold');
    const remote = await serverSide;
    const errA = once(s, 'error');
    const errC = once(remote, 'error');
    await b.close();
    const [ea] = (await errA) as [Error];
    const [ec] = (await errC) as [Error];
    expect(ea).toBeInstanceOf(MeshError);
    expect(ea.message).toMatch(/no recent network activity|no answer from peer/);
    expect(ec.message).toMatch(/no recent network activity|no answer from peer/);
  });

  it('mesh - a stream survives its hop going away when another path remains (the data messages take the new route)', async () => {
    const [a, b, c] = t.nodes('a', 'b', 'c');
    const d = t.node('d');
    await t.link(a, b);
    await t.link(b, c);
    // Both ends of a link must charge the same cost (receptor rejects a disagreement).
    await t.link(a, d, { cost: 5 }, await d.addTcpListener({ bindaddr: '127.0.0.1', port: 0, cost: 5 }));
    await t.link(d, c, { cost: 5 }, await c.addTcpListener({ bindaddr: '127.0.0.1', port: 0, cost: 5 }));
    await t.converged([a, b, c, d]);
    expect(a.status().RoutingTable.c).toBe('b');
    c.listenService('echo', (s) => s.pipe(s));
    const s = await a.dialService('c', 'echo');
    const got: Buffer[] = [];
    s.on('data', (chunk: Buffer) => got.push(chunk));
    const first = randomBytes(64 * 1024);
    s.write(first);
    await waitFor(() => Buffer.concat(got).length === first.length, 'first half echoed');
    await b.close();
    await waitFor(() => a.status().RoutingTable.c === 'd', 'a routes c via d');
    const second = randomBytes(64 * 1024);
    s.end(second);
    await once(s, 'end');
    expect(Buffer.concat(got).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it('mesh - a listened service is advertised to other nodes and withdrawn on close', async () => {
    const [a, , c] = await chain(t);
    const svc = c.listenService('ctl', (s) => s.destroy(), { tags: { type: 'Control Service' }, connType: 1 });
    const ad = await waitFor(() => a.status().Advertisements.find((x) => x.NodeID === 'c' && x.Service === 'ctl'), 'advert at a');
    expect(ad).toMatchObject({ NodeID: 'c', Service: 'ctl', ConnType: 1, Tags: { type: 'Control Service' }, WorkCommands: null });
    expect(ad.Time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/);
    expect(Object.keys(ad)).toEqual(['NodeID', 'Service', 'Time', 'ConnType', 'Tags', 'WorkCommands']);
    svc.close();
    await waitFor(() => !a.status().Advertisements.some((x) => x.NodeID === 'c' && x.Service === 'ctl'), 'advert withdrawn');
  });

  it('mesh - a node that joins later learns existing adverts at once', async () => {
    const [a, b] = t.nodes('a', 'b');
    a.listenService('svc', () => undefined, { tags: { type: 'x' } });
    await t.link(b!, a!);
    await waitFor(() => b!.status().Advertisements.some((x) => x.NodeID === 'a' && x.Service === 'svc'), 'advert at b');
  });

  it('mesh - control-service adverts carry the work commands', async () => {
    const [a] = t.nodes('a');
    const b = t.node('b', { workCommands: () => [{ WorkType: 'echo', Secure: false }] });
    b.listenService('control', () => undefined, { tags: { type: 'Control Service' } });
    await t.link(a!, b);
    const ad = await waitFor(() => a!.status().Advertisements.find((x) => x.NodeID === 'b'), 'advert at a');
    expect(ad.WorkCommands).toEqual([{ WorkType: 'echo', Secure: false }]);
    expect(b.status().Advertisements[0]!.WorkCommands).toEqual([{ WorkType: 'echo', Secure: false }]);
  });
});
