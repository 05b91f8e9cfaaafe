// QuicConnection (src/node/mesh/quic.ts): receptor's service connections (pkg/netceptor/conn.go) as QUIC over a
// datagram pipe, on the real quiche binding of @matrixai/quic. Two connections joined by an in-memory pipe that
// delivers each packet on a later event-loop turn (optionally dropping some with a seeded PRNG), real TLS with
// per-run certificates. The bad dialer of the 0x00 test drives the binding directly, independently of the module.
// Timers are made small where a test waits for one; no assertion is about time.
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_QUIC_TIMERS,
  MAX_QUIC_PACKET,
  QuicConnection,
  formatError,
  loadQuic,
  quicLoadError,
  type QuicAcceptOptions,
  type QuicBinding,
  type QuicDialOptions,
} from '../../../src/node/mesh/quic.js';
import { INSECURE_COMMON_NAME, createInsecureCertificate, hasInsecureCommonName, insecureServerCertificate } from '../../../src/node/mesh/quic-certs.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';

let binding: QuicBinding;
let pki: TestPki;
let dir: string;

beforeAll(async () => {
  const loaded = await loadQuic();
  // The dependency is installed wherever these tests run (linux-x64, glibc ≥ 2.34): a load error is a failure.
  if (loaded instanceof Error) throw loaded;
  binding = loaded;
  dir = await mkdtemp(join(tmpdir(), 'meshctl-quic-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'nodeA' }, { name: 'nodeB' }, { name: 'nodeC' }] });
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pair {
  dialer: QuicConnection;
  listener: Promise<QuicConnection>;
  packets: { toListener: number; toDialer: number; maxSize: number; allQuic: boolean };
  /** Stops delivering packets both ways (a black hole). */
  cut(): void;
}

/** A dialer and the listener accept() makes from its first packet, joined by an in-memory datagram pipe. */
function connect(dialOpts: QuicDialOptions = {}, acceptOpts: QuicAcceptOptions = {}, loss = 0, seed = 1): Pair {
  const rnd = mulberry32(seed);
  let listener: QuicConnection | undefined;
  let resolveListener!: (c: QuicConnection) => void;
  const listenerP = new Promise<QuicConnection>((r) => (resolveListener = r));
  let cut = false;
  const packets = { toListener: 0, toDialer: 0, maxSize: 0, allQuic: true };
  const note = (p: Buffer) => {
    packets.maxSize = Math.max(packets.maxSize, p.length);
    if (!QuicConnection.isQuicPacket(p)) packets.allQuic = false;
  };
  const drop = () => cut || (loss > 0 && rnd() < loss);
  const dialer = QuicConnection.dial(
    binding,
    {
      send(p) {
        note(p);
        packets.toListener++;
        if (drop()) return;
        const copy = Buffer.from(p);
        setImmediate(() => {
          if (!listener) {
            listener = QuicConnection.accept(binding, copy, listenerIo, acceptOpts);
            if (listener) {
              tolerateStreamErrors(listener);
              resolveListener(listener);
            }
          } else listener.receive(copy);
        });
      },
    },
    dialOpts,
  );
  const listenerIo = {
    send(p: Buffer) {
      note(p);
      packets.toDialer++;
      if (drop()) return;
      const copy = Buffer.from(p);
      setImmediate(() => dialer.receive(copy));
    },
  };
  tolerateStreamErrors(dialer);
  return { dialer, listener: listenerP, packets, cut: () => (cut = true) };
}

/**
 * A stream whose connection ends abnormally is destroyed with the reason; tests that check it do so through readAll
 * or their own 'error' listener, the others must not die of an unhandled 'error' event.
 */
function tolerateStreamErrors(c: QuicConnection): void {
  c.once('stream', (s: Duplex) => s.on('error', () => {}));
}

function closed(c: QuicConnection): Promise<string> {
  return new Promise((resolve) => (c.closed ? resolve(c.reason!) : c.once('closed', resolve)));
}

function readAll(s: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
  });
}

/** Writes data in 64 KiB pieces, waiting for 'drain' whenever write() says so, then end(). Counts the stalls. */
async function writeAll(s: Duplex, data: Buffer, progress?: { accepted: number; stalls: number }): Promise<void> {
  for (let off = 0; off < data.length; off += 65_536) {
    const piece = data.subarray(off, off + 65_536);
    const more = s.write(piece, () => {
      if (progress) progress.accepted += piece.length;
    });
    if (!more) {
      if (progress) progress.stalls++;
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: Error) => reject(e);
        s.once('error', onErr);
        s.once('drain', () => {
          s.off('error', onErr);
          resolve();
        });
      });
    }
  }
  await new Promise<void>((resolve) => s.end(resolve));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const until = async (cond: () => boolean, what: string, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const subjectCn = (der: Buffer) => new X509Certificate(der).subject.split('\n').find((l) => l.startsWith('CN='));

describe('quic', () => {
  it('quic - handshake over the pipe with the insecure certificate; the dialer 0x00 byte is consumed, not delivered', async () => {
    const pair = connect();
    const listener = await pair.listener;
    const [ds, ls] = await Promise.all([pair.dialer.stream, listener.stream]);
    ds.end(Buffer.from('hello'));
    expect((await readAll(ls)).toString()).toBe('hello');
    ls.end(Buffer.from('world'));
    expect((await readAll(ds)).toString()).toBe('world');
    expect(pair.packets.allQuic).toBe(true);
    expect(pair.packets.maxSize).toBeLessThanOrEqual(MAX_QUIC_PACKET);
    pair.dialer.close();
    expect(await closed(pair.dialer)).toBe('Application error 0x0 (local): normal close');
    expect(await closed(listener)).toBe('Application error 0x0 (remote): normal close');
  });

  it("quic - 16 MiB each way at once arrive intact, and a reader that stops reading stops its writer (QUIC flow control)", async () => {
    const pair = connect();
    const listener = await pair.listener;
    const [ds, ls] = await Promise.all([pair.dialer.stream, listener.stream]);
    const up = randomBytes(16 * 1024 * 1024);
    const down = randomBytes(16 * 1024 * 1024);
    // The listener does not read at first: the dialer must stall well before it has handed over all 16 MiB.
    const progress = { accepted: 0, stalls: 0 };
    const upDone = writeAll(ds, up, progress);
    let last = -1;
    let still = 0;
    await until(() => {
      if (progress.accepted === last) still++;
      else still = 0;
      last = progress.accepted;
      return still >= 25 || progress.accepted === up.length;
    }, 'the writer to stall or finish');
    expect(progress.accepted).toBeLessThan(up.length);
    // What left the writer sits in the listener's quiche receive window (6 MiB) and stream buffers.
    expect(progress.accepted).toBeLessThanOrEqual(7 * 1024 * 1024);
    expect(progress.stalls).toBeGreaterThan(0);
    const [gotUp, gotDown] = await Promise.all([readAll(ls), readAll(ds), upDone, writeAll(ls, down)]);
    expect(gotUp.length).toBe(up.length);
    expect(sha(gotUp)).toBe(sha(up));
    expect(gotDown.length).toBe(down.length);
    expect(sha(gotDown)).toBe(sha(down));
    pair.dialer.close();
    await closed(listener);
  }, 120_000);

  it('quic - 1 MiB each way survives 5% packet loss (retransmission)', async () => {
    const pair = connect({}, {}, 0.05, 7);
    const listener = await pair.listener;
    const [ds, ls] = await Promise.all([pair.dialer.stream, listener.stream]);
    const up = randomBytes(1024 * 1024);
    const down = randomBytes(1024 * 1024);
    const [gotUp, gotDown] = await Promise.all([readAll(ls), readAll(ds), writeAll(ds, up), writeAll(ls, down)]);
    expect(sha(gotUp)).toBe(sha(up));
    expect(sha(gotDown)).toBe(sha(down));
    pair.dialer.close();
    await closed(listener);
  }, 120_000);

  it('quic - half-close: the listener reads the dialer FIN and still answers, the dialer reads the answer to its end', async () => {
    const pair = connect();
    const listener = await pair.listener;
    const [ds, ls] = await Promise.all([pair.dialer.stream, listener.stream]);
    ds.end(Buffer.from('request'));
    const req = await readAll(ls);
    expect(req.toString()).toBe('request');
    expect(ls.writable).toBe(true);
    ls.write(Buffer.from('re'));
    ls.end(Buffer.from('ply'));
    expect((await readAll(ds)).toString()).toBe('reply');
    expect(pair.dialer.closed).toBe(false);
    listener.close();
    expect(await closed(pair.dialer)).toBe('Application error 0x0 (remote): normal close');
  });

  it('quic - a last write and FIN just before close() leave first (one packet), and the peer reads them before the close', async () => {
    const pair = connect();
    const listener = await pair.listener;
    const [ds, ls] = await Promise.all([pair.dialer.stream, listener.stream]);
    const got = readAll(ds);
    const last = randomBytes(900);
    ls.end(last);
    // receptor's Conn.Close then CloseConnection, in one go.
    await new Promise((r) => setImmediate(r));
    listener.close();
    expect(sha(await got)).toBe(sha(last));
    expect(await closed(pair.dialer)).toBe('Application error 0x0 (remote): normal close');
  });

  it("quic - a listener whose dialer's first byte is not 0x00 closes with application error 500 Read Data Error (conn.go AcceptLoop)", async () => {
    // A dialer on the bare binding: the handshake as quic-go does it, then 'A' instead of 0x00.
    const cfg = binding.Config.withBoringSslCtx(true, true, null, null, null, null);
    const c = cfg as unknown as Record<string, (...a: unknown[]) => void>;
    c.setApplicationProtos!(['netceptor']);
    c.setMaxIdleTimeout!(30_000);
    c.setMaxSendUdpPayloadSize!(1452);
    c.setInitialMaxData!(1 << 20);
    c.setInitialMaxStreamDataBidiLocal!(1 << 20);
    c.setInitialMaxStreamDataBidiRemote!(1 << 20);
    c.setInitialMaxStreamsBidi!(10);
    const from = { host: '198.51.100.1', port: 5 };
    const to = { host: '198.51.100.2', port: 6 };
    const raw = binding.Connection.connect(null, randomBytes(16), from, to, cfg);
    let listener: QuicConnection | undefined;
    let wrote = false;
    const pump = () => {
      if (raw.isEstablished() && !wrote) {
        wrote = true;
        raw.streamSend(0, Buffer.from('A'), false);
      }
      for (;;) {
        const out = Buffer.alloc(1500);
        let r: [number, unknown] | null = null;
        try {
          r = raw.send(out);
        } catch {
          break;
        }
        if (r === null) break;
        const p = out.subarray(0, r[0]);
        setImmediate(() => {
          if (!listener) listener = QuicConnection.accept(binding, p, { send: (q) => setImmediate(() => feed(q)) });
          else listener.receive(p);
        });
      }
    };
    const feed = (q: Buffer) => {
      try {
        raw.recv(Buffer.from(q), { from: to, to: from });
      } catch {
        // dropped
      }
      pump();
    };
    pump();
    await until(() => listener !== undefined, 'the listener');
    expect(await closed(listener!)).toBe('Application error 0x1f4 (local): Read Data Error');
    await expect(listener!.stream).rejects.toThrow('Read Data Error');
    await until(() => raw.peerError() !== null, "the dialer to see the listener's close");
    const e = raw.peerError()!;
    expect({ isApp: e.isApp, code: e.errorCode, reason: Buffer.from(e.reason).toString() }).toEqual({
      isApp: true,
      code: 500,
      reason: 'Read Data Error',
    });
  });

  it('quic - the insecure certificate: RSA-2048, CN netceptor-insecure-common-name, 24 h, made once per process', async () => {
    const a = await insecureServerCertificate();
    const b = await insecureServerCertificate();
    expect(b).toBe(a);
    const x = new X509Certificate(a.certPem);
    expect(x.subject).toBe(`CN=${INSECURE_COMMON_NAME}`);
    expect(x.issuer).toBe(`CN=${INSECURE_COMMON_NAME}`);
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const life = Date.parse(x.validTo) - Date.parse(x.validFrom);
    expect(life).toBe(24 * 3600_000 + 60_000);
    expect(hasInsecureCommonName([x.raw])).toBe(true);
    expect(hasInsecureCommonName([new X509Certificate(pki.nodes.nodeB!.certPem).raw, x.raw])).toBe(true);
    expect(hasInsecureCommonName([new X509Certificate(pki.nodes.nodeB!.certPem).raw, Buffer.from('junk')])).toBe(false);
    const other = await createInsecureCertificate(new Date(), `${INSECURE_COMMON_NAME}x`);
    expect(hasInsecureCommonName([new X509Certificate(other.certPem).raw])).toBe(false);
  });

  it('quic - a dialer without tls refuses a listener whose certificate lacks the insecure CN, in receptor\'s words', async () => {
    const pair = connect({}, { tls: { certPem: pki.nodes.nodeB!.certPem, keyPem: pki.nodes.nodeB!.keyPem } });
    const listener = await pair.listener;
    expect(await closed(pair.dialer)).toBe('CRYPTO_ERROR 0x12a (local): insecure connection to secure service');
    await expect(pair.dialer.stream).rejects.toThrow('insecure connection to secure service');
    expect(await closed(listener)).toBe('CRYPTO_ERROR 0x12a (remote): insecure connection to secure service');
  });

  it('quic - configured tls both ways: each side sees the other chain in its verify callback; a callback error closes', async () => {
    const seen: { server?: string; client?: string } = {};
    const dialTls = (node: string) => ({
      certPem: pki.nodes[node]!.certPem,
      keyPem: pki.nodes[node]!.keyPem,
      caPem: pki.ca.certPem,
      serverName: 'nodeB',
      verifyServer: (chain: Buffer[]) => {
        seen.server = subjectCn(chain[0]!);
        return seen.server === 'CN=nodeB' ? undefined : `unexpected server ${seen.server}`;
      },
    });
    const acceptTls = {
      certPem: pki.nodes.nodeB!.certPem,
      keyPem: pki.nodes.nodeB!.keyPem,
      caPem: pki.ca.certPem,
      requireClientCert: true,
      verifyClient: (chain: Buffer[]) => {
        seen.client = subjectCn(chain[0]!);
        return seen.client === 'CN=nodeA' ? undefined : `certificate ${seen.client} is not allowed here`;
      },
    };
    const good = connect({ tls: dialTls('nodeA') }, { tls: acceptTls });
    const listener = await good.listener;
    const [ds, ls] = await Promise.all([good.dialer.stream, listener.stream]);
    expect(seen).toEqual({ server: 'CN=nodeB', client: 'CN=nodeA' });
    ds.end(Buffer.from('over mutual tls'));
    expect((await readAll(ls)).toString()).toBe('over mutual tls');
    good.dialer.close();
    await closed(listener);

    const bad = connect({ tls: dialTls('nodeC') }, { tls: acceptTls });
    const badListener = await bad.listener;
    expect(await closed(badListener)).toBe('CRYPTO_ERROR 0x12a (local): certificate CN=nodeC is not allowed here');
    expect(await closed(bad.dialer)).toBe('CRYPTO_ERROR 0x12a (remote): certificate CN=nodeC is not allowed here');
    await expect(badListener.stream).rejects.toThrow('not allowed here');

    // A listener that requires a client certificate, and a dialer that has none.
    const none = connect({ tls: { caPem: pki.ca.certPem } }, { tls: acceptTls });
    const noneListener = await none.listener;
    // BoringSSL refuses it inside the handshake, with the alert Go's server sends (certificate_required).
    expect(await closed(noneListener)).toBe('CRYPTO_ERROR 0x174 (local): tls: certificate required');
    expect(await closed(none.dialer)).toBe('CRYPTO_ERROR 0x174 (remote): tls: certificate required');
  });

  it('quic - without keepalive an idle connection ends on the idle timer on both sides', async () => {
    const timers = { idleTimeoutMs: 1_500, keepaliveMs: 0 };
    const pair = connect({ timers }, { timers });
    const listener = await pair.listener;
    await Promise.all([pair.dialer.stream, listener.stream]);
    const [d, l] = await Promise.all([closed(pair.dialer), closed(listener)]);
    expect(d).toBe('timeout: no recent network activity');
    expect(l).toBe('timeout: no recent network activity');
  });

  it("quic - the dialer's keepalive holds an idle connection open past several idle timeouts", async () => {
    const timers = { idleTimeoutMs: 1_500, keepaliveMs: 400 };
    const pair = connect({ timers }, { timers });
    const listener = await pair.listener;
    const [ds, ls] = await Promise.all([pair.dialer.stream, listener.stream]);
    const before = pair.packets.toListener;
    await new Promise((r) => setTimeout(r, 5_000));
    expect(pair.dialer.closed).toBe(false);
    expect(listener.closed).toBe(false);
    expect(pair.packets.toListener).toBeGreaterThan(before);
    ds.end(Buffer.from('still here'));
    expect((await readAll(ls)).toString()).toBe('still here');
    pair.dialer.close();
    await closed(listener);
  }, 30_000);

  it('quic - a peer that goes silent mid-stream: the stream ends with the idle-timeout error', async () => {
    const timers = { idleTimeoutMs: 1_500, keepaliveMs: 400 };
    const pair = connect({ timers }, { timers });
    const listener = await pair.listener;
    const [ds] = await Promise.all([pair.dialer.stream, listener.stream]);
    pair.cut();
    const err = new Promise<Error>((resolve) => ds.once('error', resolve));
    expect(await closed(pair.dialer)).toBe('timeout: no recent network activity');
    expect((await err).message).toBe('timeout: no recent network activity');
    expect(await closed(listener)).toBe('timeout: no recent network activity');
  });

  it('quic - a dialer whose packets go nowhere fails on the handshake timer', async () => {
    const dialer = QuicConnection.dial(binding, { send: () => {} }, { timers: { handshakeTimeoutMs: 1_000 } });
    expect(await closed(dialer)).toBe('timeout: handshake did not complete in time');
    await expect(dialer.stream).rejects.toThrow('handshake did not complete');
  });

  it('quic - hostile packets: accept() refuses what is not a client Initial, receive() drops garbage without throwing', async () => {
    const io = { send: () => {} };
    expect(QuicConnection.accept(binding, Buffer.alloc(0), io)).toBeUndefined();
    expect(QuicConnection.accept(binding, Buffer.from([0x40, 1, 2, 3]), io)).toBeUndefined();
    expect(QuicConnection.accept(binding, randomBytes(1300), io)).toBeUndefined();
    // a long header Initial too short to be a client's first packet (RFC 9000 §14.1)
    const shortInitial = Buffer.concat([Buffer.from([0xc0, 0, 0, 0, 1, 8]), randomBytes(8), Buffer.from([0]), randomBytes(40)]);
    expect(QuicConnection.accept(binding, shortInitial, io)).toBeUndefined();
    const pair = connect();
    const listener = await pair.listener;
    const [ds, ls] = await Promise.all([pair.dialer.stream, listener.stream]);
    for (let i = 0; i < 50; i++) {
      expect(() => listener.receive(randomBytes(1 + ((i * 97) % 1500)))).not.toThrow();
      expect(() => pair.dialer.receive(Buffer.concat([Buffer.from([0x40]), randomBytes(i * 20)]))).not.toThrow();
    }
    expect(() => pair.dialer.receive(Buffer.alloc(70_000))).not.toThrow();
    ds.end(Buffer.from('unharmed'));
    expect((await readAll(ls)).toString()).toBe('unharmed');
    pair.dialer.close();
    await closed(listener);
  });

  it('quic - destroying the stream with an error resets it; the peer reads quic-go\'s stream error', async () => {
    const pair = connect();
    const listener = await pair.listener;
    const [ds, ls] = await Promise.all([pair.dialer.stream, listener.stream]);
    const err = new Promise<Error>((resolve) => ls.once('error', resolve));
    ls.resume();
    ds.write(Buffer.from('partial'));
    ds.destroy(new Error('gave up'));
    expect((await err).message).toBe('stream 0 canceled by remote with error code 499');
    pair.dialer.close();
    await closed(listener);
  });

  it("quic - one 'stream' event and one 'closed' event per connection", async () => {
    const pair = connect();
    const listener = await pair.listener;
    const events = { dialer: [] as string[], listener: [] as string[] };
    for (const [name, c] of [['dialer', pair.dialer], ['listener', listener]] as const) {
      c.on('stream', () => events[name].push('stream'));
      c.on('closed', (r: string) => events[name].push(`closed ${r}`));
    }
    const [ds, ls] = await Promise.all([pair.dialer.stream, listener.stream]);
    const dsClose = new Promise<unknown>((resolve) => ds.once('close', () => resolve(ds.errored)));
    const lsRead = readAll(ls);
    pair.dialer.close();
    pair.dialer.close('again');
    // The caller's own close ends its stream without an error; the peer's normal close (no FIN before it, as
    // quic-go's Close + CloseWithError(0) sends it) is the reader's EOF, and ending afterwards is no error.
    expect(await dsClose).toBe(null);
    expect((await lsRead).length).toBe(0);
    await new Promise<void>((resolve, reject) => {
      ls.once('error', reject);
      ls.end(resolve);
    });
    await closed(listener);
    listener.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(events.dialer).toEqual(['stream', 'closed Application error 0x0 (local): normal close']);
    expect(events.listener).toEqual(['stream', 'closed Application error 0x0 (remote): normal close']);
  });

  it('quic - isQuicPacket: the RFC 9000 fixed bit 0x40', () => {
    expect(QuicConnection.isQuicPacket(Buffer.from([0xc0, 0]))).toBe(true);
    expect(QuicConnection.isQuicPacket(Buffer.from([0x40]))).toBe(true);
    expect(QuicConnection.isQuicPacket(Buffer.from([0x3f, 0xff]))).toBe(false);
    expect(QuicConnection.isQuicPacket(Buffer.from([0x01]))).toBe(false);
    expect(QuicConnection.isQuicPacket(Buffer.alloc(0))).toBe(false);
  });

  it("quic - close reasons in quic-go's words (internal/qerr/errors.go)", () => {
    expect(formatError(true, 0, 'normal close', 'remote')).toBe('Application error 0x0 (remote): normal close');
    expect(formatError(true, 500, '', 'local')).toBe('Application error 0x1f4 (local)');
    expect(formatError(false, 0x12a, '', 'remote')).toBe('CRYPTO_ERROR 0x12a (remote): tls: bad certificate');
    expect(formatError(false, 0x178, '', 'local')).toBe('CRYPTO_ERROR 0x178 (local): tls: no application protocol');
    expect(formatError(false, 0xa, 'bad frame', 'remote')).toBe('PROTOCOL_VIOLATION (remote): bad frame');
    expect(formatError(false, 0x99, '', 'remote')).toBe('unknown error code: 0x99 (remote)');
    expect(DEFAULT_QUIC_TIMERS).toEqual({ idleTimeoutMs: 30_000, keepaliveMs: 15_000, handshakeTimeoutMs: 15_000 });
  });

  it('quic - load errors are one line naming the cause and the fix', () => {
    const missing = Object.assign(new Error("Cannot find package '@matrixai/quic' imported from /x/quic.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(quicLoadError(missing).message).toBe(
      'QUIC service connections need the optional package @matrixai/quic, which is not installed; install it (npm install @matrixai/quic@1.2.12)',
    );
    const noBinary = new Error('Failed requiring possible native bindings: /x/prebuild/quic-linux-arm64.node,@matrixai/quic-linux-arm64');
    expect(quicLoadError(noBinary, 'linux-arm64').message).toBe(
      'QUIC service connections need @matrixai/quic, which has no binary for linux-arm64; receptor-bound streams are unavailable here',
    );
    const glibc = new Error("/lib64/libc.so.6: version `GLIBC_2.34' not found (required by /x/quic.node)\nmore");
    expect(quicLoadError(glibc, 'linux-x64').message).toBe(
      "QUIC service connections need @matrixai/quic, whose binary for linux-x64 does not load: /lib64/libc.so.6: version `GLIBC_2.34' not found (required by /x/quic.node)",
    );
  });
});
