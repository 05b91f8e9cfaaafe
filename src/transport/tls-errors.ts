// Human wording for TLS failures. Node/OpenSSL codes are stable strings; messages are not.
import type { Address } from './address.js';

export const ENCRYPTED_CLIENT_KEY = 'the client key is encrypted (meshctl needs an unencrypted key)';

const CERT_CODES: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'server certificate is signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'server certificate is signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'server certificate is signed by an unknown authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'server certificate is signed by an unknown authority (self-signed CA not trusted)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'server certificate is self-signed and not trusted',
  CERT_HAS_EXPIRED: 'server certificate has expired',
  CERT_NOT_YET_VALID: 'server certificate is not yet valid',
  CERT_SIGNATURE_FAILURE: 'server certificate signature is invalid',
  CERT_REVOKED: 'server certificate is revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'server certificate does not match the host name',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'server requires a client certificate (pass --cert and --key)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'server rejected the client certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'server rejected the client certificate (unknown authority)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'server does not trust the client certificate authority',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'server rejected the client certificate: expired',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'no common TLS version with the server',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer with TLS',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the server did not answer with TLS',
  ERR_SSL_KEY_VALUES_MISMATCH: 'the client key does not match the client certificate',
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: 'the client key does not match the client certificate',
  ERR_OSSL_BAD_DECRYPT: ENCRYPTED_CLIENT_KEY,
  ERR_OSSL_PEM_NO_START_LINE: 'a certificate or key file is not PEM',
};

export function isTlsErrorCode(code: string): boolean {
  return code in CERT_CODES || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_OSSL_') || code.startsWith('CERT_');
}

export function describeTlsError(err: Error, _address?: Address): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return CERT_CODES[code] ?? err.message.replace(/^[^:]*routines:/, '').trim();
}
