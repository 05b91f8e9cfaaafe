// RSA keys: generated with node:crypto (the fastest generator here, ~0.2 s for 2048 bits) and written as
// PKCS#1 "RSA PRIVATE KEY" PEM, the form Receptor writes (pkg/certificates/ca.go, SaveToPEMFile) and the
// only one its LoadPrivateKey callers are guaranteed to read. WebCrypto (used by @peculiar/x509 to sign)
// cannot import PKCS#1, so keys cross over as PKCS#8 / SPKI DER.
import { createPrivateKey, createPublicKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { MeshctlError, UsageError } from '../errors.js';
import { isEncryptedKeyPem } from '../transport/tls-material.js';

const DECRYPT_KEY_HINT = 'decrypt it first, e.g. `openssl rsa -in KEY -out PLAIN.key`';

const generateKeyPairAsync = promisify(generateKeyPair);

export const DEFAULT_BITS = 2048;
/** Go's crypto/rsa refuses keys under 1024 bits; beyond 16384 generation takes minutes. */
export const MIN_BITS = 1024;
export const MAX_BITS = 16384;

export function checkBits(bits: number): number {
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    throw new UsageError(`invalid key size '${bits}'`, { hint: `use a whole number of bits from ${MIN_BITS} to ${MAX_BITS}, e.g. 2048` });
  }
  return bits;
}

/** A new RSA private key (public exponent 65537, like Go's rsa.GenerateKey). */
export async function generateRsaKey(bits: number = DEFAULT_BITS): Promise<KeyObject> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: checkBits(bits), publicExponent: 0x10001 });
  return privateKey;
}

/** PKCS#1 PEM ("RSA PRIVATE KEY"), as Receptor writes keys. */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs1', format: 'pem' }).toString();
}

/**
 * Parses a private key PEM (PKCS#1 or PKCS#8). Encrypted keys are refused: Receptor's certificate
 * commands cannot use them either.
 */
export function parsePrivateKey(pem: string): KeyObject {
  if (isEncryptedKeyPem(pem)) {
    throw new MeshctlError('EBADFILE', 'private key is encrypted', { hint: DECRYPT_KEY_HINT });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new MeshctlError('EBADFILE', 'not a PEM private key', { cause: err, hint: 'expected -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----' });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new MeshctlError('EBADFILE', `unsupported private key type '${key.asymmetricKeyType}'`, { hint: 'Receptor certificates use RSA keys' });
  }
  return key;
}

/** SubjectPublicKeyInfo DER of a private or public key. */
export function spkiDer(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
}

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** The key as WebCrypto keys for signing with SHA256-RSA (Go's default for RSA keys). */
export async function toSigningKeys(key: KeyObject): Promise<{ privateKey: webcrypto.CryptoKey; publicKey: webcrypto.CryptoKey }> {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, RSA_SHA256, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', spkiDer(key), RSA_SHA256, true, ['verify']);
  return { privateKey, publicKey };
}

/** Algorithm and size of a SubjectPublicKeyInfo, e.g. { algorithm: 'RSA', bits: 2048 }. */
export function describePublicKey(spki: Uint8Array): { algorithm: string; bits?: number; curve?: string } {
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const details = key.asymmetricKeyDetails ?? {};
    const algorithm = (key.asymmetricKeyType ?? 'unknown').toUpperCase();
    const out: { algorithm: string; bits?: number; curve?: string } = { algorithm: algorithm === 'EC' ? 'ECDSA' : algorithm };
    if (details.modulusLength) out.bits = details.modulusLength;
    if (details.namedCurve) out.curve = details.namedCurve;
    return out;
  } catch {
    return { algorithm: 'unknown' };
  }
}
