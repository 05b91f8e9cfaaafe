// A minimal DER reader and writer: just enough ASN.1 to build and read the subjectAltName extension and to
// find a few fields in certificates and requests. Kept free of dependencies so that the TLS code (which
// reads node IDs from a peer certificate inside a synchronous callback) can import it without loading the
// whole @peculiar/x509 stack (~150 ms).
import { MeshctlError } from '../errors.js';

/** One tag-length-value element. `content` and `full` are views into the parsed buffer (no copies). */
export interface Tlv {
  /** The identifier octet: class (2 bits), constructed (1 bit), tag number (5 bits). */
  identifier: number;
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  tagClass: number;
  constructed: boolean;
  tagNumber: number;
  content: Uint8Array;
  /** The whole element, header included. */
  full: Uint8Array;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function malformed(what: string): MeshctlError {
  return new MeshctlError('EBADFILE', `malformed DER: ${what}`, { hint: 'the file is not a valid certificate or request' });
}

/** Reads the element starting at `offset`. Throws on truncation, indefinite lengths and multi-byte tags. */
export function readTlv(buf: Uint8Array, offset = 0): Tlv {
  if (offset + 2 > buf.length) throw malformed('truncated header');
  const identifier = buf[offset]!;
  if ((identifier & 0x1f) === 0x1f) throw malformed('multi-byte tag numbers are not supported');
  let pos = offset + 1;
  let length = buf[pos++]!;
  if (length === 0x80) throw malformed('indefinite length');
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 4 || pos + count > buf.length) throw malformed('bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++]!;
  }
  const end = pos + length;
  if (end > buf.length) throw malformed('element runs past the end of its container');
  return {
    identifier,
    tagClass: identifier >> 6,
    constructed: (identifier & 0x20) !== 0,
    tagNumber: identifier & 0x1f,
    content: buf.subarray(pos, end),
    full: buf.subarray(offset, end),
    end,
  };
}

/** The elements inside a constructed element (or a whole buffer of concatenated elements). */
export function readChildren(content: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let offset = 0;
  while (offset < content.length) {
    const tlv = readTlv(content, offset);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

/** Reads exactly one element that must fill `buf`. */
export function readSingle(buf: Uint8Array): Tlv {
  const tlv = readTlv(buf, 0);
  if (tlv.end !== buf.length) throw malformed('trailing bytes after the element');
  return tlv;
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

/** One element from its identifier octet and content. */
export function encodeTlv(identifier: number, content: Uint8Array): Uint8Array {
  const length = encodeLength(content.length);
  const out = new Uint8Array(1 + length.length + content.length);
  out[0] = identifier;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Content octets of an OBJECT IDENTIFIER in dotted form ("1.3.6.1.4.1.2312.19.1"). */
export function encodeOidContent(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new Error(`bad OID '${oid}'`);
    return Number(a);
  });
  if (arcs.length < 2) throw new Error(`bad OID '${oid}'`);
  const out: number[] = [];
  const push = (value: number): void => {
    const bytes = [value & 0x7f];
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return Uint8Array.from(out);
}

export function decodeOid(content: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(first, value - first * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  return arcs.join('.');
}

/**
 * Decodes the ASN.1 string types Go's encoding/asn1 accepts when unmarshalling into a Go string
 * (UTF8String, PrintableString, IA5String, NumericString, T61String, BMPString). Returns undefined for
 * anything else.
 */
export function decodeString(tlv: Tlv): string | undefined {
  switch (tlv.identifier) {
    case TAG.UTF8_STRING:
      return Buffer.from(tlv.content).toString('utf8');
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.NUMERIC_STRING:
    case TAG.T61_STRING:
      return Buffer.from(tlv.content).toString('latin1');
    case TAG.BMP_STRING: {
      const swapped = Buffer.from(tlv.content);
      if (swapped.length % 2 !== 0) return undefined;
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    default:
      return undefined;
  }
}
