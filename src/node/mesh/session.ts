// A reliable, ordered message channel over unreliable datagrams: one per meshctl-to-meshctl stream
// (issue 15, docs/netceptor-wire.md "Wiring it into the embedded node", step 6).
//
// Why it exists. Receptor links carry netceptor messages only (data, routing update, advert, reject); there
// are no stream frames on a link. Receptor itself runs every service connection as QUIC over netceptor data
// messages (pkg/netceptor/conn.go). Until meshctl speaks QUIC (stage 2), a stream between two meshctl nodes
// rides netceptor datagrams end to end, through receptor hops too, and those hops forward datagrams without
// any promise: a UDP backend loses them, a full queue drops them, a route change reorders them. A
// StreamSession turns that into what a Mux needs from its output (mux.ts `MuxOutput`): every frame written on
// one side comes out of `message` on the other side once, whole and in order. One Mux with one channel runs
// over each session; the mesh wraps each segment below in a netceptor data message to the peer's service.
//
// Segment format (one datagram payload; big endian):
//
//   byte 0       kind: 0x01 DATA, 0x02 ACK, 0x03 PING, 0x04 RST. Kinds stay below 0x40: every QUIC packet
//                has bit 0x40 set (RFC 9000 §17, the "fixed bit"), so stage 2 can tell QUIC from these
//                segments on the same service by this one byte. Anything else is not ours.
//   bytes 1..8   session id: 64 random bits chosen by the opener; both directions use it.
//   DATA   byte 9       flags: 0x01 SYN, set on the opener's messages written before it heard anything
//                       from the peer. The one with sequence 0 makes the listener create the session; a
//                       later one reaching a node without the session says "the opening segment was lost
//                       and comes again", so it is dropped, not answered by an RST. Other bits are
//                       reserved, sent as 0 and ignored.
//          bytes 10..13 u32 message sequence number (the first message of each direction is 0).
//          bytes 14..   one whole message (a mux frame), at most MAX_SESSION_MESSAGE bytes.
//   ACK    bytes 9..12  u32 cumulative acknowledgement: the next sequence number the sender of the ACK
//                       expects (everything below it was delivered). Also the answer to a PING.
//          byte 13      flags: 0x01 GAP, set when the ACK answers a message that arrived after a gap (a
//                       later message than expected): only those count as duplicate ACKs for the fast
//                       retransmit. Other bits reserved, sent as 0 and ignored.
//   PING   (nothing more) keepalive: the peer answers with an ACK.
//   RST    bytes 9..    UTF-8 reason (at most 256 bytes): the session is over.
//
// Sequence numbers are u32 and wrap; they are compared with serial-number arithmetic (RFC 1982: a is after
// b when (a - b) as a signed 32-bit number is > 0). That is sound while fewer than 2^31 messages are
// outstanding; each message counts its segment bytes (≥ 14) against maxInFlightBytes, so at most
// maxInFlightBytes / 14 are, far below 2^31 for any sensible limit.
//
// Sender. Each write() is one message, sent as one DATA segment (a mux frame is ≤ 16 KiB + 5 bytes, a
// netceptor data message may hold 65535 bytes including its 36-byte header). Un-acknowledged messages are
// kept for retransmission. Recovery is go-back-N, because the receiver keeps nothing out of order: when the
// retransmission timer expires, or on the third duplicate (GAP) ACK (fast retransmit, RFC 5681 §3.2), everything
// from the oldest un-acknowledged message is sent again. The timer follows TCP (RFC 6298): srtt/rttvar from
// samples of messages sent once (Karn), RTO = srtt + 4·rttvar clamped to [rtoMinMs, rtoMaxMs], doubled on each
// expiry; after maxRetransmits expiries in a row without progress the session dies.
//   What is sent at once is limited twice: by maxInFlightBytes (the fixed bound on what a session holds)
// and by a congestion window that grows per ACK and halves on loss (TCP Reno's AIMD, RFC 5681). The window
// is not optional decoration: go-back-N resends a whole window per loss, and a receptor hop over UDP or a
// full kernel socket buffer drops what a 1 MiB burst would pour on it, so a fixed 1 MiB window on a lossy
// path collapses into retransmitting itself. Halving on loss keeps a window at about one loss per round.
//   write() returns false once the session holds maxInFlightBytes (queued + in flight) and `drain` fires
// when it holds less again; what it holds is `writableLength`, which the Mux checks against its own
// writeBufferBytes. Give the Mux a writeBufferBytes ≥ maxInFlightBytes: the Mux then stops on write()'s
// false and waits for `drain`; with a smaller one it stops on writableLength while write() still says true,
// and polls every event-loop turn until ACKs come (mux.ts `pump`).
//
// Receiver. Only the next expected message is delivered; later ones and duplicates are dropped (nothing is
// held out of order, so nothing grows). A message after a gap is answered at once with a GAP ACK (the
// duplicate ACK that drives the peer's fast retransmit, RFC 5681 §4.2). In-order data and duplicates of
// delivered messages are acknowledged at most once per event-loop turn (setImmediate), and at once after
// every ACK_EVERY_BYTES received, so a burst is answered by few ACKs. Why the GAP flag: TCP counts every
// ACK that repeats the last one, but a go-back-N sender resends messages the receiver may already have
// (their ACK was still on its way); each such copy would answer with a repeated ACK, three of them trigger
// another go-back, whose copies trigger the next one: a retransmission storm (in the unit test's 10 % loss
// run, before the flag, the lighter direction resent each of its 300 messages 28 times; with it, 5). The receiver knows whether a gap or a copy made it answer; the flag
// tells the sender (the idea of RFC 2883's D-SACK, in one bit).
//
// Liveness follows receptor's QUIC configuration (pkg/netceptor/conn.go: KeepAlivePeriod =
// MaxIdleTimeout / 2 = 15 s, MaxIdleTimeout 30 s): when nothing has been received for keepaliveMs a PING
// goes out (and again every keepaliveMs), when nothing has been received for idleTimeoutMs the session dies
// with quic-go's idle text ("timeout: no recent network activity"). The opener sends PINGs only once the peer has answered something: before that
// the peer does not know the session and would answer a PING with an RST, and the SYN's own retransmissions
// are the probe. Timers are unref'd: a session never keeps the process alive.
//
// Lifecycle. The opener's session exists at once; the listener's is created by the mesh from the first
// segment (accept(), when isOpening()). The mesh demultiplexes segments by (peer node, sessionIdOf()) and
// answers a segment of an unknown session with resetFor(). An RST ends the session (`dead` with "reset by
// peer: " and the peer's reason); after `dead` nothing is sent or delivered. end() closes once everything
// written was acknowledged (the Mux's last FIN must not be lost); close() at once; reset() with an RST.
// There is no TIME_WAIT: if our last ACK is lost, the peer's retransmission meets no session and is answered
// by an RST, which ends the peer's session after its data arrived (its Mux channel is already finished).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export interface SessionIO {
  /** Fire-and-forget: one datagram payload to the peer (the mesh wraps it in a netceptor data message). May be dropped, duplicated or reordered on the way. */
  send(payload: Buffer): void;
}

export interface SessionEvents {
  /** One whole message (a mux frame), in order, exactly once. If it throws, the session is reset with "protocol error: " and the error's message. */
  message(frame: Buffer): void;
  /** write() may be called again (after it returned false). */
  drain(): void;
  /** The session is over (peer reset it, retransmissions gave up, idle timeout, or close()/reset() here). Called once. */
  dead(reason: string): void;
}

export interface SessionOptions {
  /** Bytes (whole segments) a sender holds, queued and un-acknowledged; also the largest window. */
  maxInFlightBytes: number;
  /** Retransmission timeout before any round trip was measured. */
  rtoInitialMs: number;
  rtoMinMs: number;
  rtoMaxMs: number;
  /** Retransmission timeouts in a row, without progress, after which the session dies. */
  maxRetransmits: number;
  /** Nothing received for this long: send a PING (and again every keepaliveMs). */
  keepaliveMs: number;
  /** Nothing received for this long: the session dies. */
  idleTimeoutMs: number;
}

/**
 * Receptor's QUIC timers (pkg/netceptor/conn.go: MaxIdleTimeout 30 s, KeepAlivePeriod half of it); the RTO
 * bounds are TCP's (RFC 6298: initial 1 s; a 200 ms floor as Linux uses rather than RFC's 1 s, since
 * mesh paths are short); 1 MiB in flight covers 100 ms of round trip at 80 Mbit/s.
 */
export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  maxInFlightBytes: 1024 * 1024,
  rtoInitialMs: 1000,
  rtoMinMs: 200,
  rtoMaxMs: 10_000,
  maxRetransmits: 8,
  keepaliveMs: 15_000,
  idleTimeoutMs: 30_000,
};

/** The `dead` reason of an idle timeout: quic-go's text, as receptor's QUIC connections report it. */
export const IDLE_TIMEOUT_REASON = 'timeout: no recent network activity';

/** Segment kinds (wire values: never renumber; keep < 0x40, see the header). */
export const SegmentKind = { DATA: 0x01, ACK: 0x02, PING: 0x03, RST: 0x04 } as const;

const FLAG_SYN = 0x01;
const ID_BYTES = 8;
/** kind + session id. */
const BASE_HEADER = 1 + ID_BYTES;
/** DATA header: kind, id, flags, sequence number. */
export const DATA_HEADER = BASE_HEADER + 1 + 4;
const ACK_LENGTH = BASE_HEADER + 4 + 1;
const ACK_GAP = 0x01;
/** Netceptor data messages are at most 65535 bytes, 36 of them its own header (docs/netceptor-wire.md). */
export const MAX_SESSION_MESSAGE = 65535 - 36 - DATA_HEADER;
/** Longest RST reason sent (bytes): a reason is a log line, not a payload. */
const MAX_REASON_BYTES = 256;
/** In-order data is acknowledged at once after this many bytes, whatever the event loop does. */
const ACK_EVERY_BYTES = 64 * 1024;
/** Duplicate ACKs that trigger a fast retransmit (RFC 5681 §3.2). */
const DUP_ACK_THRESHOLD = 3;
/** Largest segment, for the congestion window's arithmetic: one mux DATA frame (16 KiB + 5) plus our header. */
const MSS = 16 * 1024 + 5 + DATA_HEADER;

/** Counters for logs, status and tests. */
export interface SessionStats {
  /** Messages sent for the first time. */
  messagesSent: number;
  /** DATA segments sent again (go-back-N resends). */
  retransmitted: number;
  /** Retransmission timer expiries. */
  timeouts: number;
  /** Fast retransmits (third GAP ACK). */
  fastRetransmits: number;
  /** Messages delivered to `message`. */
  delivered: number;
  /** DATA segments dropped: duplicates and out of order. */
  dropped: number;
  acksSent: number;
  pingsSent: number;
  /** Smoothed round trip, ms (undefined before the first sample). */
  srttMs: number | undefined;
  rtoMs: number;
  /** Congestion window, bytes. */
  cwnd: number;
}

interface Outgoing {
  seg: Buffer;
  /** performance.now() of the latest transmission. */
  sentAt: number;
  /** Transmissions so far; a message sent more than once gives no RTT sample (Karn). */
  sends: number;
}

/** a - b as a signed 32-bit number: > 0 when a is after b (RFC 1982 serial arithmetic). */
const seqDiff = (a: number, b: number): number => (a - b) | 0;

function header(kind: number, id: Buffer, extra: number): Buffer {
  const b = Buffer.allocUnsafe(BASE_HEADER + extra);
  b[0] = kind;
  id.copy(b, 1);
  return b;
}

function rstSegment(id: Buffer, reason: string): Buffer {
  let text = Buffer.from(reason, 'utf8');
  if (text.length > MAX_REASON_BYTES) {
    // Cut at a character boundary (never before a UTF-8 continuation byte), so the peer decodes it cleanly.
    let end = MAX_REASON_BYTES;
    while (end > 0 && (text[end]! & 0xc0) === 0x80) end--;
    text = text.subarray(0, end);
  }
  const b = header(SegmentKind.RST, id, text.length);
  text.copy(b, BASE_HEADER);
  return b;
}

/** The kind of a well-formed segment of ours, or undefined. */
function kindOf(segment: Buffer): number | undefined {
  if (segment.length < BASE_HEADER) return undefined;
  const kind = segment[0]!;
  switch (kind) {
    case SegmentKind.DATA:
      return segment.length >= DATA_HEADER ? kind : undefined;
    case SegmentKind.ACK:
      return segment.length >= ACK_LENGTH ? kind : undefined;
    case SegmentKind.PING:
    case SegmentKind.RST:
      return kind;
    default:
      return undefined;
  }
}

export class StreamSession {
  /** Session id, 16 hex digits: the mesh's key for this session (with the peer's node). */
  readonly id: string;
  private readonly idBytes: Buffer;
  private readonly options: SessionOptions;

  // ---- sender ----
  /** Un-acknowledged and unsent messages in sequence order, from index `head`; `una` is the sequence of q[head]. */
  private q: Outgoing[] = [];
  private head = 0;
  private una = 0;
  /** Messages from head currently counted as sent (go-back-N moves this back to 0). */
  private sentCount = 0;
  /** Messages from head ever sent: an ACK may acknowledge up to here. */
  private everSent = 0;
  /** Segment bytes of q[head..]: what writableLength reports. */
  private heldBytes = 0;
  /** Segment bytes of q[head .. head+sentCount). */
  private inFlightBytes = 0;
  private cwnd: number;
  private ssthresh: number;
  private dupAcks = 0;
  /** `una` at the latest go-back, so stale duplicate ACKs of one loss do not trigger it again. */
  private recoveredAt: number | undefined;
  /** Duplicate ACKs the flight before that go-back may still produce. */
  private staleDupAcks = 0;
  private srtt: number | undefined;
  private rttvar = 0;
  private rto: number;
  /** Retransmission timeouts in a row without progress. */
  private backoffs = 0;
  private rtoTimer: NodeJS.Timeout | undefined;
  private corked = 0;
  private needDrain = false;
  /** end() was called: close once nothing is held. */
  private ending = false;

  // ---- receiver ----
  private rcvNext = 0;
  private ackScheduled: NodeJS.Immediate | undefined;
  private bytesSinceAck = 0;

  // ---- liveness ----
  /** The peer has answered (opener) or opened (listener): it knows this session, a PING will not be refused. */
  private peerKnows: boolean;
  private readonly keepaliveTimer: NodeJS.Timeout;
  private readonly idleTimer: NodeJS.Timeout;
  private deadReason: string | undefined;
  private readonly counters = { messagesSent: 0, retransmitted: 0, timeouts: 0, fastRetransmits: 0, delivered: 0, dropped: 0, acksSent: 0, pingsSent: 0 };

  private constructor(
    idBytes: Buffer,
    private readonly opener: boolean,
    private readonly io: SessionIO,
    private readonly events: SessionEvents,
    options: Partial<SessionOptions>,
  ) {
    this.idBytes = idBytes;
    this.id = idBytes.toString('hex');
    this.options = { ...DEFAULT_SESSION_OPTIONS, ...options };
    this.rto = this.clampRto(this.options.rtoInitialMs);
    // Initial window: four full frames (TCP's initial window is ~10 segments of 1.4 KiB, RFC 6928; ours are
    // 16 KiB), never more than the fixed limit.
    this.cwnd = Math.min(this.options.maxInFlightBytes, 4 * MSS);
    this.ssthresh = this.options.maxInFlightBytes;
    this.peerKnows = !opener;
    this.keepaliveTimer = setTimeout(() => this.onKeepalive(), this.options.keepaliveMs);
    this.keepaliveTimer.unref();
    // quic-go's IdleTimeoutError text (internal/qerr/errors.go, v0.54.1 as receptor 1.6.5 uses): what a
    // receptor user sees when a QUIC service connection idles out.
    this.idleTimer = setTimeout(() => this.die(IDLE_TIMEOUT_REASON), this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  /** Opener side: a new session with a random 64-bit id. Nothing is sent before the first write(). */
  static open(io: SessionIO, events: SessionEvents, options: Partial<SessionOptions> = {}): StreamSession {
    return new StreamSession(randomBytes(ID_BYTES), true, io, events, options);
  }

  /**
   * Listener side: the session `firstSegment` opens, or undefined when it opens none (see isOpening). The
   * segment is processed on a later microtask, so the caller can attach its Mux (which needs this session
   * as its output) before the first message arrives.
   */
  static accept(firstSegment: Buffer, io: SessionIO, events: SessionEvents, options: Partial<SessionOptions> = {}): StreamSession | undefined {
    if (!StreamSession.isOpening(firstSegment)) return undefined;
    const s = new StreamSession(Buffer.from(firstSegment.subarray(1, BASE_HEADER)), false, io, events, options);
    queueMicrotask(() => s.receive(firstSegment));
    return s;
  }

  /** The first segment of a session: the opener's DATA with SYN and sequence 0. */
  static isOpening(segment: Buffer): boolean {
    return kindOf(segment) === SegmentKind.DATA && (segment[BASE_HEADER]! & FLAG_SYN) !== 0 && segment.readUInt32BE(BASE_HEADER + 1) === 0;
  }

  /** The session id (hex) of one of our segments; undefined for anything else (QUIC packets included). */
  static sessionIdOf(segment: Buffer): string | undefined {
    if (kindOf(segment) === undefined) return undefined;
    return segment.toString('hex', 1, BASE_HEADER);
  }

  /**
   * The RST to answer a segment of a session this node does not know, or undefined when none is due: an
   * RST is never answered (two nodes that both lost a session would otherwise bounce RSTs forever), nor a
   * DATA with SYN (its session's opening segment was lost on the way and will be retransmitted; an RST
   * would kill a session for one lost datagram), nor anything that is not one of our segments.
   */
  static resetFor(segment: Buffer, reason: string): Buffer | undefined {
    const kind = kindOf(segment);
    if (kind === undefined || kind === SegmentKind.RST) return undefined;
    if (kind === SegmentKind.DATA && (segment[BASE_HEADER]! & FLAG_SYN) !== 0) return undefined;
    return rstSegment(segment.subarray(1, BASE_HEADER), reason);
  }

  /** Bytes held for sending: queued and un-acknowledged segments. */
  get writableLength(): number {
    return this.heldBytes;
  }

  get dead(): boolean {
    return this.deadReason !== undefined;
  }

  get stats(): SessionStats {
    return { ...this.counters, srttMs: this.srtt, rtoMs: this.rto, cwnd: this.cwnd };
  }

  // ---- sending ----

  /** Queues one message. False: the session holds maxInFlightBytes or more; wait for `drain`. */
  write(frame: Buffer): boolean {
    if (this.deadReason !== undefined) return true; // the owner learns of it from `dead`; nothing is sent
    if (this.ending) throw new Error(`write after end on session ${this.id}: end() is for when the writer is done`);
    if (frame.length > MAX_SESSION_MESSAGE) {
      throw new RangeError(`session message of ${frame.length} bytes is too large (at most ${MAX_SESSION_MESSAGE}): split it into smaller frames`);
    }
    const seq = (this.una + this.q.length - this.head) >>> 0;
    const seg = header(SegmentKind.DATA, this.idBytes, 1 + 4 + frame.length);
    seg[BASE_HEADER] = this.opener && !this.peerKnows ? FLAG_SYN : 0;
    seg.writeUInt32BE(seq, BASE_HEADER + 1);
    frame.copy(seg, DATA_HEADER);
    this.q.push({ seg, sentAt: 0, sends: 0 });
    this.heldBytes += seg.length;
    if (this.corked === 0) this.pump();
    if (this.heldBytes >= this.options.maxInFlightBytes) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** Writes until uncork() are only queued (the Mux writes a batch of frames between the two). */
  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0) this.pump();
  }

  /** Sends unsent messages while both windows allow (at least one message when nothing is in flight). */
  private pump(): void {
    if (this.deadReason !== undefined) return;
    const window = Math.min(this.cwnd, this.options.maxInFlightBytes);
    while (this.head + this.sentCount < this.q.length && (this.inFlightBytes < window || this.sentCount === 0)) {
      const m = this.q[this.head + this.sentCount]!;
      if (m.sends === 0) this.counters.messagesSent++;
      else this.counters.retransmitted++;
      m.sends++;
      m.sentAt = performance.now();
      this.sentCount++;
      this.inFlightBytes += m.seg.length;
      if (this.sentCount > this.everSent) this.everSent = this.sentCount;
      this.io.send(m.seg);
      if (this.deadReason !== undefined) return; // send() may end the session (the mesh has no route)
    }
    if (this.everSent > 0 && !this.rtoTimer) this.armRto();
  }

  private armRto(): void {
    this.rtoTimer = setTimeout(() => this.onRto(), this.rto);
    this.rtoTimer.unref();
  }

  private stopRto(): void {
    if (this.rtoTimer) clearTimeout(this.rtoTimer);
    this.rtoTimer = undefined;
  }

  private onRto(): void {
    this.rtoTimer = undefined;
    if (this.deadReason !== undefined || this.everSent === 0) return;
    this.counters.timeouts++;
    if (++this.backoffs > this.options.maxRetransmits) {
      this.die(`timeout: no answer from peer after ${this.options.maxRetransmits} retransmissions`);
      return;
    }
    this.rto = this.clampRto(this.rto * 2);
    // RFC 5681 §3.1: after a timeout, half the flight is the new threshold and the window restarts small.
    this.ssthresh = Math.max(this.inFlightBytes / 2, 2 * MSS);
    this.cwnd = Math.min(this.options.maxInFlightBytes, 2 * MSS);
    // A timer longer than the round trip: what was in flight has answered or is lost, nothing stale follows.
    this.goBack(0);
  }

  /** Go-back-N: everything from the oldest un-acknowledged message is sent again. */
  private goBack(staleDupAcks: number): void {
    this.recoveredAt = this.una;
    this.staleDupAcks = staleDupAcks;
    this.dupAcks = 0;
    this.sentCount = 0;
    this.inFlightBytes = 0;
    this.stopRto();
    this.pump();
  }

  private onAck(ack: number, gap: boolean): void {
    const advanced = seqDiff(ack, this.una);
    if (advanced <= 0 || advanced > this.everSent) {
      // Not news (or beyond what was ever sent: stale or forged, ignored). A GAP ACK with data outstanding
      // says a later message arrived in place of the oldest: after three, resend without waiting for the timer.
      // After a go-back for this same `una`, the segments of the flight before it still answer with stale
      // duplicates: only more duplicates than that flight held say the resent oldest message was lost again
      // (without this, a lost retransmission always waits for the timer).
      const threshold = this.recoveredAt === this.una ? this.staleDupAcks + DUP_ACK_THRESHOLD : DUP_ACK_THRESHOLD;
      if (gap && advanced === 0 && this.everSent > 0 && ++this.dupAcks === threshold) {
        this.counters.fastRetransmits++;
        // RFC 5681 §3.2: halve the window on a loss signalled by duplicate ACKs.
        this.ssthresh = Math.max(this.inFlightBytes / 2, 2 * MSS);
        this.cwnd = this.ssthresh;
        // The flight still out, less the oldest (lost) and the duplicates it already produced.
        this.goBack(Math.max(0, this.sentCount - this.dupAcks - 1));
      }
      return;
    }
    const now = performance.now();
    const newest = this.q[this.head + advanced - 1]!;
    if (newest.sends === 1) this.sampleRtt(now - newest.sentAt);
    let freed = 0;
    for (let i = 0; i < advanced; i++) {
      const m = this.q[this.head + i]!;
      freed += m.seg.length;
      if (i < this.sentCount) this.inFlightBytes -= m.seg.length;
    }
    this.q.fill(undefined as unknown as Outgoing, this.head, this.head + advanced);
    this.head += advanced;
    this.una = ack >>> 0;
    this.sentCount = Math.max(0, this.sentCount - advanced);
    this.everSent -= advanced;
    this.heldBytes -= freed;
    if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
    this.dupAcks = 0;
    this.backoffs = 0;
    // Reno growth: slow start below ssthresh (one byte per byte acknowledged), then about one MSS per window.
    if (this.cwnd < this.ssthresh) this.cwnd += freed;
    else this.cwnd += Math.max(1, Math.floor((MSS * freed) / this.cwnd));
    this.cwnd = Math.min(this.cwnd, this.options.maxInFlightBytes);
    this.stopRto();
    this.pump();
    if (this.ending && this.heldBytes === 0) {
      this.die('closed');
      return;
    }
    if (this.deadReason === undefined && this.needDrain && this.heldBytes < this.options.maxInFlightBytes) {
      this.needDrain = false;
      this.events.drain();
    }
  }

  private sampleRtt(r: number): void {
    // RFC 6298 §2.
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = this.clampRto(this.srtt + Math.max(1, 4 * this.rttvar));
  }

  private clampRto(ms: number): number {
    return Math.min(this.options.rtoMaxMs, Math.max(this.options.rtoMinMs, ms));
  }

  // ---- receiving ----

  /** One datagram payload from the peer. Segments of other sessions and foreign bytes are ignored. */
  receive(segment: Buffer): void {
    if (this.deadReason !== undefined) return;
    const kind = kindOf(segment);
    if (kind === undefined || !this.idBytes.equals(segment.subarray(1, BASE_HEADER))) return;
    this.peerKnows = true;
    this.idleTimer.refresh();
    this.keepaliveTimer.refresh();
    switch (kind) {
      case SegmentKind.DATA:
        this.onData(segment);
        return;
      case SegmentKind.ACK:
        this.onAck(segment.readUInt32BE(BASE_HEADER), (segment[BASE_HEADER + 4]! & ACK_GAP) !== 0);
        return;
      case SegmentKind.PING:
        this.sendAck(false);
        return;
      case SegmentKind.RST:
        this.die(`reset by peer: ${segment.toString('utf8', BASE_HEADER)}`);
        return;
    }
  }

  private onData(segment: Buffer): void {
    const seq = segment.readUInt32BE(BASE_HEADER + 1);
    if (seq !== this.rcvNext) {
      this.counters.dropped++;
      if (seqDiff(seq, this.rcvNext) > 0) {
        // After a gap: dropped (go-back-N resends it in order), answered at once so the sender counts
        // duplicate ACKs (RFC 5681 §4.2: out-of-order segments are acknowledged immediately).
        this.sendAck(true);
      } else if (!this.ackScheduled) {
        // A copy of a delivered message: our ACK may have been lost, repeat it (once per turn).
        this.ackScheduled = setImmediate(() => this.sendAck(false));
      }
      return;
    }
    this.rcvNext = (this.rcvNext + 1) >>> 0;
    this.counters.delivered++;
    this.bytesSinceAck += segment.length;
    if (this.bytesSinceAck >= ACK_EVERY_BYTES) this.sendAck(false);
    else if (!this.ackScheduled) this.ackScheduled = setImmediate(() => this.sendAck(false));
    try {
      this.events.message(segment.subarray(DATA_HEADER));
    } catch (err) {
      // A message its owner cannot take (a frame that does not decode) ends the session with the reason:
      // thrown on, it would escape from a timer or from accept()'s microtask and bring the node down.
      this.reset(`protocol error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private sendAck(gap: boolean): void {
    if (this.ackScheduled) clearImmediate(this.ackScheduled);
    this.ackScheduled = undefined;
    if (this.deadReason !== undefined) return;
    this.bytesSinceAck = 0;
    const b = header(SegmentKind.ACK, this.idBytes, 4 + 1);
    b.writeUInt32BE(this.rcvNext, BASE_HEADER);
    b[BASE_HEADER + 4] = gap ? ACK_GAP : 0;
    this.counters.acksSent++;
    this.io.send(b);
  }

  // ---- liveness and the end ----

  private onKeepalive(): void {
    if (this.deadReason !== undefined) return;
    if (this.peerKnows) {
      this.counters.pingsSent++;
      this.io.send(header(SegmentKind.PING, this.idBytes, 0));
    }
    // Again after another quiet keepaliveMs (receive() refreshes the timer whenever anything arrives).
    this.keepaliveTimer.refresh();
  }

  /** Sends an RST with `reason` (best effort), then ends the session with the same reason. */
  reset(reason: string): void {
    if (this.deadReason !== undefined) return;
    this.io.send(rstSegment(this.idBytes, reason));
    this.die(reason);
  }

  /** Ends the session here without telling the peer (it learns by RST on its next segment, or by idling out). */
  close(): void {
    this.die('closed');
  }

  /**
   * Ends the session once everything written has been acknowledged (at once if nothing is outstanding):
   * dead('closed') then, or the reason it died first. Meant for when the Mux's channel is finished: its
   * last frames (FIN, the final CREDIT) were only handed over, not yet received, and close() would lose
   * them if they need a retransmission. Messages from the peer are still delivered until then.
   */
  end(): void {
    if (this.deadReason !== undefined) return;
    this.ending = true;
    if (this.heldBytes === 0) this.die('closed');
  }

  private die(reason: string): void {
    if (this.deadReason !== undefined) return;
    this.deadReason = reason;
    this.stopRto();
    clearTimeout(this.keepaliveTimer);
    clearTimeout(this.idleTimer);
    if (this.ackScheduled) clearImmediate(this.ackScheduled);
    this.ackScheduled = undefined;
    this.q = [];
    this.head = 0;
    this.heldBytes = 0;
    this.inFlightBytes = 0;
    this.sentCount = 0;
    this.everSent = 0;
    this.needDrain = false;
    this.events.dead(reason);
  }
}
