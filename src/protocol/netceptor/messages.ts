// The netceptor messages of receptor 1.6.5 (docs/netceptor-wire.md "Messages"): typed values with pure
// encoders and one decoder. The first byte of every message is its type (netceptor.go, MsgType*):
//   0 data                  binary header (36 bytes) + payload      translateDataFromMessage / ToMessage
//   1 routing update        JSON of routingUpdate                   translateStructToNetwork
//   2 service advertisement JSON of serviceAdvertisementFull        sendServiceAd / handleServiceAdvertisement
//   3 reject                JSON `[]` (receptor ignores the body)   sendRejectMessage
import { goMarshal, goStruct } from '../go-json.js';
import {
  asBool,
  asByte,
  asFloat,
  asObject,
  asString,
  asUint64,
  goField,
  JsonNumber,
  NetceptorDecodeError,
  parseJsonLossless,
  type JsonValue,
} from './json.js';

export const MsgType = { Data: 0, Route: 1, ServiceAdvertisement: 2, Reject: 3 } as const;

/** Bytes before a data message's payload (netceptor.go translateDataToMessage: `len(data) < 36` is refused). */
export const DATA_HEADER_LENGTH = 36;
/** Service names are fixed 8-byte fields, NUL-padded on the right. */
export const SERVICE_NAME_LENGTH = 8;
/** Receptor's largest datagram payload (defaultMTU). */
export const DEFAULT_MTU = 16384;

/** A data message with node names still as their hashes (a NameTable resolves them). */
export interface DataMessage {
  type: 'data';
  /** Hops the message may still be forwarded (a forwarder decrements it; at 0 it answers 'message expired'). */
  hopsToLive: number;
  fromNodeHash: bigint;
  toNodeHash: bigint;
  fromService: string;
  toService: string;
  data: Buffer;
}

/** A node's direct connections, flooded through the mesh (netceptor.go routingUpdate). */
export interface RoutingUpdate {
  NodeID: string;
  /** 8 random characters; a node forwards an update once per UpdateID (seenUpdates). */
  UpdateID: string;
  /** The origin's run: unix seconds × 2^24 + random 24 bits. uint64, beyond JS number precision. */
  UpdateEpoch: bigint;
  UpdateSequence: bigint;
  /** Peer node ID → connection cost (float64). */
  Connections: Record<string, number>;
  /** The node that put this copy on the link: the origin, or the last node that re-flooded it. */
  ForwardingNode: string;
  /** Non-zero: the epoch of another node using NodeID (duplicate node detection). */
  SuspectedDuplicate: bigint;
}

export interface WorkCommand {
  WorkType: string;
  Secure: boolean;
}

/** A service advertisement as flooded (netceptor.go serviceAdvertisementFull: the fields of ServiceAdvertisement plus Cancel). */
export interface ServiceAdvertisement {
  NodeID: string;
  Service: string;
  /** Go time.Time as RFC 3339 with nanoseconds, kept as the text (compare with parseGoTime). */
  Time: string;
  /** 0 datagram, 1 stream, 2 stream with a user TLS (ConnType*). */
  ConnType: number;
  Tags: Record<string, string> | null;
  WorkCommands: WorkCommand[] | null;
  Cancel: boolean;
}

export type NetceptorMessage =
  | DataMessage
  | ({ type: 'route' } & RoutingUpdate)
  | ({ type: 'advert' } & ServiceAdvertisement)
  | { type: 'reject' }
  | { type: 'unknown'; code: number; body: Buffer };

/** Receptor's connection types for an advertised service (netceptor.go ConnType*). */
export const ConnType = { Datagram: 0, Stream: 1, StreamTLS: 2 } as const;

// ------------------------------------------------------------------------------------------------ encoders

function serviceField(name: string): Buffer {
  const b = Buffer.from(name, 'utf8');
  // Receptor's text (SendMessageWithHopsToLive); it checks len() of the Go string, i.e. UTF-8 bytes.
  if (b.length > SERVICE_NAME_LENGTH) throw new NetceptorDecodeError(`service name too long: ${JSON.stringify(name)} is ${b.length} bytes, at most 8`);
  const out = Buffer.alloc(SERVICE_NAME_LENGTH);
  b.copy(out);
  return out;
}

/** A data message: type 0, hops, two zero bytes, from/to node hashes (uint64 big-endian), from/to services, payload. */
export function encodeData(m: Omit<DataMessage, 'type'>): Buffer {
  if (!Number.isInteger(m.hopsToLive) || m.hopsToLive < 0 || m.hopsToLive > 255) throw new RangeError(`hopsToLive must be a byte, got ${m.hopsToLive}`);
  const head = Buffer.alloc(20);
  head[0] = MsgType.Data;
  head[1] = m.hopsToLive;
  head.writeBigUInt64BE(m.fromNodeHash, 4);
  head.writeBigUInt64BE(m.toNodeHash, 12);
  return Buffer.concat([head, serviceField(m.fromService), serviceField(m.toService), m.data]);
}

/** A routing update, as Go's json.Marshal writes routingUpdate (fields in declaration order, map keys sorted). */
export function encodeRoutingUpdate(u: RoutingUpdate): Buffer {
  const body = goMarshal(
    goStruct({
      NodeID: u.NodeID,
      UpdateID: u.UpdateID,
      UpdateEpoch: u.UpdateEpoch,
      UpdateSequence: u.UpdateSequence,
      Connections: u.Connections,
      ForwardingNode: u.ForwardingNode,
      SuspectedDuplicate: u.SuspectedDuplicate,
    }),
  );
  return Buffer.concat([Buffer.of(MsgType.Route), Buffer.from(body, 'utf8')]);
}

/** A service advertisement (or its cancellation, Cancel true), as Go marshals serviceAdvertisementFull. */
export function encodeServiceAdvertisement(a: ServiceAdvertisement): Buffer {
  const body = goMarshal(
    goStruct({
      NodeID: a.NodeID,
      Service: a.Service,
      Time: a.Time,
      ConnType: a.ConnType,
      Tags: a.Tags,
      WorkCommands: a.WorkCommands === null ? null : a.WorkCommands.map((w) => goStruct({ WorkType: w.WorkType, Secure: w.Secure })),
      Cancel: a.Cancel,
    }),
  );
  return Buffer.concat([Buffer.of(MsgType.ServiceAdvertisement), Buffer.from(body, 'utf8')]);
}

/** The reject message receptor sends before closing a connection it refuses: type 3 and an empty JSON list. */
export function encodeReject(): Buffer {
  return Buffer.from('\x03[]', 'latin1');
}

// ------------------------------------------------------------------------------------------------ decoder

/** Decodes one netceptor message (one frame's content). Throws NetceptorDecodeError with the reason. */
export function decodeMessage(msg: Uint8Array): NetceptorMessage {
  const b = Buffer.isBuffer(msg) ? msg : Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  if (b.length === 0) throw new NetceptorDecodeError('empty netceptor message (receptor 1.6.5 would panic on it: index out of range [0] with length 0)');
  switch (b[0]) {
    case MsgType.Data:
      return decodeData(b);
    case MsgType.Route:
      return { type: 'route', ...decodeRoutingUpdate(json(b, 'routing update')) };
    case MsgType.ServiceAdvertisement:
      return { type: 'advert', ...decodeServiceAdvertisement(json(b, 'service advertisement')) };
    case MsgType.Reject:
      // Receptor acts on the type byte alone.
      return { type: 'reject' };
    default:
      return { type: 'unknown', code: b[0]!, body: Buffer.from(b.subarray(1)) };
  }
}

function json(b: Buffer, what: string): Record<string, JsonValue> {
  let v: JsonValue;
  try {
    v = parseJsonLossless(b.subarray(1).toString('utf8'));
  } catch (err) {
    throw new NetceptorDecodeError(`${what}: ${(err as Error).message}`, { cause: err });
  }
  return asObject(v, what);
}

function fixedString(b: Buffer): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, end).toString('utf8');
}

function decodeData(b: Buffer): DataMessage {
  if (b.length < DATA_HEADER_LENGTH) throw new NetceptorDecodeError(`data too short to be a valid message: ${b.length} bytes, at least ${DATA_HEADER_LENGTH}`);
  return {
    type: 'data',
    hopsToLive: b[1]!,
    fromNodeHash: b.readBigUInt64BE(4),
    toNodeHash: b.readBigUInt64BE(12),
    fromService: fixedString(b.subarray(20, 28)),
    toService: fixedString(b.subarray(28, 36)),
    data: Buffer.from(b.subarray(DATA_HEADER_LENGTH)),
  };
}

function decodeRoutingUpdate(o: Record<string, JsonValue>): RoutingUpdate {
  const f = (name: string) => goField(o, name);
  const conns = f('Connections');
  const Connections = Object.create(null) as Record<string, number>;
  if (conns !== undefined && conns !== null) {
    const co = asObject(conns, 'routing update Connections');
    for (const k of Object.keys(co)) Connections[k] = asFloat(co[k], `routing update Connections[${JSON.stringify(k)}]`);
  }
  return {
    NodeID: asString(f('NodeID'), 'routing update NodeID'),
    UpdateID: asString(f('UpdateID'), 'routing update UpdateID'),
    UpdateEpoch: asUint64(f('UpdateEpoch'), 'routing update UpdateEpoch'),
    UpdateSequence: asUint64(f('UpdateSequence'), 'routing update UpdateSequence'),
    Connections,
    ForwardingNode: asString(f('ForwardingNode'), 'routing update ForwardingNode'),
    SuspectedDuplicate: asUint64(f('SuspectedDuplicate'), 'routing update SuspectedDuplicate'),
  };
}

function decodeServiceAdvertisement(o: Record<string, JsonValue>): ServiceAdvertisement {
  const f = (name: string) => goField(o, name);
  const tags = f('Tags');
  let Tags: Record<string, string> | null = null;
  if (tags !== undefined && tags !== null) {
    const to = asObject(tags, 'service advertisement Tags');
    Tags = Object.create(null) as Record<string, string>;
    for (const k of Object.keys(to)) Tags[k] = asString(to[k], `service advertisement Tags[${JSON.stringify(k)}]`);
  }
  const wc = f('WorkCommands');
  let WorkCommands: WorkCommand[] | null = null;
  if (wc !== undefined && wc !== null) {
    if (!Array.isArray(wc)) throw new NetceptorDecodeError('service advertisement WorkCommands: expected a JSON array');
    WorkCommands = wc.map((w, i) => {
      const wo = asObject(w, `service advertisement WorkCommands[${i}]`);
      return {
        WorkType: asString(goField(wo, 'WorkType'), `service advertisement WorkCommands[${i}].WorkType`),
        Secure: asBool(goField(wo, 'Secure'), `service advertisement WorkCommands[${i}].Secure`),
      };
    });
  }
  const time = f('Time');
  const Time = time === undefined || time === null ? GO_ZERO_TIME : asString(time, 'service advertisement Time');
  parseGoTime(Time); // refuse a bad time here, as Go's time.Time UnmarshalJSON does
  return {
    NodeID: asString(f('NodeID'), 'service advertisement NodeID'),
    Service: asString(f('Service'), 'service advertisement Service'),
    Time,
    ConnType: asByte(f('ConnType'), 'service advertisement ConnType'),
    Tags,
    WorkCommands,
    Cancel: asBool(f('Cancel'), 'service advertisement Cancel'),
  };
}

// ------------------------------------------------------------------------------------------------ datagram payloads

/** Problems an 'unreach' datagram reports (netceptor.go Problem*). */
export const Problem = {
  ServiceUnknown: 'service unknown',
  ExpiredInTransit: 'message expired',
  Rejected: 'blocked by firewall',
} as const;

/** The payload of a datagram to the `unreach` service (netceptor.go UnreachableMessage). */
export interface UnreachableMessage {
  FromNode: string;
  ToNode: string;
  FromService: string;
  ToService: string;
  Problem: string;
}

export function encodeUnreachable(u: UnreachableMessage): Buffer {
  return Buffer.from(
    goMarshal(goStruct({ FromNode: u.FromNode, ToNode: u.ToNode, FromService: u.FromService, ToService: u.ToService, Problem: u.Problem })),
    'utf8',
  );
}

export function decodeUnreachable(payload: Uint8Array): UnreachableMessage {
  let v: JsonValue;
  try {
    v = parseJsonLossless(Buffer.from(payload).toString('utf8'));
  } catch (err) {
    throw new NetceptorDecodeError(`unreachable message: ${(err as Error).message}`, { cause: err });
  }
  const o = asObject(v, 'unreachable message');
  const s = (k: string) => asString(goField(o, k), `unreachable message ${k}`);
  return { FromNode: s('FromNode'), ToNode: s('ToNode'), FromService: s('FromService'), ToService: s('ToService'), Problem: s('Problem') };
}

// ------------------------------------------------------------------------------------------------ Go times

/** Go's zero time.Time as json.Marshal writes it. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** A time (nanoseconds since the Unix epoch) as Go's time.Time MarshalJSON writes it in UTC (RFC3339Nano). */
export function formatGoTime(ns: bigint): string {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  const digits = frac.toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${digits ? '.' + digits : ''}Z`;
}

/** Nanoseconds since the Unix epoch of an RFC 3339 time as Go writes it (any zone offset). */
export function parseGoTime(s: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) throw new NetceptorDecodeError(`bad time ${JSON.stringify(s)}: expected RFC 3339 (2006-01-02T15:04:05.999999999Z07:00)`);
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const utcMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  let off = 0;
  if (zone !== 'Z') off = (zone![0] === '-' ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  // Date.UTC maps years 0-99 to 1900-1999; Go's zero time (year 1) needs setUTCFullYear.
  const date = new Date(utcMs);
  date.setUTCFullYear(Number(y));
  return (BigInt(date.getTime()) - BigInt(off) * 60_000n) * 1_000_000n + BigInt((frac ?? '').padEnd(9, '0') || '0');
}

export { JsonNumber, NetceptorDecodeError };
