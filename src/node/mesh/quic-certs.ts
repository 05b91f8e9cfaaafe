// The certificate a QUIC service listener shows when no tls-server is configured, and the dialer's check of it.
// Receptor 1.6.5 pkg/netceptor/conn.go: generateServerTLSConfig makes an RSA-2048 certificate, serial 1, subject
// CN=netceptor-insecure-common-name, valid from a minute ago for 24 hours; the dialer's verifyServerCertificate
// skips chain validation and accepts any chain holding a certificate with that common name.
// Receptor makes one per listener; generating RSA keys takes a noticeable fraction of a second on a busy machine, so
// meshctl makes one per process on first need and shares it (remade when half its life is gone, so a long-running
// node never shows an expired one, though receptor's dialer does not check dates).
import { X509Certificate } from 'node:crypto';
import { generateRsaKey, privateKeyToPem, spkiDer, toSigningKeys } from '../../certs/keys.js';
import { toPem } from '../../certs/pem.js';
import { loadX509 } from '../../certs/x509-stack.js';

export const INSECURE_COMMON_NAME = 'netceptor-insecure-common-name';

export interface QuicCertificate {
  certPem: string;
  keyPem: string;
}

const LIFETIME_MS = 24 * 60 * 60 * 1000;
const REMAKE_AFTER_MS = LIFETIME_MS / 2;

/** A fresh certificate shaped like generateServerTLSConfig's (subject CN only, no extensions, serial 1). */
export async function createInsecureCertificate(now: Date = new Date(), commonName = INSECURE_COMMON_NAME): Promise<QuicCertificate> {
  const key = await generateRsaKey(2048);
  const x509 = await loadX509();
  const keys = await toSigningKeys(key);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: [{ CN: [commonName] }],
    issuer: [{ CN: [commonName] }],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + LIFETIME_MS),
    publicKey: spkiDer(key),
    signingKey: keys.privateKey as never,
  });
  return { certPem: toPem('CERTIFICATE', cert.rawData), keyPem: privateKeyToPem(key) };
}

let cached: { cert: QuicCertificate; made: number } | undefined;
let making: Promise<QuicCertificate> | undefined;

/** The process's shared insecure listener certificate, made on first call. */
export function insecureServerCertificate(): Promise<QuicCertificate> {
  const current = cachedInsecureServerCertificate();
  if (current) return Promise.resolve(current);
  making ??= createInsecureCertificate()
    .then((cert) => {
      cached = { cert, made: Date.now() };
      return cert;
    })
    .finally(() => {
      making = undefined;
    });
  return making;
}

/** The shared certificate if it is made and still young enough, without waiting. */
export function cachedInsecureServerCertificate(): QuicCertificate | undefined {
  if (cached && Date.now() - cached.made < REMAKE_AFTER_MS) return cached.cert;
  return undefined;
}

/**
 * conn.go verifyServerCertificate: true when any certificate of the chain parses and its subject's common name is
 * exactly INSECURE_COMMON_NAME (Go's pkix.Name.CommonName holds the last CN attribute; unparsable ones are skipped).
 */
export function hasInsecureCommonName(chainDer: readonly Uint8Array[]): boolean {
  for (const der of chainDer) {
    let subject: string;
    try {
      subject = new X509Certificate(Buffer.from(der.buffer, der.byteOffset, der.byteLength)).subject;
    } catch {
      continue;
    }
    const cns = subject.split('\n').filter((line) => line.startsWith('CN='));
    if (cns.length > 0 && cns[cns.length - 1] === `CN=${INSECURE_COMMON_NAME}`) return true;
  }
  return false;
}
