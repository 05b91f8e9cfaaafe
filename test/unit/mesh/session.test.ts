// StreamSession (src/node/mesh/session.ts): a reliable, ordered message channel over datagrams, proven through a
// simulated datagram network that drops, duplicates, reorders and black-holes segments with a seeded PRNG.
// Segments the tests build or check by hand use the builder below (the wire format written out again), never
// the code under test. Real timers throughout; the options make them small, no assertion is about time.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Mux, type MuxOptions, type MuxOutput } from '../../../src/node/mesh/mux.js';
import { DEFAULT_SESSION_OPTIONS, StreamSession, type SessionEvents, type SessionOptions } from '../../../src/node/mesh/session.js';
import { MeshStream } from '../../../src/node/mesh/stream.js';
import { FRAME_HEADER } from '../../../src/node/mesh/wire/frame.js';
import { decodeMessage } from '../../../src/node/mesh/wire/messages.js';

// ---- the wire format, written out independently ----
const K = { DATA: 0x01, ACK: 0x02, PING: 0x03, RST: 0x04 };
const SYN = 0x01;
const GAP = 0x01;
const ack = (id: Buffer, next: number, flags = 0): Buffer => build(K.ACK, id, u32(next), Buffer.from([flags]));
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const build = (kind: number, id: Buffer, ...rest: Buffer[]): Buffer => Buffer.concat([Buffer.from([kind]), id, ...rest]);
const dataSeg = (id: Buffer, flags: number, seq: number, msg: Buffer): Buffer => build(K.DATA, id, Buffer.from([flags]), u32(seq), msg);
const dataSeq = (seg: Buffer): number | undefined => (seg[0] === K.DATA && seg.length >= 14 ? seg.readUInt32BE(10) : undefined);

// ---- a seeded datagram network ----
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

interface Faults {
  drop?: number;
  dup?: number;
  reorder?: number;
}

/** One direction of the network: every send is copied and delivered on a later event-loop turn, or not. */
class Pipe {
  /** Every segment offered to the network, in order (kind, DATA sequence), dropped or not. */
  readonly log: { kind: number; seq: number | undefined }[] = [];
  blackhole = false;
  /** Return true to drop this segment (on top of the random faults). */
  filter: ((seg: Buffer) => boolean) | undefined;
  dropped = 0;
  duplicated = 0;
  reordered = 0;
  deliver!: (seg: Buffer) => void;

  constructor(
    private readonly rand: () => number,
    public faults: Faults = {},
  ) {}

  readonly send = (payload: Buffer): void => {
    this.log.push({ kind: payload[0]!, seq: dataSeq(payload) });
    if (this.blackhole || this.filter?.(payload) || this.rand() < (this.faults.drop ?? 0)) {
      this.dropped++;
      return;
    }
    const copies = this.rand() < (this.faults.dup ?? 0) ? 2 : 1;
    if (copies === 2) this.duplicated++;
    for (let i = 0; i < copies; i++) {
      const copy = Buffer.from(payload);
      // A reordered segment waits a few more turns, so segments sent after it overtake it.
      let turns = 1;
      if (this.rand() < (this.faults.reorder ?? 0)) {
        turns += 1 + Math.floor(this.rand() * 4);
        this.reordered++;
      }
      const step = (): void => {
        if (--turns > 0) setImmediate(step);
        else this.deliver(copy);
      };
      setImmediate(step);
    }
  };

  count(kind: number): number {
    return this.log.filter((e) => e.kind === kind).length;
  }
}

/** A node's session table, as the mesh keeps it: by session id; unknown sessions get an RST. */
class Host {
  readonly sessions = new Map<string, StreamSession>();
  /** Called for an opening segment of an unknown session; returns the accepted session or undefined. */
  onOpening: ((seg: Buffer, io: { send(p: Buffer): void }) => StreamSession | undefined) | undefined;
  resetsSent = 0;

  constructor(readonly out: Pipe) {}

  receive(seg: Buffer): void {
    const id = StreamSession.sessionIdOf(seg);
    if (id === undefined) return;
    const s = this.sessions.get(id);
    if (s) {
      s.receive(seg);
      return;
    }
    if (StreamSession.isOpening(seg) && this.onOpening) {
      const accepted = this.onOpening(seg, this.out);
      if (accepted) {
        this.sessions.set(accepted.id, accepted);
        return;
      }
    }
    const rst = StreamSession.resetFor(seg, 'no such session');
    if (rst) {
      this.resetsSent++;
      this.out.send(rst);
    }
  }

  /** Wraps events so a dead session leaves the table. */
  track(events: SessionEvents, id: () => string): SessionEvents {
    return { ...events, dead: (r) => (this.sessions.delete(id()), events.dead(r)) };
  }

  open(events: SessionEvents, options: Partial<SessionOptions>): StreamSession {
    let s: StreamSession | undefined;
    s = StreamSession.open(this.out, this.track(events, () => s!.id), options);
    this.sessions.set(s.id, s);
    return s;
  }
}

function network(seed: number, faults: Faults = {}): { a: Host; b: Host; ab: Pipe; ba: Pipe } {
  const rand = mulberry32(seed);
  const ab = new Pipe(rand, faults);
  const ba = new Pipe(rand, faults);
  const a = new Host(ab);
  const b = new Host(ba);
  ab.deliver = (seg) => b.receive(seg);
  ba.deliver = (seg) => a.receive(seg);
  return { a, b, ab, ba };
}

/** Events that record what a session reports. */
class Recorder implements SessionEvents {
  readonly messages: Buffer[] = [];
  drains = 0;
  deadReason: string | undefined;
  private waiters: (() => void)[] = [];
  readonly died: Promise<string>;
  private resolveDied!: (r: string) => void;
  onMessage: ((m: Buffer) => void) | undefined;

  constructor() {
    this.died = new Promise((r) => (this.resolveDied = r));
  }

  message = (m: Buffer): void => {
    if (this.onMessage) this.onMessage(m);
    else this.messages.push(Buffer.from(m));
    this.wake();
  };
  drain = (): void => {
    this.drains++;
    this.wake();
  };
  dead = (reason: string): void => {
    if (this.deadReason !== undefined) throw new Error(`dead twice: ${this.deadReason}, then ${reason}`);
    this.deadReason = reason;
    this.resolveDied(reason);
    this.wake();
  };

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once cond() holds (checked after every event, and every 20 ms for timer-driven changes). */
  async until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const started = Date.now();
    while (!cond()) {
      if (Date.now() - started > timeoutMs) throw new Error(`gave up waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 20);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Opens A's session toward B, B accepting with a Recorder; the first message (`hello`) establishes it. */
async function established(
  net: ReturnType<typeof network>,
  options: Partial<SessionOptions>,
): Promise<{ a: StreamSession; b: StreamSession; ra: Recorder; rb: Recorder }> {
  const ra = new Recorder();
  const rb = new Recorder();
  let b: StreamSession | undefined;
  net.b.onOpening = (seg, io) => {
    b = StreamSession.accept(seg, io, net.b.track(rb, () => b!.id), options);
    return b;
  };
  const a = net.a.open(ra, options);
  a.write(Buffer.from('hello'));
  await rb.until(() => rb.messages.length === 1, 'the first message');
  // Let A see B's ACK, so A knows the peer has the session.
  await ra.until(() => a.writableLength === 0, "B's ACK of the first message");
  return { a, b: b!, ra, rb };
}

const fast: Partial<SessionOptions> = { rtoInitialMs: 100, rtoMinMs: 20, rtoMaxMs: 400, maxRetransmits: 40, keepaliveMs: 5_000, idleTimeoutMs: 20_000 };

describe('mesh stream session', () => {
  it('session - every message arrives exactly once and in order through loss, duplication and reordering', async () => {
    const net = network(0x5e55, { drop: 0.1, dup: 0.05, reorder: 0.1 });
    // Short timers: on this network every tail loss waits for one (go-back-N, and a window of a few
    // messages at this loss rate); the default 200 ms floor would make the test wait for minutes.
    const options = { ...fast, rtoInitialMs: 50, rtoMinMs: 5, rtoMaxMs: 100, maxRetransmits: 200, maxInFlightBytes: 256 * 1024 };
    const { a, b, rb, ra } = await established(net, options);
    rb.messages.length = 0;
    const rand = mulberry32(42);
    const count = 5000;
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let next = 0;
    let outOfOrder = 0;
    rb.onMessage = (m) => {
      if (m.readUInt32BE(0) !== next) outOfOrder++;
      next++;
      got.update(m);
    };
    // The other direction at the same time: ACKs and data cross.
    const back: Buffer[] = [];
    for (let i = 0; i < 300; i++) back.push(randomBytes(Math.floor(rand() * 4000)));
    for (const m of back) b.write(m);
    let maxHeld = 0;
    for (let i = 0; i < count; i++) {
      const size = 4 + Math.floor(rand() * (16 * 1024 - 4));
      const m = randomBytes(size);
      m.writeUInt32BE(i, 0);
      sent.update(m);
      const ok = a.write(m);
      maxHeld = Math.max(maxHeld, a.writableLength);
      if (!ok) {
        const d = ra.drains;
        await ra.until(() => ra.drains > d, 'drain');
      }
    }
    await rb.until(() => next === count, `all ${count} messages`, 50_000);
    await ra.until(() => ra.messages.length === back.length, 'the other direction');
    expect(outOfOrder).toBe(0);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    expect(ra.messages.length).toBe(back.length);
    expect(Buffer.concat(ra.messages).equals(Buffer.concat(back))).toBe(true);
    // The network did misbehave, and the session did recover (else this test proves nothing).
    expect(net.ab.dropped).toBeGreaterThan(100);
    expect(net.ab.duplicated).toBeGreaterThan(50);
    expect(net.ab.reordered).toBeGreaterThan(100);
    expect(a.stats.retransmitted).toBeGreaterThan(0);
    expect(b.stats.dropped).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(options.maxInFlightBytes + 16 * 1024 + 14);
    // Nothing more arrives later (no late duplicate is delivered).
    await sleep(200);
    expect(next).toBe(count);
    expect(ra.deadReason).toBeUndefined();
    expect(rb.deadReason).toBeUndefined();
    a.close();
    b.close();
  }, 60_000);

  it('session - write() returns false at the in-flight limit, drain follows, and the sender never holds more', async () => {
    const net = network(7);
    const limit = 64 * 1024;
    const { a, ra, rb } = await established(net, { ...fast, maxInFlightBytes: limit });
    rb.messages.length = 0;
    // The receiver hears nothing for a while: no ACK frees anything.
    net.ab.blackhole = true;
    const msg = Buffer.alloc(1000, 7);
    let accepted = 0;
    while (a.write(msg)) accepted++;
    accepted++;
    // False exactly when the held bytes reach the limit: the previous write was below it.
    expect(a.writableLength).toBeGreaterThanOrEqual(limit);
    expect(a.writableLength - (msg.length + 14)).toBeLessThan(limit);
    expect(accepted).toBe(Math.ceil(limit / (msg.length + 14)));
    await sleep(150);
    expect(ra.drains).toBe(0);
    // The network heals: retransmissions get through, ACKs free space, drain fires below the limit.
    net.ab.blackhole = false;
    await ra.until(() => ra.drains === 1, 'drain');
    expect(a.writableLength).toBeLessThan(limit);
    let maxHeld = 0;
    for (let i = 0; i < 500; i++) {
      const ok = a.write(msg);
      maxHeld = Math.max(maxHeld, a.writableLength);
      accepted++;
      if (!ok) {
        const d = ra.drains;
        await ra.until(() => ra.drains > d, 'drain');
      }
    }
    expect(maxHeld).toBeLessThanOrEqual(limit + msg.length + 14);
    await rb.until(() => rb.messages.length === accepted, 'every accepted message');
    expect(a.stats.timeouts).toBeGreaterThan(0);
    a.close();
  });

  it('session - go-back-N resends everything from the oldest unacknowledged message after a burst loss', async () => {
    const net = network(11);
    const { a, rb } = await established(net, fast);
    rb.messages.length = 0;
    // The first transmission of messages 10..39 (sequence 11..40: "hello" was 0) is lost: the tail of the
    // burst, so no later segment produces duplicate ACKs; only the retransmission timer can recover.
    const seen = new Set<number>();
    net.ab.filter = (seg) => {
      const seq = dataSeq(seg);
      if (seq === undefined || seq < 11 || seen.has(seq)) return false;
      seen.add(seq);
      return true;
    };
    for (let i = 0; i < 40; i++) a.write(Buffer.from(`message ${i}`));
    await rb.until(() => rb.messages.length === 40, 'all 40 messages');
    expect(rb.messages.map(String)).toEqual(Array.from({ length: 40 }, (_, i) => `message ${i}`));
    expect(a.stats.timeouts).toBeGreaterThanOrEqual(1);
    expect(a.stats.fastRetransmits).toBe(0);
    expect(a.stats.retransmitted).toBeGreaterThanOrEqual(30);
    a.close();
  });

  it('session - three duplicate ACKs trigger a fast retransmit without waiting for the timer', async () => {
    const net = network(13);
    // A retransmission timer of a minute: only the fast retransmit can recover within the test.
    const { a, b, rb } = await established(net, { ...fast, rtoInitialMs: 60_000, rtoMinMs: 60_000, rtoMaxMs: 60_000 });
    rb.messages.length = 0;
    let lostOnce = false;
    net.ab.filter = (seg) => {
      if (dataSeq(seg) !== 6 || lostOnce) return false;
      lostOnce = true;
      return true;
    };
    for (let i = 0; i < 20; i++) a.write(Buffer.alloc(1000, i));
    await rb.until(() => rb.messages.length === 20, 'all 20 messages');
    expect(rb.messages.map((m) => m[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(lostOnce).toBe(true);
    expect(a.stats.fastRetransmits).toBe(1);
    expect(a.stats.timeouts).toBe(0);
    // B dropped the 14 messages after the gap and answered each with a duplicate ACK.
    expect(b.stats.dropped).toBe(14);
    a.close();
    b.close();
  });

  it('session - an idle session sends a keepalive PING and the peer answers with an ACK', async () => {
    const net = network(17);
    const { a, b, ra, rb } = await established(net, { ...fast, keepaliveMs: 40, idleTimeoutMs: 20_000 });
    const acksBefore = { ab: net.ab.count(K.ACK), ba: net.ba.count(K.ACK) };
    const dataBefore = net.ab.count(K.DATA) + net.ba.count(K.DATA);
    await ra.until(() => net.ab.count(K.PING) + net.ba.count(K.PING) >= 4, 'four PINGs');
    await sleep(50);
    // Every PING got its ACK from the other side (nothing is lost on this network), and nothing else was sent.
    expect(net.ba.count(K.ACK) - acksBefore.ba).toBeGreaterThanOrEqual(net.ab.count(K.PING));
    expect(net.ab.count(K.ACK) - acksBefore.ab).toBeGreaterThanOrEqual(net.ba.count(K.PING));
    expect(net.ab.count(K.DATA) + net.ba.count(K.DATA)).toBe(dataBefore);
    expect(ra.deadReason).toBeUndefined();
    expect(rb.deadReason).toBeUndefined();
    a.close();
    b.close();
  });

  it('session - the opener sends no PING before the peer has answered (an unknown session would be reset)', async () => {
    const net = network(19);
    net.ab.blackhole = true;
    const ra = new Recorder();
    const a = net.a.open(ra, { ...fast, keepaliveMs: 20, rtoInitialMs: 50 });
    a.write(Buffer.from('hello'));
    await sleep(200);
    expect(net.ab.count(K.PING)).toBe(0);
    expect(net.ab.count(K.DATA)).toBeGreaterThan(1); // the SYN's retransmissions are the probe
    a.close();
  });

  it('session - a session whose peer is black-holed dies of the idle timeout, PINGing until then, then sends nothing', async () => {
    const net = network(23);
    const { ra, rb } = await established(net, { ...fast, keepaliveMs: 30, idleTimeoutMs: 250 });
    net.ab.blackhole = true;
    net.ba.blackhole = true;
    const [reasonA, reasonB] = await Promise.all([ra.died, rb.died]);
    // quic-go's idle timeout text, as receptor's QUIC service connections report it.
    expect(reasonA).toBe('timeout: no recent network activity');
    expect(reasonB).toBe('timeout: no recent network activity');
    expect(net.ab.count(K.PING)).toBeGreaterThan(0);
    expect(net.ba.count(K.PING)).toBeGreaterThan(0);
    const sent = net.ab.log.length + net.ba.log.length;
    await sleep(150);
    expect(net.ab.log.length + net.ba.log.length).toBe(sent);
  });

  it('session - retransmissions give up after maxRetransmits timeouts in a row', async () => {
    const net = network(29);
    const { a, ra } = await established(net, { ...fast, rtoInitialMs: 20, rtoMinMs: 20, rtoMaxMs: 40, maxRetransmits: 3 });
    net.ab.blackhole = true;
    a.write(Buffer.from('into the void'));
    expect(await ra.died).toBe('timeout: no answer from peer after 3 retransmissions');
    expect(a.stats.timeouts).toBe(4);
    expect(net.ab.log.filter((e) => e.kind === K.DATA && e.seq === 1)).toHaveLength(4);
  });

  it('session - an RST ends the session on both sides, in either direction, and nothing is sent or delivered after', async () => {
    for (const resetter of ['a', 'b'] as const) {
      const net = network(31);
      const s = await established(net, fast);
      const [here, there] = resetter === 'a' ? [s.a, s.b] : [s.b, s.a];
      const [rHere, rThere] = resetter === 'a' ? [s.ra, s.rb] : [s.rb, s.ra];
      here.reset('service gone');
      expect(rHere.deadReason).toBe('service gone');
      expect(await rThere.died).toBe('reset by peer: service gone');
      const logged = net.ab.log.length + net.ba.log.length;
      const delivered = rHere.messages.length + rThere.messages.length;
      expect(here.write(Buffer.from('late'))).toBe(true);
      expect(there.write(Buffer.from('late'))).toBe(true);
      there.reset('again'); // already dead: no second RST, no second dead
      await sleep(100);
      expect(net.ab.log.length + net.ba.log.length).toBe(logged);
      expect(rHere.messages.length + rThere.messages.length).toBe(delivered);
      expect(here.writableLength).toBe(0);
    }
  });

  it('session - a segment for a session the peer no longer has is answered by an RST that ends it', async () => {
    const net = network(37);
    const { a, b, ra, rb } = await established(net, fast);
    b.close(); // no RST: A does not know yet
    expect(rb.deadReason).toBe('closed');
    await sleep(50);
    expect(ra.deadReason).toBeUndefined();
    a.write(Buffer.from('anyone there?'));
    expect(await ra.died).toBe('reset by peer: no such session');
    expect(net.b.resetsSent).toBeGreaterThanOrEqual(1);
    // A's RST is never answered with an RST (no ping-pong between two nodes that both lost the session).
    expect(StreamSession.resetFor(build(K.RST, Buffer.from(a.id, 'hex'), Buffer.from('x')), 'y')).toBeUndefined();
  });

  it('session - losing the opening segment costs a retransmission, not the session (later SYN segments get no RST)', async () => {
    const net = network(47);
    let lost = false;
    net.ab.filter = (seg) => {
      if (lost || dataSeq(seg) !== 0) return false;
      lost = true;
      return true;
    };
    const ra = new Recorder();
    const rb = new Recorder();
    let b: StreamSession | undefined;
    net.b.onOpening = (seg, io) => (b = StreamSession.accept(seg, io, net.b.track(rb, () => b!.id), fast));
    const a = net.a.open(ra, fast);
    for (let i = 0; i < 5; i++) a.write(Buffer.from(`m${i}`));
    await rb.until(() => rb.messages.length === 5, 'all five messages');
    expect(lost).toBe(true);
    expect(rb.messages.map(String)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(net.b.resetsSent).toBe(0);
    expect(ra.deadReason).toBeUndefined();
    a.close();
    b!.close();
  });

  it('session - a message its owner cannot take resets the session with the reason instead of throwing', async () => {
    const net = network(53);
    const ra = new Recorder();
    const rb = new Recorder();
    rb.onMessage = (m) => {
      throw new Error(`bad frame type ${m[4]}`);
    };
    let b: StreamSession | undefined;
    net.b.onOpening = (seg, io) => (b = StreamSession.accept(seg, io, net.b.track(rb, () => b!.id), fast));
    const a = net.a.open(ra, fast);
    a.write(Buffer.from([0, 0, 0, 1, 0x7f]));
    // Thrown from accept()'s microtask, the error would be uncaught and fail the run; it becomes an RST.
    expect(await rb.died).toBe('protocol error: bad frame type 127');
    expect(await ra.died).toBe('reset by peer: protocol error: bad frame type 127');
  });

  it('session - end() closes only once everything written is acknowledged, through a lossy network', async () => {
    const net = network(41, { drop: 0.2 });
    const { a, ra, rb } = await established(net, { ...fast, rtoMinMs: 5 });
    rb.messages.length = 0;
    for (let i = 0; i < 50; i++) a.write(Buffer.alloc(2000, i));
    a.end();
    expect(ra.deadReason).toBeUndefined();
    expect(() => a.write(Buffer.from('more'))).toThrow(`write after end on session ${a.id}`);
    expect(await ra.died).toBe('closed');
    expect(rb.messages.map((m) => m[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(net.ab.dropped).toBeGreaterThan(0);
    // With nothing outstanding, end() closes at once.
    const idle = await established(network(43), fast);
    idle.b.end();
    expect(idle.rb.deadReason).toBe('closed');
    idle.a.close();
  });

  it('session - resetFor answers DATA, ACK and PING of an unknown session with an RST, never an RST or foreign bytes', () => {
    const id = Buffer.from('0123456789abcdef', 'hex');
    const rst = build(K.RST, id, Buffer.from('no such session'));
    expect(StreamSession.resetFor(dataSeg(id, 0, 5, Buffer.from('x')), 'no such session')).toEqual(rst);
    expect(StreamSession.resetFor(ack(id, 3), 'no such session')).toEqual(rst);
    expect(StreamSession.resetFor(build(K.PING, id), 'no such session')).toEqual(rst);
    expect(StreamSession.resetFor(build(K.RST, id, Buffer.from('gone')), 'no such session')).toBeUndefined();
    // An opener's segment that overtook (or outlived the loss of) the opening one: dropped, not reset.
    expect(StreamSession.resetFor(dataSeg(id, SYN, 5, Buffer.from('x')), 'no such session')).toBeUndefined();
    expect(StreamSession.resetFor(build(K.RST, id), 'no such session')).toBeUndefined();
    expect(StreamSession.resetFor(build(0xc3, id, u32(1), Buffer.alloc(20)), 'no such session')).toBeUndefined();
    expect(StreamSession.resetFor(Buffer.from([K.DATA, 1, 2]), 'no such session')).toBeUndefined();
    // A long reason is cut to 256 bytes: an RST stays a small datagram.
    expect(StreamSession.resetFor(build(K.PING, id), 'x'.repeat(1000))).toEqual(build(K.RST, id, Buffer.from('x'.repeat(256))));
    // ... at a character boundary: 'é' is two bytes, 255 bytes of 'x' leave no room for it.
    expect(StreamSession.resetFor(build(K.PING, id), `${'x'.repeat(255)}é`)).toEqual(build(K.RST, id, Buffer.from('x'.repeat(255))));
  });

  it('session - sessionIdOf knows only our kinds below 0x40 (every QUIC packet has bit 0x40 set) in segments long enough', () => {
    const id = Buffer.from('fedcba9876543210', 'hex');
    for (let kind = 0x40; kind <= 0xff; kind++) {
      expect(StreamSession.sessionIdOf(build(kind, id, u32(0), Buffer.alloc(40))), `kind 0x${kind.toString(16)}`).toBeUndefined();
    }
    for (const kind of [0x00, 0x05, 0x3f]) expect(StreamSession.sessionIdOf(build(kind, id, u32(0), Buffer.alloc(40)))).toBeUndefined();
    expect(StreamSession.sessionIdOf(dataSeg(id, SYN, 0, Buffer.alloc(0)))).toBe('fedcba9876543210');
    expect(StreamSession.sessionIdOf(ack(id, 9))).toBe('fedcba9876543210');
    expect(StreamSession.sessionIdOf(build(K.PING, id))).toBe('fedcba9876543210');
    expect(StreamSession.sessionIdOf(build(K.RST, id))).toBe('fedcba9876543210');
    // Truncated: a DATA without its sequence number, an ACK without its number, a lone kind byte.
    expect(StreamSession.sessionIdOf(build(K.DATA, id, Buffer.from([SYN]), Buffer.alloc(3)))).toBeUndefined();
    expect(StreamSession.sessionIdOf(build(K.ACK, id, u32(9)))).toBeUndefined(); // no flags byte
    expect(StreamSession.sessionIdOf(build(K.ACK, id, Buffer.alloc(3)))).toBeUndefined();
    expect(StreamSession.sessionIdOf(Buffer.from([K.PING, 1, 2, 3]))).toBeUndefined();
  });

  it('session - only the opener\'s first segment opens a session (isOpening, accept), with the documented bytes', async () => {
    const fromA: Buffer[] = [];
    const ra = new Recorder();
    const a = StreamSession.open({ send: (p) => fromA.push(Buffer.from(p)) }, ra, fast);
    expect(a.id).toMatch(/^[0-9a-f]{16}$/);
    const id = Buffer.from(a.id, 'hex');
    expect(fromA).toHaveLength(0); // nothing before the first write
    a.write(Buffer.from('one'));
    a.write(Buffer.from('two'));
    expect(fromA[0]).toEqual(dataSeg(id, SYN, 0, Buffer.from('one')));
    // SYN on every message written before A heard from B; only sequence 0 opens.
    expect(fromA[1]).toEqual(dataSeg(id, SYN, 1, Buffer.from('two')));
    expect(StreamSession.isOpening(fromA[0]!)).toBe(true);
    expect(StreamSession.isOpening(fromA[1]!)).toBe(false);
    expect(StreamSession.isOpening(dataSeg(id, 0, 0, Buffer.from('x')))).toBe(false); // seq 0 without SYN
    expect(StreamSession.isOpening(dataSeg(id, SYN, 1, Buffer.from('x')))).toBe(false); // SYN on a later seq
    expect(StreamSession.isOpening(ack(id, 0))).toBe(false);
    expect(StreamSession.isOpening(build(0x41, id, Buffer.from([SYN]), u32(0)))).toBe(false);
    const fromB: Buffer[] = [];
    const io = { send: (p: Buffer) => fromB.push(Buffer.from(p)) };
    const rb = new Recorder();
    expect(StreamSession.accept(fromA[1]!, io, rb, fast)).toBeUndefined();
    const b = StreamSession.accept(fromA[0]!, io, rb, fast)!;
    expect(b.id).toBe(a.id);
    // The first message is delivered on a later microtask: the caller attaches its Mux first.
    expect(rb.messages).toHaveLength(0);
    await Promise.resolve();
    expect(rb.messages.map(String)).toEqual(['one']);
    b.receive(fromA[1]!);
    expect(rb.messages.map(String)).toEqual(['one', 'two']);
    // One coalesced ACK for both, on the next event-loop turn.
    expect(fromB).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(fromB).toEqual([ack(id, 2)]);
    // The listener's own first message carries no SYN: it opens nothing.
    b.write(Buffer.from('reply'));
    expect(fromB[1]).toEqual(dataSeg(id, 0, 0, Buffer.from('reply')));
    // A message after a gap is dropped and answered at once with a GAP ACK of what was delivered.
    b.receive(dataSeg(id, 0, 3, Buffer.from('four')));
    expect(fromB[2]).toEqual(ack(id, 2, GAP));
    // A copy of a delivered message is dropped and answered on the next turn by a plain ACK (it is no gap).
    b.receive(fromA[0]!);
    b.receive(fromA[1]!);
    expect(fromB).toHaveLength(3);
    await new Promise((r) => setImmediate(r));
    expect(fromB.slice(3)).toEqual([ack(id, 2)]);
    expect(rb.messages.map(String)).toEqual(['one', 'two']);
    // Once A has heard from B, its messages carry no SYN.
    a.receive(fromB[0]!);
    a.write(Buffer.from('three'));
    expect(fromA[2]).toEqual(dataSeg(id, 0, 2, Buffer.from('three')));
    // A segment of another session is not this one's business.
    b.receive(dataSeg(Buffer.alloc(8, 1), 0, 2, Buffer.from('stranger')));
    expect(rb.messages).toHaveLength(2);
    a.close();
    b.close();
    expect(ra.deadReason).toBe('closed');
  });

  it('session - a message larger than a netceptor data message can hold is refused with the size', () => {
    const a = StreamSession.open({ send: () => undefined }, new Recorder(), fast);
    expect(() => a.write(Buffer.alloc(70_000))).toThrow('session message of 70000 bytes is too large (at most 65485): split it into smaller frames');
    a.close();
  });

  it('session - a Mux on each side carries 8 MiB both ways through a 5 % lossy network (the session as MuxOutput)', async () => {
    const net = network(0xbeef, { drop: 0.05, reorder: 0.02, dup: 0.01 });
    const sessionOptions: Partial<SessionOptions> = { ...fast, maxInFlightBytes: 256 * 1024 };
    // writeBufferBytes equal to the session's limit: the Mux stops on write()'s false and waits for drain.
    const muxOptions: MuxOptions = { window: 256 * 1024, maxDataFrame: 16 * 1024, writeBufferBytes: 256 * 1024, maxControlQueueBytes: 1 << 20 };
    const muxEvents = (mux: () => Mux): SessionEvents => ({
      message: (f) => mux().receive(decodeMessage({ type: f[4]!, payload: f.subarray(FRAME_HEADER) })),
      drain: () => mux().drained(),
      dead: (r) => mux().close(r),
    });
    let serverSession: StreamSession | undefined;
    const serverReady = new Promise<MeshStream>((resolve) => {
      net.b.onOpening = (seg, io) => {
        let muxB: Mux | undefined;
        serverSession = StreamSession.accept(seg, io, net.b.track(muxEvents(() => muxB!), () => serverSession!.id), sessionOptions);
        muxB = new Mux(serverSession!, false, muxOptions, {
          onOpen(m, port) {
            resolve(new MeshStream(port, { node: 'b', service: 'svc' }, { node: 'a', service: 'x' }, 64 * 1024));
            m.accept(port);
          },
        });
        return serverSession;
      };
    });
    let muxA: Mux | undefined;
    const clientSession = net.a.open(muxEvents(() => muxA!), sessionOptions);
    // The client's Mux writes through a probe that records the most the session ever held and how often it said stop.
    let maxHeld = 0;
    let refused = 0;
    const probe: MuxOutput = {
      write: (f) => {
        const ok = clientSession.write(f);
        maxHeld = Math.max(maxHeld, clientSession.writableLength);
        if (!ok) refused++;
        return ok;
      },
      get writableLength() {
        return clientSession.writableLength;
      },
      cork: () => clientSession.cork(),
      uncork: () => clientSession.uncork(),
    };
    muxA = new Mux(probe, true, muxOptions, { onOpen: (m, p) => m.refuse(p, 'unexpected open') });
    const { port, accepted } = muxA.open({ fromNode: 'a', fromService: 'x', toNode: 'b', toService: 'svc', hopsToLive: 30 });
    await accepted;
    const client = new MeshStream(port, { node: 'a', service: 'x' }, { node: 'b', service: 'svc' }, 64 * 1024);
    const server = await serverReady;

    const size = 8 * 1024 * 1024;
    const upload = randomBytes(size);
    const download = randomBytes(size);
    const drink = (s: MeshStream): Promise<string> => {
      const h = createHash('sha256');
      let n = 0;
      s.on('data', (c: Buffer) => {
        h.update(c);
        n += c.length;
      });
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.once('end', () => (n === size ? resolve(h.digest('hex')) : reject(new Error(`got ${n} bytes, want ${size}`))));
      });
    };
    const pour = async (s: MeshStream, data: Buffer): Promise<void> => {
      for (let at = 0; at < data.length; at += 64 * 1024) {
        if (!s.write(data.subarray(at, at + 64 * 1024))) await once(s, 'drain');
      }
      s.end();
    };
    const [atServer, atClient] = await Promise.all([drink(server), drink(client), pour(client, upload), pour(server, download)]);
    expect(atServer).toBe(createHash('sha256').update(upload).digest('hex'));
    expect(atClient).toBe(createHash('sha256').update(download).digest('hex'));
    expect(net.ab.dropped + net.ba.dropped).toBeGreaterThan(50);
    expect(clientSession.stats.retransmitted + serverSession!.stats.retransmitted).toBeGreaterThan(0);
    // The Mux stopped on write()'s false (and resumed on drain): the session never held more than its limit
    // plus the one frame that crossed it.
    expect(refused).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(256 * 1024 + 16 * 1024 + 5 + 14);
    clientSession.close();
    serverSession!.close();
  }, 60_000);

  it('session - the defaults follow receptor\'s QUIC timers (conn.go: keepalive 15 s, idle 30 s)', () => {
    expect(DEFAULT_SESSION_OPTIONS).toMatchObject({ keepaliveMs: 15_000, idleTimeoutMs: 30_000, maxInFlightBytes: 1 << 20, rtoInitialMs: 1000, rtoMinMs: 200, rtoMaxMs: 10_000 });
  });
});
