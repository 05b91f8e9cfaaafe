// How netceptor messages travel on each backend of receptor 1.6.5 (docs/netceptor-wire.md "Framing").
// Pure: the transports feed bytes in and take messages out.
//
// - Stream backends, tcp and tls (pkg/backends/tcp.go, TCPSession.Send/Recv, through pkg/framer/framer.go):
//   each message is preceded by its length as a little-endian uint16. Nothing else: no magic, no version.
// - Message backends, websocket (pkg/backends/websockets.go, WebsocketSession.Send: one binary message per
//   netceptor message) and udp (pkg/backends/udp.go: one datagram per message, at most 65507 bytes): the
//   transport's own message boundary is the frame, no length prefix.

/** Largest message the stream framing can carry: framer.SendData casts the length to uint16. */
export const MAX_STREAM_MESSAGE = 0xffff;

/** Largest datagram receptor's UDP backend sends (udp.go UDPMaxPacketLen). */
export const MAX_UDP_MESSAGE = 65507;

/** A frame or message that breaks netceptor's framing rules; the connection cannot go on. */
export class NetceptorFramingError extends Error {
  override name = 'NetceptorFramingError';
  readonly code = 'NETCEPTOR_FRAMING';
}

/**
 * One netceptor message framed for a stream backend (tcp, tls).
 *
 * Refuses an empty message: receptor's runProtocol reads `data[0]` of every frame without a length check,
 * so a zero-length frame makes receptor 1.6.5 panic (`index out of range [0] with length 0`) and exit.
 * Refuses more than 65535 bytes: receptor's framer would truncate the length to 16 bits and lose framing.
 */
export function encodeStreamFrame(message: Uint8Array): Buffer {
  if (message.length === 0) throw new NetceptorFramingError('refusing to send an empty netceptor message: receptor 1.6.5 panics on a zero-length frame');
  if (message.length > MAX_STREAM_MESSAGE) {
    throw new NetceptorFramingError(`netceptor message of ${message.length} bytes exceeds the ${MAX_STREAM_MESSAGE}-byte stream frame limit`);
  }
  const out = Buffer.allocUnsafe(2 + message.length);
  out.writeUInt16LE(message.length, 0);
  out.set(message, 2);
  return out;
}

/**
 * Incremental reader of a stream backend's bytes: push() any split of the stream, get whole messages back
 * in order. Holds at most one partial frame (≤ 65537 bytes) between calls. A zero-length frame is handed
 * back as an empty message (receptor would crash on it; the message decoder refuses it with a clear error).
 */
export class StreamDeframer {
  private buf: Buffer = Buffer.alloc(0);

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): Buffer[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    let at = 0;
    while (this.buf.length - at >= 2) {
      const size = this.buf.readUInt16LE(at);
      if (this.buf.length - at - 2 < size) break;
      out.push(Buffer.from(this.buf.subarray(at + 2, at + 2 + size)));
      at += 2 + size;
    }
    this.buf = at === 0 ? this.buf : Buffer.from(this.buf.subarray(at));
    return out;
  }
}

/** Checks one message for a message backend (websocket binary message or UDP datagram) before sending. */
export function checkDatagramMessage(message: Uint8Array, backend: 'websocket' | 'udp'): Uint8Array {
  if (message.length === 0) throw new NetceptorFramingError(`refusing to send an empty netceptor message over ${backend}: receptor 1.6.5 panics on it`);
  if (backend === 'udp' && message.length > MAX_UDP_MESSAGE) {
    throw new NetceptorFramingError(`netceptor message of ${message.length} bytes exceeds the ${MAX_UDP_MESSAGE}-byte UDP limit (receptor: data too large)`);
  }
  return message;
}
