// Link framing (docs/mesh.md "Framing"): every link message is `u32 length | u8 type | payload`, big
// endian, `length` counting the type byte and the payload. The framing never changes between link protocol
// versions: the version is negotiated inside the HELLO frame, so a peer speaking another version still
// reads our HELLO. Pure code: no sockets here (the transports feed bytes in and take frames out).

/** Frame type bytes. Numbers are part of the wire protocol: never renumber, only add. */
export const FrameType = {
  HELLO: 0x01,
  ACCEPT: 0x02,
  REJECT: 0x03,
  HEARTBEAT: 0x04,
  ROUTE: 0x05,
  ADVERT: 0x06,
  DATAGRAM: 0x07,
  OPEN: 0x10,
  OPEN_OK: 0x11,
  OPEN_FAIL: 0x12,
  DATA: 0x13,
  CREDIT: 0x14,
  FIN: 0x15,
  RESET: 0x16,
} as const;

export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

/** Bytes before the payload: the length word and the type byte. */
export const FRAME_HEADER = 5;

/** Largest accepted `length` (type byte + payload). A peer sending more is broken or hostile. */
export const MAX_FRAME_LENGTH = 1 << 20;

export interface Frame {
  type: number;
  payload: Buffer;
}

/** Raised by FrameParser on a length out of range: the link must be dropped (framing is lost). */
export class FrameError extends Error {
  override name = 'FrameError';
}

/** One frame as bytes. `payload` may be given in parts to avoid a copy by the caller. */
export function encodeFrame(type: number, ...payload: Uint8Array[]): Buffer {
  let size = 0;
  for (const p of payload) size += p.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER + size);
  out.writeUInt32BE(size + 1, 0);
  out[4] = type;
  let at = FRAME_HEADER;
  for (const p of payload) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Incremental frame reader: push() any split of the byte stream, get whole frames back in order.
 * Keeps at most one partial frame (≤ MAX_FRAME_LENGTH + 4 bytes) between calls.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxLength = MAX_FRAME_LENGTH) {}

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length < 1 || length > this.maxLength) {
        throw new FrameError(`bad frame length ${length} (allowed 1..${this.maxLength})`);
      }
      if (this.buffered < 4 + length) break;
      const whole = this.take(4 + length);
      frames.push({ type: whole[4]!, payload: whole.subarray(FRAME_HEADER) });
    }
    return frames;
  }

  /** The first n buffered bytes without consuming them (n ≤ buffered). */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (at === n) break;
    }
    return out;
  }

  /** Consumes and returns the first n buffered bytes (n ≤ buffered). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length === n) {
      this.chunks.shift();
      out = first;
    } else if (first.length > n) {
      out = first.subarray(0, n);
      this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0]!;
        const want = n - at;
        if (c.length <= want) {
          c.copy(out, at);
          at += c.length;
          this.chunks.shift();
        } else {
          c.copy(out, at, 0, want);
          this.chunks[0] = c.subarray(want);
          at += want;
        }
      }
    }
    this.buffered -= n;
    return out;
  }
}
