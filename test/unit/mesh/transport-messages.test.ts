// The link transports carry whole netceptor messages (docs/netceptor-wire.md "Framing, per backend"), over real
// sockets: ws/wss (one binary WebSocket message per message, receptor pkg/backends/websockets.go), udp (one
// datagram per message and a session per remote address, pkg/backends/udp.go) and tcp (u16 little-endian
// length prefix, pkg/framer), whose frames must come out whole however the bytes are chunked.
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NetceptorFramingError } from '../../../src/protocol/netceptor/index.js';
import { DuplexFrameTransport, type FrameTransport } from '../../../src/node/mesh/transport/frame-transport.js';
import type { AcceptHandlers, ServerHandle } from '../../../src/node/mesh/transport/tcp.js';
import { dialUdp, listenUdp } from '../../../src/node/mesh/transport/udp.js';
import { dialWs, listenWs } from '../../../src/node/mesh/transport/ws.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';

const LONG = 20_000;

/** `n` bytes of a pattern that differs per message (`seed`), so a swapped or merged message shows. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Waits for a condition that events make true (checked on every event and every 20 ms). */
async function until(what: string, cond: () => boolean, ms = LONG): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts a transport and records what its handlers see. */
class Recorder {
  readonly messages: Buffer[] = [];
  readonly closes: (Error | undefined)[] = [];
  drains = 0;
  constructor(readonly t: FrameTransport) {}
  start(): this {
    this.t.start({
      message: (m) => this.messages.push(m),
      drain: () => this.drains++,
      close: (err) => this.closes.push(err),
    });
    return this;
  }
  untilMessages(n: number): Promise<void> {
    return until(`${n} messages on ${this.t.kind} ${this.t.remoteAddress} (have ${this.messages.length})`, () => this.messages.length >= n);
  }
  untilClosed(): Promise<void> {
    return until(`close of ${this.t.kind} ${this.t.remoteAddress}`, () => this.closes.length > 0);
  }
}

/** AcceptHandlers that queue each accepted transport (and fail on an accept error). */
function acceptQueue(): { on: AcceptHandlers; next(): Promise<FrameTransport>; all: FrameTransport[]; errors: Error[] } {
  const all: FrameTransport[] = [];
  const errors: Error[] = [];
  let taken = 0;
  return {
    all,
    errors,
    on: { connection: (t) => all.push(t), error: (err) => errors.push(err) },
    async next() {
      await until(`accepted connection #${taken + 1}`, () => all.length > taken || errors.length > 0);
      if (errors.length > 0) throw errors[0]!;
      return all[taken++]!;
    },
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SIZES = [1, 1000, 65535];

describe('ws message transport', () => {
  let dir: string;
  let pki: TestPki;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transport-messages-'));
    pki = await makeTestPki(dir, { nodes: [{ name: 'server' }] });
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function pair(secure: boolean): Promise<{ server: ServerHandle; listenerSide: Recorder; dialerSide: Recorder }> {
    const q = acceptQueue();
    const server = await listenWs(
      {
        host: '127.0.0.1',
        port: 0,
        path: '/mesh',
        ...(secure ? { tls: { options: { cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem } } } : {}),
      },
      q.on,
    );
    cleanups.push(() => server.close());
    const dialed = await dialWs({
      url: `${secure ? 'wss' : 'ws'}://127.0.0.1:${server.address.port}/mesh`,
      ...(secure ? { tls: { options: { ca: pki.ca.certPem } } } : {}),
      timeoutMs: LONG,
    });
    cleanups.push(() => dialed.destroy());
    const accepted = await q.next();
    cleanups.push(() => accepted.destroy());
    return { server, listenerSide: new Recorder(accepted).start(), dialerSide: new Recorder(dialed).start() };
  }

  for (const secure of [false, true]) {
    const kind = secure ? 'wss' : 'ws';
    it(`ws transport - ${kind}: messages of 1, 1000 and 65535 bytes arrive whole, one per WebSocket message, both ways`, async () => {
      const { listenerSide, dialerSide } = await pair(secure);
      expect(listenerSide.t.kind).toBe(kind);
      expect(dialerSide.t.kind).toBe(kind);
      const sent = SIZES.map((n, i) => pattern(n, i));
      // Sent back to back in one cork: the boundaries are the WebSocket messages', not the TCP segments'.
      dialerSide.t.cork();
      for (const m of sent) dialerSide.t.send(m);
      dialerSide.t.uncork();
      await listenerSide.untilMessages(sent.length);
      expect(listenerSide.messages.map((m) => m.length)).toEqual(SIZES);
      listenerSide.messages.forEach((m, i) => expect(m.equals(sent[i]!)).toBe(true));
      expect(listenerSide.t.firstBytes).toEqual(sent[0]);

      const back = SIZES.map((n, i) => pattern(n, 10 + i));
      for (const m of back) listenerSide.t.send(m);
      await dialerSide.untilMessages(back.length);
      dialerSide.messages.forEach((m, i) => expect(m.equals(back[i]!)).toBe(true));
      expect(dialerSide.t.firstBytes).toEqual(back[0]);
      if (secure) {
        // The dialer knows the server's certificate (DER), as before the rewrite.
        expect(dialerSide.t.peerCertificate?.equals(new X509Certificate(pki.nodes.server!.certPem).raw)).toBe(true);
      }
      expect(listenerSide.closes).toEqual([]);
      expect(dialerSide.closes).toEqual([]);
    });
  }

  it('ws transport - firstBytes holds the first 64 bytes of the first message only', async () => {
    const { listenerSide, dialerSide } = await pair(false);
    const first = pattern(200, 3);
    dialerSide.t.send(first);
    dialerSide.t.send(pattern(10, 4));
    await listenerSide.untilMessages(2);
    expect(listenerSide.t.firstBytes).toEqual(first.subarray(0, 64));
  });

  it('ws transport - an empty message and a text message from the peer are handed over as they came; sending an empty one throws', async () => {
    const q = acceptQueue();
    const server = await listenWs({ host: '127.0.0.1', port: 0, path: '/' }, q.on);
    cleanups.push(() => server.close());
    // A raw ws client, since our own send refuses an empty message (receptor 1.6.5 panics on one).
    const raw = new WebSocket(`ws://127.0.0.1:${server.address.port}/`);
    cleanups.push(() => raw.terminate());
    await new Promise<void>((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    const accepted = new Recorder(await q.next()).start();
    raw.send(Buffer.alloc(0), { binary: true });
    raw.send('not binary');
    raw.send(Buffer.from([1, 2, 3]), { binary: true });
    await accepted.untilMessages(3);
    expect(accepted.messages.map((m) => m.toString('hex'))).toEqual(['', Buffer.from('not binary').toString('hex'), '010203']);
    expect(accepted.t.firstBytes).toEqual(Buffer.alloc(0));
    expect(() => accepted.t.send(Buffer.alloc(0))).toThrow(NetceptorFramingError);
  });

  it('ws transport - messages sent before the link starts its transport are delivered in order once it starts', async () => {
    const q = acceptQueue();
    const server = await listenWs({ host: '127.0.0.1', port: 0, path: '/' }, q.on);
    cleanups.push(() => server.close());
    const dialed = new Recorder(await dialWs({ url: `ws://127.0.0.1:${server.address.port}/`, timeoutMs: LONG })).start();
    cleanups.push(() => dialed.t.destroy());
    const accepted = await q.next();
    cleanups.push(() => accepted.destroy());
    for (let i = 0; i < 5; i++) dialed.t.send(pattern(100, i));
    // Most likely all five are in before start(); on a slow machine some come after. Either way all five
    // must come out once, in order.
    await new Promise((r) => setTimeout(r, 200));
    const rec = new Recorder(accepted).start();
    await rec.untilMessages(5);
    rec.messages.forEach((m, i) => expect(m.equals(pattern(100, i))).toBe(true));
  });

  for (const side of ['dialer', 'listener'] as const) {
    it(`ws transport - end() on the ${side} side closes both transports, each close handler runs once`, async () => {
      const { listenerSide, dialerSide } = await pair(false);
      const [closer, other] = side === 'dialer' ? [dialerSide, listenerSide] : [listenerSide, dialerSide];
      closer.t.send(pattern(500, 1));
      closer.t.end();
      await other.untilMessages(1);
      await other.untilClosed();
      await closer.untilClosed();
      expect(other.messages[0]!.equals(pattern(500, 1))).toBe(true);
      // Later calls change nothing.
      closer.t.destroy();
      other.t.destroy(new Error('late'));
      closer.t.end();
      await new Promise((r) => setTimeout(r, 100));
      expect(closer.closes).toHaveLength(1);
      expect(other.closes).toHaveLength(1);
      expect(closer.t.closed).toBe(true);
      expect(other.t.closed).toBe(true);
      // A send after close is dropped, not thrown.
      expect(closer.t.send(pattern(10, 1))).toBe(true);
    });
  }

  it('ws transport - destroy(err) on one side: its close handler gets the error once, the peer sees the close once', async () => {
    const { listenerSide, dialerSide } = await pair(true);
    const boom = new Error('boom');
    listenerSide.t.destroy(boom);
    expect(listenerSide.closes).toEqual([boom]);
    await dialerSide.untilClosed();
    await new Promise((r) => setTimeout(r, 100));
    expect(dialerSide.closes).toHaveLength(1);
    expect(listenerSide.closes).toHaveLength(1);
  });

  it('ws transport - send() returns false when the peer stops reading, and drain follows once it reads again', async () => {
    const q = acceptQueue();
    const server = await listenWs({ host: '127.0.0.1', port: 0, path: '/' }, q.on);
    cleanups.push(() => server.close());
    const raw = new WebSocket(`ws://127.0.0.1:${server.address.port}/`);
    cleanups.push(() => raw.terminate());
    await new Promise<void>((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    let received = 0;
    raw.on('message', () => received++);
    raw.pause();
    const sender = new Recorder(await q.next()).start();
    const m = pattern(65535, 9);
    let sent = 0;
    // Loopback socket buffers hold a few MiB at most; 4096 messages is 256 MiB.
    while (sent < 4096) {
      sent++;
      if (!sender.t.send(m)) break;
    }
    expect(sent).toBeLessThan(4096);
    expect(sender.t.writableLength).toBeGreaterThan(0);
    expect(sender.drains).toBe(0);
    raw.resume();
    await until('drain', () => sender.drains > 0);
    await until(`all ${sent} messages at the peer`, () => received === sent);
  });
});

describe('udp message transport', () => {
  async function listener(): Promise<{ server: ServerHandle; q: ReturnType<typeof acceptQueue> }> {
    const q = acceptQueue();
    const server = await listenUdp({ host: '127.0.0.1', port: 0 }, q.on);
    cleanups.push(() => server.close());
    return { server, q };
  }

  async function dial(port: number): Promise<Recorder> {
    const t = await dialUdp({ address: `127.0.0.1:${port}`, timeoutMs: LONG });
    cleanups.push(() => t.destroy());
    return new Recorder(t).start();
  }

  it('udp transport - a dialer speaks first, the listener makes its session then; 1, 1000 and 65507 bytes round trip as single datagrams', async () => {
    const { server, q } = await listener();
    const d = await dial(server.address.port);
    expect(d.t.kind).toBe('udp');
    const sizes = [1, 1000, 65507];
    const sent = sizes.map((n, i) => pattern(n, i));
    d.t.send(sent[0]!);
    const s = new Recorder(await q.next()).start();
    expect(s.t.kind).toBe('udp');
    for (const m of sent.slice(1)) d.t.send(m);
    await s.untilMessages(3);
    expect(s.messages.map((m) => m.length)).toEqual(sizes);
    s.messages.forEach((m, i) => expect(m.equals(sent[i]!)).toBe(true));
    expect(s.t.firstBytes).toEqual(sent[0]);
    expect(s.t.peerCertificate).toBeUndefined();

    const back = sizes.map((n, i) => pattern(n, 20 + i));
    for (const m of back) s.t.send(m);
    await d.untilMessages(3);
    d.messages.forEach((m, i) => expect(m.equals(back[i]!)).toBe(true));
    expect(q.all).toHaveLength(1);
  });

  it('udp transport - send refuses what UDP cannot carry (empty, over 65507 bytes) and never reports backpressure', async () => {
    const { server, q } = await listener();
    const d = await dial(server.address.port);
    expect(() => d.t.send(Buffer.alloc(65508))).toThrow(/65507-byte UDP limit/);
    expect(() => d.t.send(Buffer.alloc(0))).toThrow(NetceptorFramingError);
    for (let i = 0; i < 50; i++) expect(d.t.send(pattern(65507, i))).toBe(true);
    const s = new Recorder(await q.next()).start();
    await until('a datagram at the listener', () => s.messages.length > 0 || s.t.firstBytes !== undefined);
    expect(d.closes).toEqual([]);
  });

  it('udp transport - two dialers are two sessions, each answer goes to its own dialer', async () => {
    const { server, q } = await listener();
    const a = await dial(server.address.port);
    const b = await dial(server.address.port);
    a.t.send(Buffer.from('from a'));
    const sa = new Recorder(await q.next()).start();
    b.t.send(Buffer.from('from b'));
    const sb = new Recorder(await q.next()).start();
    await sa.untilMessages(1);
    await sb.untilMessages(1);
    expect(sa.messages[0]!.toString()).toBe('from a');
    expect(sb.messages[0]!.toString()).toBe('from b');
    expect(sa.t.remoteAddress).not.toBe(sb.t.remoteAddress);
    expect(sa.t.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    sa.t.send(Buffer.from('to a'));
    sb.t.send(Buffer.from('to b'));
    await a.untilMessages(1);
    await b.untilMessages(1);
    expect(a.messages.map(String)).toEqual(['to a']);
    expect(b.messages.map(String)).toEqual(['to b']);
  });

  it('udp transport - a closed listener session is forgotten: the next datagram from that address makes a new session', async () => {
    const { server, q } = await listener();
    const d = await dial(server.address.port);
    d.t.send(Buffer.from('one'));
    const first = new Recorder(await q.next()).start();
    await first.untilMessages(1);
    first.t.destroy();
    expect(first.closes).toEqual([undefined]);
    expect(first.t.closed).toBe(true);
    d.t.send(Buffer.from('two'));
    const second = new Recorder(await q.next()).start();
    await second.untilMessages(1);
    expect(second.messages.map(String)).toEqual(['two']);
    expect(second.t.remoteAddress).toBe(first.t.remoteAddress);
    expect(first.messages.map(String)).toEqual(['one']);
    expect(first.closes).toHaveLength(1);
    // The dialer's session is untouched: udp.go's listener session close only forgets the address.
    expect(d.closes).toEqual([]);
  });

  it('udp transport - close() of the listener ends every session once and frees the port', async () => {
    const { server, q } = await listener();
    const a = await dial(server.address.port);
    const b = await dial(server.address.port);
    a.t.send(Buffer.from('a'));
    b.t.send(Buffer.from('b'));
    const sa = new Recorder(await q.next()).start();
    const sb = new Recorder(await q.next()).start();
    await server.close();
    expect(sa.closes).toEqual([undefined]);
    expect(sb.closes).toEqual([undefined]);
    expect(sa.t.closed && sb.t.closed).toBe(true);
    // The port can be bound again at once.
    const again = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(server.address.port, '127.0.0.1', resolve);
    });
    await new Promise<void>((r) => again.close(() => r()));
  });

  it('udp transport - end() and destroy() close a dialer once; a send afterwards is dropped', async () => {
    const { server } = await listener();
    const d = await dial(server.address.port);
    d.t.send(Buffer.from('x'));
    d.t.end();
    await d.untilClosed();
    d.t.destroy(new Error('late'));
    expect(d.closes).toEqual([undefined]);
    expect(d.t.send(Buffer.from('y'))).toBe(true);
  });

  it('udp transport - a dialer whose peer has no socket closes with ECONNREFUSED (the ICMP error), as UDPDialerSession.Recv ends the connection', async () => {
    // A port nobody listens on: bind one, note it, free it.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const d = await dial(port);
    for (let i = 0; i < 50 && d.closes.length === 0; i++) {
      expect(d.t.send(Buffer.from('hello'))).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
    await d.untilClosed();
    expect(d.closes).toHaveLength(1);
    expect((d.closes[0] as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');
    // In Go's words, as receptor logs it after `Backend receiving error` (or `sending`, if a write saw it first).
    expect(d.closes[0]?.message).toMatch(/^(read|write) udp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: (read|write): connection refused$/);
  });

  it('udp transport - host names are resolved (dns.lookup, as Go resolves the address): a listener and a dialer on localhost meet', async () => {
    const q = acceptQueue();
    const server = await listenUdp({ host: 'localhost', port: 0 }, q.on);
    cleanups.push(() => server.close());
    const t = await dialUdp({ address: `localhost:${server.address.port}`, timeoutMs: LONG });
    cleanups.push(() => t.destroy());
    const d = new Recorder(t).start();
    d.t.send(Buffer.from('ping'));
    const s = new Recorder(await q.next()).start();
    await s.untilMessages(1);
    s.t.send(Buffer.from('pong'));
    await d.untilMessages(1);
    expect(d.messages.map(String)).toEqual(['pong']);
    expect(d.t.remoteAddress).toBe(`localhost:${server.address.port}`);
  });

  it('udp transport - dialUdp refuses an address without a port, and a cancelled dial rejects', async () => {
    await expect(dialUdp({ address: '127.0.0.1' })).rejects.toThrow('address 127.0.0.1: missing port in address');
    const ac = new AbortController();
    ac.abort();
    await expect(dialUdp({ address: '127.0.0.1:9', signal: ac.signal })).rejects.toThrow('dial cancelled');
  });

  it('udp transport - listenUdp on a port in use rejects with EADDRINUSE', async () => {
    const { server } = await listener();
    await expect(listenUdp({ host: '127.0.0.1', port: server.address.port }, acceptQueue().on)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('tcp frame transport', () => {
  /** A connected pair of real TCP sockets: `tx` raw, `rx` wrapped in a DuplexFrameTransport. */
  async function socketPair(): Promise<{ tx: net.Socket; rx: Recorder; rxBytes: (n: number) => Promise<void> }> {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const tx = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      tx.once('connect', resolve);
      tx.once('error', reject);
    });
    tx.setNoDelay(true);
    const rxSock = await accepted;
    let got = 0;
    let waiter: { n: number; resolve: () => void } | undefined;
    // A second 'data' listener (added first, so it runs before the transport's) counts what arrived, so a
    // test can wait for a chunk before writing the next.
    rxSock.on('data', (c: Buffer) => {
      got += c.length;
      if (waiter && got >= waiter.n) {
        const w = waiter;
        waiter = undefined;
        // After this 'data' event has reached the transport too.
        setImmediate(w.resolve);
      }
    });
    const rxBytes = (n: number): Promise<void> =>
      got >= n
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} bytes (have ${got})`)), LONG);
            waiter = {
              n,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            };
          });
    const rx = new Recorder(new DuplexFrameTransport(rxSock, 'tcp', 'test')).start();
    cleanups.push(async () => {
      tx.destroy();
      rx.t.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });
    return { tx, rx, rxBytes };
  }

  /** Frames built by hand (u16 little-endian length, then the bytes), not by the code under test. */
  function frames(messages: Buffer[]): Buffer {
    return Buffer.concat(
      messages.flatMap((m) => {
        const len = Buffer.alloc(2);
        len[0] = m.length & 0xff;
        len[1] = m.length >> 8;
        return [len, m];
      }),
    );
  }

  async function writeAndWait(tx: net.Socket, chunk: Buffer, rxBytes: (n: number) => Promise<void>, target: number): Promise<void> {
    tx.write(chunk);
    await rxBytes(target);
  }

  it('tcp transport - messages split at every byte offset of the stream arrive whole and in order', async () => {
    const { tx, rx, rxBytes } = await socketPair();
    const messages = [pattern(1, 1), pattern(300, 2), pattern(2, 3), pattern(256, 4)];
    const stream = frames(messages);
    let total = 0;
    for (let k = 0; k <= stream.length; k++) {
      // The receiver has the first k bytes before the rest is written: a chunk boundary at k.
      if (k > 0) await writeAndWait(tx, stream.subarray(0, k), rxBytes, total + k);
      if (k < stream.length) await writeAndWait(tx, stream.subarray(k), rxBytes, total + stream.length);
      total += stream.length;
      expect(rx.messages.length).toBe((k + 1) * messages.length);
    }
    rx.messages.forEach((m, i) => expect(m.equals(messages[i % messages.length]!)).toBe(true));
    expect(rx.closes).toEqual([]);
  });

  it('tcp transport - a 65535-byte message split at its front, middle and end, and a stream written byte by byte, arrive whole', async () => {
    const { tx, rx, rxBytes } = await socketPair();
    const big = pattern(65535, 7);
    const stream = frames([big, pattern(5, 8)]);
    let total = 0;
    for (const k of [1, 2, 3, 32768, 65536, 65537, 65538, stream.length - 1]) {
      await writeAndWait(tx, stream.subarray(0, k), rxBytes, total + k);
      await writeAndWait(tx, stream.subarray(k), rxBytes, total + stream.length);
      total += stream.length;
    }
    const small = frames([pattern(3, 1), pattern(1, 2), pattern(40, 3)]);
    for (let i = 0; i < small.length; i++) tx.write(small.subarray(i, i + 1));
    await rx.untilMessages(8 * 2 + 3);
    for (let i = 0; i < 16; i += 2) {
      expect(rx.messages[i]!.equals(big)).toBe(true);
      expect(rx.messages[i + 1]!.equals(pattern(5, 8))).toBe(true);
    }
    expect(rx.messages.slice(16).map((m) => m.toString('hex'))).toEqual([pattern(3, 1), pattern(1, 2), pattern(40, 3)].map((m) => m.toString('hex')));
  });

  it('tcp transport - send() frames with a u16 little-endian length and throws for a message over 65535 bytes', async () => {
    const { tx, rx } = await socketPair();
    const seen: Buffer[] = [];
    tx.on('data', (c: Buffer) => seen.push(c));
    expect(() => rx.t.send(Buffer.alloc(65536))).toThrow(NetceptorFramingError);
    expect(() => rx.t.send(Buffer.alloc(0))).toThrow(NetceptorFramingError);
    const m = pattern(65535, 5);
    rx.t.send(m);
    await until('the frame at the peer', () => seen.reduce((n, c) => n + c.length, 0) >= 65537);
    expect(Buffer.concat(seen).equals(frames([m]))).toBe(true);
  });
});
