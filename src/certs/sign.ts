// Signing a request with a CA, as Receptor does (pkg/certificates/ca.go, SignCertReq): the request's
// subject, its public key and its subjectAltName extension copied byte for byte (so node-ID otherNames
// survive), keyUsage digitalSignature (critical), extKeyUsage clientAuth+serverAuth, no basicConstraints,
// an authorityKeyIdentifier from the CA's subjectKeyIdentifier (Go adds it), one year by default.
// Checks Receptor leaves to chance: the request's own signature, that the CA key matches the CA
// certificate, and that the CA certificate may sign certificates.
import { MeshctlError } from '../errors.js';
import { parsePrivateKey, spkiDer, toSigningKeys } from './keys.js';
import { requestExtensions } from './node-ids.js';
import { toDer, toPem } from './pem.js';
import { SUBJECT_ALT_NAME_OID, decodeSubjectAltName, hasNames } from './san.js';
import type { SignRequestOptions, SignedCertificate } from './types.js';
import { CERT_VALIDITY_YEARS, validity } from './validity.js';
import { loadX509 } from './x509-stack.js';

function sameBytes(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  return Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a)).equals(Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)));
}

export async function signRequest(options: SignRequestOptions): Promise<SignedCertificate> {
  const x509 = await loadX509();
  const csrDer = toDer(options.csrPem, 'CERTIFICATE REQUEST');
  const caDer = toDer(options.caCertPem, 'CERTIFICATE');
  let csr: InstanceType<typeof x509.Pkcs10CertificateRequest>;
  let ca: InstanceType<typeof x509.X509Certificate>;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrDer);
  } catch (err) {
    throw new MeshctlError('EBADFILE', 'malformed certificate request', { cause: err, hint: 'make a new one with `meshctl cert makereq`' });
  }
  try {
    ca = new x509.X509Certificate(caDer);
  } catch (err) {
    throw new MeshctlError('EBADFILE', 'malformed CA certificate', { cause: err, hint: 'check --ca-cert' });
  }
  const caKey = parsePrivateKey(options.caKeyPem);

  if (!(await csr.verify())) {
    throw new MeshctlError('EBADFILE', 'the certificate request signature does not verify', { hint: 'the request was altered or damaged; make a new one' });
  }
  const san = requestExtensions(csrDer).find((e) => e.oid === SUBJECT_ALT_NAME_OID);
  if (!san || !hasNames(decodeSubjectAltName(san.value))) {
    // Receptor's SignReq: "cannot sign: no names found in certificate".
    throw new MeshctlError('EBADFILE', 'cannot sign: the request has no DNS name, IP address or node ID', {
      hint: 'make the request with --dns-name, --ip-address or --node-id',
    });
  }
  if (!sameBytes(spkiDer(caKey), ca.publicKey.rawData)) {
    throw new MeshctlError('EBADFILE', 'the CA key does not match the CA certificate', { hint: 'check --ca-cert and --ca-key' });
  }
  const basic = ca.getExtension(x509.BasicConstraintsExtension);
  const usage = ca.getExtension(x509.KeyUsagesExtension);
  if (!basic?.ca || (usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0)) {
    throw new MeshctlError('EBADFILE', `'${ca.subject}' is not a CA certificate`, { hint: 'use the certificate made by `meshctl cert init`' });
  }

  const period = validity(options.notBefore, options.notAfter, CERT_VALIDITY_YEARS);
  const extensions: InstanceType<typeof x509.Extension>[] = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
  ];
  const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) extensions.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId));
  // The request's SAN extension, unchanged (Receptor copies it into ExtraExtensions).
  extensions.push(new x509.Extension(san.full));

  const keys = await toSigningKeys(caKey);
  const cert = await x509.X509CertificateGenerator.create({
    subject: csr.subjectName,
    issuer: ca.subjectName,
    notBefore: period.notBefore,
    notAfter: period.notAfter,
    publicKey: csr.publicKey.rawData,
    signingKey: keys.privateKey as never,
    extensions,
  });
  return { certPem: toPem('CERTIFICATE', cert.rawData) };
}
