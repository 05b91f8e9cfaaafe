// The subjectAltName extension as Receptor writes and reads it, including Receptor node IDs.
//
// Receptor (pkg/utils/other_name.go, MakeReceptorSAN / ReceptorNames) puts each node ID in an otherName
// GeneralName with OID 1.3.6.1.4.1.2312.19.1 whose value is a UTF8String inside an EXPLICIT [0] tag:
//
//   [0] IMPLICIT otherName {              A0 len
//     type-id  OBJECT IDENTIFIER           06 09 2B 06 01 04 01 92 08 13 01
//     value    [0] EXPLICIT {              A0 len
//                UTF8String node-id }        0C len <utf-8 bytes>
//   }
//
// Names are written in Receptor's order: DNS names, then IP addresses, then node IDs. @peculiar/x509's
// high-level SAN classes drop otherNames they do not know, hence this hand-written encoding.
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { TAG, concat, decodeOid, decodeString, encodeOidContent, encodeTlv, readChildren, readSingle } from './der.js';

/** OID of a Receptor node ID otherName (pkg/utils/other_name.go, OIDReceptorName). */
export const RECEPTOR_NODE_ID_OID = '1.3.6.1.4.1.2312.19.1';
/** OID of the subjectAltName extension. */
export const SUBJECT_ALT_NAME_OID = '2.5.29.17';

export interface SubjectNames {
  dnsNames: string[];
  /** Textual IPs: dotted IPv4, compressed lower-case IPv6. */
  ipAddresses: string[];
  /** Receptor node IDs (otherName 1.3.6.1.4.1.2312.19.1). */
  nodeIds: string[];
}

export interface DecodedSubjectNames extends SubjectNames {
  emails: string[];
  uris: string[];
  /** Other GeneralNames, for display only: `othername:<oid>`, `dirname`, ... */
  others: string[];
}

// GeneralName choice identifiers (RFC 5280 4.2.1.6), all context-specific.
const GN_OTHER_NAME = 0xa0; // [0] constructed
const GN_EMAIL = 0x81; // [1] IA5String
const GN_DNS = 0x82; // [2] IA5String
const GN_URI = 0x86; // [6] IA5String
const GN_IP = 0x87; // [7] OCTET STRING
const EXPLICIT_0 = 0xa0;

/**
 * The bytes of an IP address for an iPAddress GeneralName: 4 for IPv4, 16 for IPv6. An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) becomes 4 bytes, as Go's net.IP.To4() makes it in MakeReceptorSAN. Throws a
 * UsageError quoting the value when it is not an IP address.
 */
export function ipToBytes(ip: string): Uint8Array {
  // A zone (fe80::1%eth0) passes isIP but has no place in a certificate.
  const kind = ip.includes('%') ? 0 : isIP(ip);
  if (kind === 4) return Uint8Array.from(ip.split('.').map(Number));
  if (kind !== 6) {
    throw new UsageError(`invalid IP address '${ip}'`, { hint: 'use a literal IPv4 or IPv6 address, e.g. 127.0.0.1 or ::1' });
  }
  // The WHATWG URL parser canonicalises IPv6 (embedded dotted quads become hex groups), which leaves at
  // most one '::' and only hex groups to expand.
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.includes('::') ? canonical.split('::') : [canonical, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** Text form of iPAddress bytes; other lengths (e.g. name constraints' address+mask) as hex. */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  }
  return Buffer.from(bytes).toString('hex');
}

/** Canonical text of an IP address (what `inspect` will show after a round trip). */
export function normalizeIp(ip: string): string {
  return bytesToIp(ipToBytes(ip));
}

function checkDnsName(name: string): Uint8Array {
  // dNSName is an IA5String: ASCII only. Internationalised names must be given in their xn-- form.
  if (name === '' || !/^[\x21-\x7e]+$/.test(name)) {
    throw new UsageError(`invalid DNS name '${name}'`, { hint: 'use ASCII letters, digits, dots and dashes (xn-- form for IDNs)' });
  }
  return Buffer.from(name, 'ascii');
}

function checkNodeId(id: string): Uint8Array {
  if (id === '' || /[\s]/.test(id)) {
    throw new UsageError(`invalid node ID '${id}'`, { hint: 'a Receptor node ID is a non-empty name without spaces' });
  }
  return Buffer.from(id, 'utf8');
}

/** The value of one node-ID otherName GeneralName (tag A0 included). */
export function encodeNodeIdGeneralName(nodeId: string): Uint8Array {
  return encodeTlv(
    GN_OTHER_NAME,
    concat([
      encodeTlv(TAG.OID, encodeOidContent(RECEPTOR_NODE_ID_OID)),
      encodeTlv(EXPLICIT_0, encodeTlv(TAG.UTF8_STRING, checkNodeId(nodeId))),
    ]),
  );
}

/** True when there is at least one name to put in a subjectAltName. */
export function hasNames(names: Partial<SubjectNames>): boolean {
  return Boolean(names.dnsNames?.length || names.ipAddresses?.length || names.nodeIds?.length);
}

/**
 * DER of the subjectAltName extension value (the GeneralNames SEQUENCE), in Receptor's order. Throws
 * UsageError for a bad DNS name, IP or node ID.
 */
export function encodeSubjectAltName(names: Partial<SubjectNames>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const dns of names.dnsNames ?? []) parts.push(encodeTlv(GN_DNS, checkDnsName(dns)));
  for (const ip of names.ipAddresses ?? []) parts.push(encodeTlv(GN_IP, ipToBytes(ip)));
  for (const id of names.nodeIds ?? []) parts.push(encodeNodeIdGeneralName(id));
  return encodeTlv(TAG.SEQUENCE, concat(parts));
}

/**
 * Reads a subjectAltName extension value. Node IDs are read like Receptor's decodeReceptorName: an
 * otherName with the Receptor OID whose [0] holds a string.
 */
export function decodeSubjectAltName(value: Uint8Array): DecodedSubjectNames {
  const out: DecodedSubjectNames = { dnsNames: [], ipAddresses: [], nodeIds: [], emails: [], uris: [], others: [] };
  const seq = readSingle(value);
  for (const gn of readChildren(seq.content)) {
    const text = (): string => Buffer.from(gn.content).toString('latin1');
    switch (gn.identifier) {
      case GN_DNS:
        out.dnsNames.push(text());
        break;
      case GN_IP:
        out.ipAddresses.push(bytesToIp(gn.content));
        break;
      case GN_EMAIL:
        out.emails.push(text());
        break;
      case GN_URI:
        out.uris.push(text());
        break;
      case GN_OTHER_NAME: {
        const [typeId, wrapped] = readChildren(gn.content);
        const oid = typeId && typeId.identifier === TAG.OID ? decodeOid(typeId.content) : '?';
        let nodeId: string | undefined;
        if (oid === RECEPTOR_NODE_ID_OID && wrapped?.identifier === EXPLICIT_0) {
          const [inner] = readChildren(wrapped.content);
          if (inner) nodeId = decodeString(inner);
        }
        if (nodeId !== undefined) out.nodeIds.push(nodeId);
        else out.others.push(`othername:${oid}`);
        break;
      }
      default:
        out.others.push(`generalname:[${gn.tagNumber}]`);
    }
  }
  return out;
}
