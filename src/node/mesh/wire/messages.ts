// Link messages (docs/mesh.md "Message types"): the payload of each frame type, as typed values, with
// pure encoders and a decoder. Control messages that are rare and small (handshake, routing, adverts,
// OPEN's addressing) are JSON; the per-byte hot path (DATA, CREDIT) and datagrams are binary.
import { encodeFrame, FrameType, type Frame } from './frame.js';

/** Link protocol versions this build speaks (inclusive range), negotiated in HELLO. */
export const LINK_PROTOCOL_MIN = 1;
export const LINK_PROTOCOL_MAX = 1;
/** Marks a HELLO as ours: anything else on a mesh port is not a meshctl node. */
export const HELLO_MAGIC = 'meshctl-mesh';

export interface Hello {
  magic: string;
  /** Lowest and highest link protocol versions the sender speaks. */
  min: number;
  max: number;
  node: string;
}

export interface Accept {
  /** The version both sides use: the highest in both ranges. */
  version: number;
  /** What the sender charges for this link (its listener's cost / nodecost, or its peer's cost). */
  cost: number;
}

export interface Reject {
  reason: string;
}

/** A node's view of its direct connections, flooded through the mesh (Receptor: routingUpdate). */
export interface RouteUpdate {
  NodeID: string;
  UpdateID: string;
  /** Start time of the origin's run: a restarted node has a larger epoch, so its sequence may restart. */
  UpdateEpoch: number;
  UpdateSequence: number;
  Connections: Record<string, number>;
  /** The node that sent this copy over the link (the origin, or the last node that re-flooded it). */
  ForwardingNode: string;
  /** Non-zero: the epoch of another node using NodeID (duplicate node ID detection). */
  SuspectedDuplicate: number;
}

export interface WireWorkCommand {
  WorkType: string;
  Secure: boolean;
}

/** A service advertisement as flooded (Receptor: serviceAdvertisementFull). */
export interface AdvertMessage {
  NodeID: string;
  Service: string;
  /** Advertisement time, nanoseconds since the Unix epoch, as a decimal string (exact). */
  TimeNs: string;
  ConnType: number;
  Tags: Record<string, string> | null;
  WorkCommands: WireWorkCommand[] | null;
  /** The service stopped listening: remove the advertisement. */
  Cancel: boolean;
}

/** A routed datagram (Receptor: MessageData): ping, ping replies, unreachable notices. */
export interface Datagram {
  hopsToLive: number;
  fromNode: string;
  fromService: string;
  toNode: string;
  toService: string;
  data: Buffer;
}

/** Addressing of a stream being opened through this link. */
export interface OpenInfo {
  fromNode: string;
  fromService: string;
  toNode: string;
  toService: string;
  hopsToLive: number;
  /**
   * Whether the opener runs TLS inside the stream. A service that takes TLS (ConnType 2) refuses an
   * opener that says false (`insecure connection to secure service`); absent (older nodes): not checked.
   */
  tls?: boolean;
}

export type LinkMessage =
  | { type: 'hello'; hello: Hello }
  | { type: 'accept'; accept: Accept }
  | { type: 'reject'; reject: Reject }
  | { type: 'heartbeat' }
  | { type: 'route'; update: RouteUpdate }
  | { type: 'advert'; advert: AdvertMessage }
  | { type: 'datagram'; datagram: Datagram }
  | { type: 'open'; id: number; window: number; open: OpenInfo }
  | { type: 'open-ok'; id: number; window: number }
  | { type: 'open-fail'; id: number; reason: string }
  | { type: 'data'; id: number; data: Buffer }
  | { type: 'credit'; id: number; bytes: number }
  | { type: 'fin'; id: number }
  | { type: 'reset'; id: number; reason: string }
  /** A frame type this version does not know: skipped, so later versions may add optional messages. */
  | { type: 'unknown'; frameType: number };

/** A frame whose payload does not decode: the peer is broken (or not a meshctl node). */
export class MessageError extends Error {
  override name = 'MessageError';
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function u32pair(a: number, b: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32BE(a >>> 0, 0);
  out.writeUInt32BE(b >>> 0, 4);
  return out;
}

function idAndText(id: number, text: string): Buffer[] {
  return [u32(id), Buffer.from(text, 'utf8')];
}

/** Datagram header: u8 hops, then four u16-length-prefixed UTF-8 names, then the data. */
function datagramHeader(d: Datagram): Buffer {
  const names = [d.fromNode, d.fromService, d.toNode, d.toService].map((s) => Buffer.from(s, 'utf8'));
  let size = 1;
  for (const n of names) size += 2 + n.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = d.hopsToLive & 0xff;
  let at = 1;
  for (const n of names) {
    if (n.length > 0xffff) throw new MessageError('datagram name too long');
    out.writeUInt16BE(n.length, at);
    n.copy(out, at + 2);
    at += 2 + n.length;
  }
  return out;
}

export function encodeMessage(m: LinkMessage): Buffer {
  switch (m.type) {
    case 'hello':
      return encodeFrame(FrameType.HELLO, json(m.hello));
    case 'accept':
      return encodeFrame(FrameType.ACCEPT, json(m.accept));
    case 'reject':
      return encodeFrame(FrameType.REJECT, json(m.reject));
    case 'heartbeat':
      return encodeFrame(FrameType.HEARTBEAT);
    case 'route':
      return encodeFrame(FrameType.ROUTE, json(m.update));
    case 'advert':
      return encodeFrame(FrameType.ADVERT, json(m.advert));
    case 'datagram':
      return encodeFrame(FrameType.DATAGRAM, datagramHeader(m.datagram), m.datagram.data);
    case 'open':
      return encodeFrame(FrameType.OPEN, u32pair(m.id, m.window), json(m.open));
    case 'open-ok':
      return encodeFrame(FrameType.OPEN_OK, u32pair(m.id, m.window));
    case 'open-fail':
      return encodeFrame(FrameType.OPEN_FAIL, ...idAndText(m.id, m.reason));
    case 'data':
      return encodeFrame(FrameType.DATA, u32(m.id), m.data);
    case 'credit':
      return encodeFrame(FrameType.CREDIT, u32pair(m.id, m.bytes));
    case 'fin':
      return encodeFrame(FrameType.FIN, u32(m.id));
    case 'reset':
      return encodeFrame(FrameType.RESET, ...idAndText(m.id, m.reason));
    case 'unknown':
      return encodeFrame(m.frameType);
  }
}

function parseJson(payload: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new MessageError(`malformed ${what} message`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new MessageError(`malformed ${what} message`);
  return v as Record<string, unknown>;
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) throw new MessageError(`short ${what} frame (${payload.length} bytes)`);
}

function str(o: Record<string, unknown>, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new MessageError(`${what} message: '${key}' must be a string`);
  return v;
}

function num(o: Record<string, unknown>, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MessageError(`${what} message: '${key}' must be a number`);
  return v;
}

function costMap(v: unknown): Record<string, number> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new MessageError(`route message: 'Connections' must be an object`);
  const out: Record<string, number> = {};
  for (const [k, c] of Object.entries(v as Record<string, unknown>)) {
    if (typeof c !== 'number' || !(c > 0)) throw new MessageError(`route message: cost of '${k}' must be a positive number`);
    out[k] = c;
  }
  return out;
}

function decodeDatagram(p: Buffer): Datagram {
  need(p, 9, 'datagram');
  let at = 1;
  const names: string[] = [];
  for (let i = 0; i < 4; i++) {
    need(p, at + 2, 'datagram');
    const n = p.readUInt16BE(at);
    need(p, at + 2 + n, 'datagram');
    names.push(p.toString('utf8', at + 2, at + 2 + n));
    at += 2 + n;
  }
  return { hopsToLive: p[0]!, fromNode: names[0]!, fromService: names[1]!, toNode: names[2]!, toService: names[3]!, data: p.subarray(at) };
}

export function decodeMessage(frame: Frame): LinkMessage {
  const p = frame.payload;
  switch (frame.type) {
    case FrameType.HELLO: {
      const o = parseJson(p, 'hello');
      return { type: 'hello', hello: { magic: str(o, 'magic', 'hello'), min: num(o, 'min', 'hello'), max: num(o, 'max', 'hello'), node: str(o, 'node', 'hello') } };
    }
    case FrameType.ACCEPT: {
      const o = parseJson(p, 'accept');
      return { type: 'accept', accept: { version: num(o, 'version', 'accept'), cost: num(o, 'cost', 'accept') } };
    }
    case FrameType.REJECT: {
      const o = parseJson(p, 'reject');
      return { type: 'reject', reject: { reason: str(o, 'reason', 'reject') } };
    }
    case FrameType.HEARTBEAT:
      return { type: 'heartbeat' };
    case FrameType.ROUTE: {
      const o = parseJson(p, 'route');
      return {
        type: 'route',
        update: {
          NodeID: str(o, 'NodeID', 'route'),
          UpdateID: str(o, 'UpdateID', 'route'),
          UpdateEpoch: num(o, 'UpdateEpoch', 'route'),
          UpdateSequence: num(o, 'UpdateSequence', 'route'),
          Connections: costMap(o.Connections),
          ForwardingNode: str(o, 'ForwardingNode', 'route'),
          SuspectedDuplicate: num(o, 'SuspectedDuplicate', 'route'),
        },
      };
    }
    case FrameType.ADVERT: {
      const o = parseJson(p, 'advert');
      const tags = o.Tags;
      const wc = o.WorkCommands;
      if (tags !== null && (typeof tags !== 'object' || Array.isArray(tags))) throw new MessageError(`advert message: 'Tags' must be an object`);
      if (wc !== null && !Array.isArray(wc)) throw new MessageError(`advert message: 'WorkCommands' must be an array`);
      if (!/^[0-9]+$/.test(str(o, 'TimeNs', 'advert'))) throw new MessageError(`advert message: 'TimeNs' must be decimal digits`);
      return {
        type: 'advert',
        advert: {
          NodeID: str(o, 'NodeID', 'advert'),
          Service: str(o, 'Service', 'advert'),
          TimeNs: o.TimeNs as string,
          ConnType: num(o, 'ConnType', 'advert'),
          Tags: (tags as Record<string, string> | null) ?? null,
          WorkCommands: wc === null ? null : (wc as unknown[]).map((w) => {
            const r = (w ?? {}) as Record<string, unknown>;
            return { WorkType: String(r.WorkType ?? ''), Secure: r.Secure === true };
          }),
          Cancel: o.Cancel === true,
        },
      };
    }
    case FrameType.DATAGRAM:
      return { type: 'datagram', datagram: decodeDatagram(p) };
    case FrameType.OPEN: {
      need(p, 8, 'open');
      const o = parseJson(p.subarray(8), 'open');
      return {
        type: 'open',
        id: p.readUInt32BE(0),
        window: p.readUInt32BE(4),
        open: {
          fromNode: str(o, 'fromNode', 'open'),
          fromService: str(o, 'fromService', 'open'),
          toNode: str(o, 'toNode', 'open'),
          toService: str(o, 'toService', 'open'),
          hopsToLive: num(o, 'hopsToLive', 'open'),
          ...(typeof o.tls === 'boolean' ? { tls: o.tls } : {}),
        },
      };
    }
    case FrameType.OPEN_OK:
      need(p, 8, 'open-ok');
      return { type: 'open-ok', id: p.readUInt32BE(0), window: p.readUInt32BE(4) };
    case FrameType.OPEN_FAIL:
      need(p, 4, 'open-fail');
      return { type: 'open-fail', id: p.readUInt32BE(0), reason: p.toString('utf8', 4) };
    case FrameType.DATA:
      need(p, 4, 'data');
      return { type: 'data', id: p.readUInt32BE(0), data: p.subarray(4) };
    case FrameType.CREDIT:
      need(p, 8, 'credit');
      return { type: 'credit', id: p.readUInt32BE(0), bytes: p.readUInt32BE(4) };
    case FrameType.FIN:
      need(p, 4, 'fin');
      return { type: 'fin', id: p.readUInt32BE(0) };
    case FrameType.RESET:
      need(p, 4, 'reset');
      return { type: 'reset', id: p.readUInt32BE(0), reason: p.toString('utf8', 4) };
    default:
      return { type: 'unknown', frameType: frame.type };
  }
}
