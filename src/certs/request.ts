// Certificate requests as Receptor makes them (pkg/certificates/ca.go, CreateCertReq): subject CN only,
// the names in one subjectAltName extension in the extensionRequest attribute, signed SHA256-RSA.
import { UsageError } from '../errors.js';
import { checkCommonName } from './ca.js';
import { generateRsaKey, parsePrivateKey, privateKeyToPem, toSigningKeys } from './keys.js';
import { toPem } from './pem.js';
import { SUBJECT_ALT_NAME_OID, encodeSubjectAltName, hasNames } from './san.js';
import type { CreateRequestOptions, CreatedRequest } from './types.js';
import { loadX509 } from './x509-stack.js';

export async function createRequest(options: CreateRequestOptions): Promise<CreatedRequest> {
  const commonName = checkCommonName(options.commonName);
  if (options.keyPem !== undefined && options.bits !== undefined) {
    throw new UsageError('key bits apply only to a new key', { hint: 'drop --bits when using --in-key' });
  }
  // Encode (and so validate) the names before spending time on a key.
  // Receptor writes an empty SAN when there are no names; RFC 5280 forbids an empty one, so we omit it.
  const san = hasNames(options) ? encodeSubjectAltName(options) : undefined;
  const newKey = options.keyPem === undefined;
  const key = options.keyPem !== undefined ? parsePrivateKey(options.keyPem) : await generateRsaKey(options.bits);
  const x509 = await loadX509();
  const keys = await toSigningKeys(key);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys: keys as never,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as never,
    extensions: san ? [new x509.Extension(SUBJECT_ALT_NAME_OID, false, san)] : [],
  });
  return { csrPem: toPem('CERTIFICATE REQUEST', csr.rawData), keyPem: privateKeyToPem(key), newKey };
}
