// Describing certificates and requests (for `meshctl cert inspect` and signreq's confirmation prompt).
import { createHash } from 'node:crypto';
import { MeshctlError } from '../errors.js';
import { extKeyUsageName, keyUsageNames, signatureAlgorithmName } from './algorithms.js';
import { describePublicKey } from './keys.js';
import { namesFromCertificate, namesFromRequest, signatureAlgorithmOid } from './node-ids.js';
import { pemBlocks, toDer } from './pem.js';
import type { CertificateInfo } from './types.js';
import { loadX509 } from './x509-stack.js';
import type { DecodedSubjectNames } from './san.js';

function nameFields(names: DecodedSubjectNames): Pick<CertificateInfo, 'dnsNames' | 'ipAddresses' | 'nodeIds' | 'otherNames'> {
  return {
    dnsNames: names.dnsNames,
    ipAddresses: names.ipAddresses,
    nodeIds: names.nodeIds,
    otherNames: [...names.emails.map((e) => `email:${e}`), ...names.uris.map((u) => `uri:${u}`), ...names.others],
  };
}

function wrapParse<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MeshctlError) throw err;
    throw new MeshctlError('EBADFILE', `malformed ${what}`, { cause: err, hint: 'the file is damaged or not X.509' });
  }
}

export function colonHex(bytes: Uint8Array | Buffer): string {
  return Buffer.from(bytes).toString('hex').toUpperCase().match(/../g)!.join(':');
}

/** Describes one DER certificate. */
export async function inspectCertificateDer(der: Uint8Array): Promise<CertificateInfo> {
  const x509 = await loadX509();
  const cert = wrapParse('certificate', () => new x509.X509Certificate(der));
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const cn = cert.subjectName.getField('CN')[0];
  const info: CertificateInfo = {
    kind: 'certificate',
    subject: cert.subject,
    ...(cn !== undefined ? { commonName: cn } : {}),
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: Boolean(basic?.ca),
    selfSigned: Buffer.from(cert.subjectName.toArrayBuffer()).equals(Buffer.from(cert.issuerName.toArrayBuffer())),
    ...nameFields(namesFromCertificate(der)),
    publicKey: describePublicKey(new Uint8Array(cert.publicKey.rawData)),
    signatureAlgorithm: signatureAlgorithmName(signatureAlgorithmOid(der)),
    fingerprintSha256: colonHex(createHash('sha256').update(der).digest()),
  };
  if (usage) info.keyUsage = keyUsageNames(usage.usages);
  if (eku) info.extKeyUsage = Array.from(eku.usages, (u) => extKeyUsageName(String(u)));
  return info;
}

/** Describes one DER certificate request, checking its self-signature. */
export async function inspectRequestDer(der: Uint8Array): Promise<CertificateInfo> {
  const x509 = await loadX509();
  const csr = wrapParse('certificate request', () => new x509.Pkcs10CertificateRequest(der));
  let signatureValid = false;
  try {
    signatureValid = await csr.verify();
  } catch {
    signatureValid = false;
  }
  const cn = csr.subjectName.getField('CN')[0];
  const info: CertificateInfo = {
    kind: 'request',
    subject: csr.subject,
    ...(cn !== undefined ? { commonName: cn } : {}),
    ...nameFields(namesFromRequest(der)),
    publicKey: describePublicKey(new Uint8Array(csr.publicKey.rawData)),
    signatureAlgorithm: signatureAlgorithmName(signatureAlgorithmOid(der)),
    signatureValid,
  };
  return info;
}

/**
 * Describes every certificate and certificate request in `input` (PEM text with one or more blocks,
 * or DER bytes of one certificate). Other PEM blocks (keys) are skipped. Throws EBADFILE when there is
 * nothing to describe.
 */
export async function inspectAll(input: string | Uint8Array): Promise<CertificateInfo[]> {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (!text.includes('-----BEGIN ')) {
    if (typeof input === 'string') {
      throw new MeshctlError('EBADFILE', 'no certificate or certificate request found', { hint: 'expected a PEM or DER file' });
    }
    // DER: a certificate, else a request.
    try {
      return [await inspectCertificateDer(input)];
    } catch {
      return [await inspectRequestDer(input)];
    }
  }
  const out: CertificateInfo[] = [];
  for (const block of pemBlocks(typeof input === 'string' ? input : Buffer.from(input).toString('utf8'))) {
    if (block.type === 'CERTIFICATE') out.push(await inspectCertificateDer(block.der));
    else if (block.type === 'CERTIFICATE REQUEST' || block.type === 'NEW CERTIFICATE REQUEST') out.push(await inspectRequestDer(block.der));
  }
  if (out.length === 0) {
    throw new MeshctlError('EBADFILE', 'no certificate or certificate request found', {
      hint: 'expected -----BEGIN CERTIFICATE----- or -----BEGIN CERTIFICATE REQUEST-----',
    });
  }
  return out;
}

/** Describes the first certificate or request in `input` (PEM or DER). */
export async function inspect(input: string | Uint8Array): Promise<CertificateInfo> {
  return (await inspectAll(input))[0]!;
}

/** Convenience for callers holding PEM of a certificate only. */
export async function inspectCertificate(pem: string): Promise<CertificateInfo> {
  return inspectCertificateDer(toDer(pem, 'CERTIFICATE'));
}
