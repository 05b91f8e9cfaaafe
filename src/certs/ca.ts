// A self-signed CA, shaped like Receptor's (pkg/certificates/ca.go, CreateCA): subject CN only,
// basicConstraints CA:TRUE (critical), keyUsage digitalSignature+keyCertSign (critical), extKeyUsage
// clientAuth+serverAuth, a subjectKeyIdentifier (Go adds one to CA certificates). Unlike Receptor,
// serial numbers are 128 random bits instead of the Unix time, so two CAs made in the same second differ.
import { UsageError } from '../errors.js';
import { generateRsaKey, parsePrivateKey, privateKeyToPem, spkiDer, toSigningKeys } from './keys.js';
import { toPem } from './pem.js';
import type { CreateCaOptions, CreatedCa } from './types.js';
import { CA_VALIDITY_YEARS, validity } from './validity.js';
import { loadX509 } from './x509-stack.js';

export function checkCommonName(commonName: string): string {
  if (typeof commonName !== 'string' || commonName.trim() === '') {
    throw new UsageError('a common name is required', { hint: 'pass --common-name NAME (or commonname=NAME)' });
  }
  return commonName;
}

export async function createCa(options: CreateCaOptions): Promise<CreatedCa> {
  const commonName = checkCommonName(options.commonName);
  const period = validity(options.notBefore, options.notAfter, CA_VALIDITY_YEARS);
  const key = options.keyPem !== undefined ? parsePrivateKey(options.keyPem) : await generateRsaKey(options.bits);
  const x509 = await loadX509();
  const keys = await toSigningKeys(key);
  const spki = spkiDer(key);
  const cert = await x509.X509CertificateGenerator.create({
    subject: [{ CN: [commonName] }],
    issuer: [{ CN: [commonName] }],
    notBefore: period.notBefore,
    notAfter: period.notAfter,
    publicKey: spki,
    signingKey: keys.privateKey as never,
    extensions: [
      // Same set and order as Go's buildCertExtensions for Receptor's CA template.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
      new x509.BasicConstraintsExtension(true, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(spki),
    ],
  });
  return { certPem: toPem('CERTIFICATE', cert.rawData), keyPem: privateKeyToPem(key) };
}
