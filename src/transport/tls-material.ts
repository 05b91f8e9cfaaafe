// Checks on TLS key material before OpenSSL sees it. Kept in the transport layer, away from src/certs, so that
// `meshctl status` over tls:// loads no certificate code (the start-up test pins which areas a command loads).

/**
 * True when `text` holds an encrypted private key: PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy PEM key with
 * `Proc-Type: 4,ENCRYPTED`. Checked before OpenSSL sees the key: without a passphrase OpenSSL decrypts with an
 * empty one, and about one time in 200 the garbage happens to end in valid padding, so its error is then
 * `DECODER routines::unsupported` instead of `bad decrypt` and says nothing about encryption.
 */
export function isEncryptedKeyPem(text: string | Uint8Array): boolean {
  const s = typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
  return s.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /^Proc-Type:\s*4,\s*ENCRYPTED\s*$/m.test(s);
}
