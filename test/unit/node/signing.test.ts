// Work tokens: made like Receptor's createSignature (RS512, aud [node], exp) and checked like its
// VerifySignature (golang-jwt v4 texts). receptor 1.6.5 accepted tokens from signWorkToken in a manual
// check; these tests pin the format and the error texts.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadRsaPublicKey, signWorkToken, verifyWorkToken } from '../../../src/node/work/signing.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('work signing tokens', () => {
  it('signing - token header and claims as golang-jwt writes them', () => {
    const now = 1_700_000_000_000;
    const tok = signWorkToken(pkcs1, 'node1', { now, expiresInMs: 60_000 });
    const [h, c] = tok.split('.');
    expect(Buffer.from(h!, 'base64url').toString()).toBe('{"alg":"RS512","typ":"JWT"}');
    expect(Buffer.from(c!, 'base64url').toString()).toBe(`{"aud":["node1"],"exp":${(now + 60_000) / 1000}}`);
  });

  it('signing - a fresh token verifies, with the audience checked separately', () => {
    const key = loadRsaPublicKey(spki);
    expect(verifyWorkToken(signWorkToken(privateKey, 'node1'), key, 'node1').audienceOk).toBe(true);
    expect(verifyWorkToken(signWorkToken(privateKey, 'node2'), key, 'node1').audienceOk).toBe(false);
  });

  it('signing - golang-jwt error texts', () => {
    const key = loadRsaPublicKey(spki);
    const now = Date.now();
    expect(() => verifyWorkToken('abc', key, 'n')).toThrow('token contains an invalid number of segments');
    expect(() => verifyWorkToken(signWorkToken(other.privateKey, 'n'), key, 'n')).toThrow('crypto/rsa: verification error');
    expect(() => verifyWorkToken(signWorkToken(privateKey, 'n', { now: now - 120_500, expiresInMs: 0 }), key, 'n', now)).toThrow(
      /^token is expired by 2m[01](\.\d+)?s$/,
    );
    expect(() => verifyWorkToken(`${b64({ alg: 'none' })}.${b64({})}.`, key, 'n')).toThrow("'none' signature type is not allowed");
    expect(() => verifyWorkToken(`${b64({ alg: 'HS256' })}.${b64({})}.x`, key, 'n')).toThrow('key is of invalid type');
    expect(() => verifyWorkToken(`${b64({ alg: 'XX1' })}.${b64({})}.x`, key, 'n')).toThrow('signing method (alg) is unavailable.');
    expect(() => verifyWorkToken(`${b64({ typ: 'JWT' })}.${b64({})}.x`, key, 'n')).toThrow('signing method (alg) is unspecified.');
  });

  it('signing - a token without exp is accepted (exp is optional in RegisteredClaims)', () => {
    const key = loadRsaPublicKey(spki);
    const head = `${b64({ alg: 'RS512', typ: 'JWT' })}.${b64({ aud: 'n' })}`;
    const sig = createSign('RSA-SHA512').update(head).sign(privateKey).toString('base64url');
    expect(verifyWorkToken(`${head}.${sig}`, key, 'n').audienceOk).toBe(true);
  });
});
