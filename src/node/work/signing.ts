// Work signing: RS512 JSON Web Tokens as Receptor makes and checks them (pkg/workceptor/workceptor.go
// createSignature / VerifySignature, with github.com/golang-jwt/jwt/v4). Claims are the registered
// `aud` = [target node ID] and `exp` = now + tokenexpiration. node:crypto does the RSA work; no JWT
// library is needed. Error texts are golang-jwt's, so clients see what Receptor would say.
import { createPrivateKey, createPublicKey, createSign, createVerify, constants, type KeyObject } from 'node:crypto';
import { formatGoDuration } from '../../protocol/duration.js';

export class JwtError extends Error {
  override name = 'JwtError';
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function decodeSegment(seg: string): Buffer {
  // golang-jwt DecodeSegment: RawURLEncoding (padding tolerated by stripping it).
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(seg)) {
    const bad = seg.search(/[^A-Za-z0-9_=-]/);
    throw new JwtError(`illegal base64 data at input byte ${bad < 0 ? 0 : bad}`);
  }
  return Buffer.from(seg.replace(/=+$/, ''), 'base64url');
}

/** Loads a PEM private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8), as certificates.LoadPrivateKey. */
export function loadRsaPrivateKey(pem: string | Buffer): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new Error('private key file does not contain private key data');
  return key;
}

/** Loads a PEM public key (PKIX `PUBLIC KEY`, or PKCS#1 `RSA PUBLIC KEY`), as certificates.LoadPublicKey. */
export function loadRsaPublicKey(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new Error('public key file does not contain public key data');
  return key;
}

export interface SignOptions {
  /** Token lifetime in milliseconds (Receptor's default SigningExpiration is 5 minutes). */
  expiresInMs?: number;
  now?: number;
}

/** A token Receptor accepts for work on `nodeId`: RS512, claims {aud:[nodeId], exp}. */
export function signWorkToken(privateKey: KeyObject | string | Buffer, nodeId: string, opts: SignOptions = {}): string {
  const key = typeof privateKey === 'string' || Buffer.isBuffer(privateKey) ? loadRsaPrivateKey(privateKey) : privateKey;
  const now = opts.now ?? Date.now();
  const exp = Math.floor((now + (opts.expiresInMs ?? 5 * 60_000)) / 1000);
  // Field order as golang-jwt marshals Header {alg, typ} and RegisteredClaims {aud, exp}.
  const header = b64url(JSON.stringify({ alg: 'RS512', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({ aud: [nodeId], exp }));
  const signer = createSign('RSA-SHA512');
  signer.update(`${header}.${claims}`);
  return `${header}.${claims}.${b64url(signer.sign(key))}`;
}

const RSA_ALGS: Record<string, { hash: string; pss: boolean }> = {
  RS256: { hash: 'RSA-SHA256', pss: false },
  RS384: { hash: 'RSA-SHA384', pss: false },
  RS512: { hash: 'RSA-SHA512', pss: false },
  PS256: { hash: 'RSA-SHA256', pss: true },
  PS384: { hash: 'RSA-SHA384', pss: true },
  PS512: { hash: 'RSA-SHA512', pss: true },
};
const OTHER_KNOWN_ALGS = new Set(['HS256', 'HS384', 'HS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);

interface Claims {
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
}

/**
 * jwt.ParseWithClaims(token, &RegisteredClaims{}, key) followed by Receptor's audience check.
 * Throws JwtError with golang-jwt's message, or `token audience did not match node ID`; the caller adds
 * Receptor's `could not verify signature: ` prefix where Receptor does (see Workceptor.verifySignature).
 */
export function verifyWorkToken(
  token: string,
  publicKey: KeyObject,
  nodeId: string,
  now = Date.now(),
): { claims: Claims; audienceOk: boolean } {
  if (token.toLowerCase().startsWith('bearer ')) throw new JwtError("tokenstring should not contain 'bearer '");
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('token contains an invalid number of segments');
  let header: { alg?: unknown };
  let claims: Claims;
  try {
    header = JSON.parse(decodeSegment(parts[0]!).toString('utf8')) as { alg?: unknown };
  } catch (err) {
    throw new JwtError(err instanceof JwtError ? err.message : 'invalid character in token header');
  }
  try {
    claims = JSON.parse(decodeSegment(parts[1]!).toString('utf8')) as Claims;
  } catch (err) {
    throw new JwtError(err instanceof JwtError ? err.message : 'invalid character in token claims');
  }
  const alg = typeof header.alg === 'string' ? header.alg : '';
  if (alg === '') throw new JwtError('signing method (alg) is unspecified.');
  const method = RSA_ALGS[alg];
  if (!method) {
    if (alg === 'none') throw new JwtError("'none' signature type is not allowed");
    if (OTHER_KNOWN_ALGS.has(alg)) throw new JwtError('key is of invalid type');
    throw new JwtError('signing method (alg) is unavailable.');
  }
  const sig = decodeSegment(parts[2]!);
  const verifier = createVerify(method.hash);
  verifier.update(`${parts[0]}.${parts[1]}`);
  const ok = method.pss
    ? verifier.verify({ key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig)
    : verifier.verify(publicKey, sig);
  if (!ok) throw new JwtError('crypto/rsa: verification error');
  // RegisteredClaims.Valid: exp, iat, nbf, all optional; the last failing check's text wins (as in Go).
  let problem: string | undefined;
  const nowSec = now / 1000;
  if (typeof claims.exp === 'number' && !(nowSec < claims.exp)) {
    const deltaNs = BigInt(Math.round((nowSec - claims.exp) * 1e9));
    problem = `token is expired by ${formatGoDuration(deltaNs)}`;
  }
  if (typeof claims.iat === 'number' && nowSec < claims.iat) problem = 'token used before issued';
  if (typeof claims.nbf === 'number' && nowSec < claims.nbf) problem = 'token is not valid yet';
  if (problem) throw new JwtError(problem);
  const aud = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  // VerifyAudience(nodeID, required=true): an empty audience fails.
  const audienceOk = aud.some((a) => a === nodeId);
  return { claims, audienceOk };
}
