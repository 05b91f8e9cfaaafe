// Reading names (DNS, IP, Receptor node IDs) out of certificates and requests with the small DER reader.
// Synchronous and dependency-free: TLS code calls nodeIdsFromCertificate inside checkServerIdentity /
// on 'secureConnection', where Node exposes the peer's node IDs only as `othername:<unsupported>` in
// getPeerCertificate().subjectaltname; read them from getPeerX509Certificate().raw (or .raw of the
// legacy object) instead.
import { MeshctlError } from '../errors.js';
import { TAG, decodeOid, readChildren, readSingle, type Tlv } from './der.js';
import { toDer } from './pem.js';
import { SUBJECT_ALT_NAME_OID, decodeSubjectAltName, type DecodedSubjectNames } from './san.js';

export interface RawExtension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING's content. */
  value: Uint8Array;
  /** The whole Extension SEQUENCE, to copy it unchanged. */
  full: Uint8Array;
}

/** PKCS#9 extensionRequest attribute, where a CSR carries its wanted extensions. */
const EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14';

function bad(what: string): MeshctlError {
  return new MeshctlError('EBADFILE', `malformed ${what}`, { hint: 'the file is not a valid X.509 certificate or request' });
}

function parseExtensions(seq: Tlv): RawExtension[] {
  return readChildren(seq.content).map((ext) => {
    const parts = readChildren(ext.content);
    const oid = parts[0];
    const critical = parts.length === 3 && parts[1]!.identifier === TAG.BOOLEAN && parts[1]!.content[0] !== 0;
    const value = parts[parts.length - 1];
    if (!oid || oid.identifier !== TAG.OID || !value || value.identifier !== TAG.OCTET_STRING) throw bad('extension');
    return { oid: decodeOid(oid.content), critical, value: value.content, full: ext.full };
  });
}

/** The top-level parts of a signed object: the to-be-signed body, the signature algorithm OID. */
function signedParts(der: Uint8Array, what: string): { body: Tlv[]; signatureAlgorithmOid: string } {
  const outer = readSingle(der);
  const [tbs, sigAlg] = readChildren(outer.content);
  if (outer.identifier !== TAG.SEQUENCE || tbs?.identifier !== TAG.SEQUENCE || sigAlg?.identifier !== TAG.SEQUENCE) {
    throw bad(what);
  }
  const [algOid] = readChildren(sigAlg.content);
  if (algOid?.identifier !== TAG.OID) throw bad(what);
  return { body: readChildren(tbs.content), signatureAlgorithmOid: decodeOid(algOid.content) };
}

/** Extensions of a certificate (DER). */
export function certificateExtensions(der: Uint8Array): RawExtension[] {
  const { body } = signedParts(der, 'certificate');
  const exts = body.find((t) => t.identifier === 0xa3); // [3] EXPLICIT Extensions
  if (!exts) return [];
  const [seq] = readChildren(exts.content);
  return seq ? parseExtensions(seq) : [];
}

/** Extensions a certificate request (DER) asks for, from its extensionRequest attribute. */
export function requestExtensions(der: Uint8Array): RawExtension[] {
  const { body } = signedParts(der, 'certificate request');
  const attrs = body.find((t) => t.identifier === 0xa0); // [0] IMPLICIT SET OF Attribute
  if (!attrs) return [];
  const out: RawExtension[] = [];
  for (const attr of readChildren(attrs.content)) {
    const [oid, values] = readChildren(attr.content);
    if (oid?.identifier !== TAG.OID || decodeOid(oid.content) !== EXTENSION_REQUEST_OID || !values) continue;
    for (const seq of readChildren(values.content)) out.push(...parseExtensions(seq));
  }
  return out;
}

/** OID of the algorithm that signed a certificate or request (DER). */
export function signatureAlgorithmOid(der: Uint8Array): string {
  return signedParts(der, 'certificate or request').signatureAlgorithmOid;
}

function namesOf(exts: RawExtension[]): DecodedSubjectNames {
  const names: DecodedSubjectNames = { dnsNames: [], ipAddresses: [], nodeIds: [], emails: [], uris: [], others: [] };
  for (const ext of exts) {
    if (ext.oid !== SUBJECT_ALT_NAME_OID) continue;
    const got = decodeSubjectAltName(ext.value);
    for (const key of Object.keys(names) as (keyof DecodedSubjectNames)[]) names[key].push(...got[key]);
  }
  return names;
}

/** DNS names, IPs, node IDs (and other SAN entries) of a certificate, PEM or DER. */
export function namesFromCertificate(derOrPem: Uint8Array | string): DecodedSubjectNames {
  return namesOf(certificateExtensions(toDer(derOrPem, 'CERTIFICATE')));
}

/** The names a certificate request (PEM or DER) asks for. */
export function namesFromRequest(derOrPem: Uint8Array | string): DecodedSubjectNames {
  return namesOf(requestExtensions(toDer(derOrPem, 'CERTIFICATE REQUEST')));
}

/**
 * Receptor node IDs in a certificate's subjectAltName (PEM text or DER bytes, e.g.
 * `socket.getPeerX509Certificate().raw`). Empty when it has none. Throws MeshctlError('EBADFILE') when
 * the bytes are not a certificate.
 */
export function nodeIdsFromCertificate(derOrPem: Uint8Array | string): string[] {
  return namesFromCertificate(derOrPem).nodeIds;
}
