// Shapes of the certificate library's inputs and outputs. PEM strings in, PEM strings out: the
// commands do the file I/O.
import type { SubjectNames } from './san.js';

export interface CreateCaOptions {
  commonName: string;
  /** RSA key size; default 2048. Ignored when `keyPem` is given. */
  bits?: number;
  /** Use this private key instead of generating one. */
  keyPem?: string;
  /** Default: now. */
  notBefore?: Date;
  /** Default: 10 years from now (Receptor's CreateCA). */
  notAfter?: Date;
}

export interface CreatedCa {
  certPem: string;
  /** PKCS#1 "RSA PRIVATE KEY" PEM. */
  keyPem: string;
}

export interface CreateRequestOptions extends Partial<SubjectNames> {
  commonName: string;
  /** Existing private key (PEM); otherwise a new RSA key of `bits` (default 2048) is generated. */
  keyPem?: string;
  bits?: number;
}

export interface CreatedRequest {
  csrPem: string;
  /** PKCS#1 PEM of the key used (the new one, or `keyPem` re-encoded). */
  keyPem: string;
  /** True when a new key was generated. */
  newKey: boolean;
}

export interface SignRequestOptions {
  csrPem: string;
  caCertPem: string;
  caKeyPem: string;
  /** Default: now. */
  notBefore?: Date;
  /** Default: 1 year from now (Receptor's SignCertReq). */
  notAfter?: Date;
}

export interface SignedCertificate {
  certPem: string;
}

export interface PublicKeyInfo {
  /** 'RSA', 'ECDSA', 'ED25519', ... */
  algorithm: string;
  bits?: number;
  curve?: string;
}

/** What `inspect` reports about one certificate or certificate request. */
export interface CertificateInfo {
  kind: 'certificate' | 'request';
  subject: string;
  commonName?: string;
  /** Certificates only. */
  issuer?: string;
  serialNumber?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** Certificates only: true when basicConstraints says CA. */
  isCa?: boolean;
  selfSigned?: boolean;
  dnsNames: string[];
  ipAddresses: string[];
  nodeIds: string[];
  /** Other subjectAltName entries (emails, URIs, unknown otherNames), for display. */
  otherNames: string[];
  publicKey: PublicKeyInfo;
  /** Go's spelling, as Receptor's signreq prompt shows it: 'SHA256-RSA', 'ECDSA-SHA256', ... */
  signatureAlgorithm: string;
  keyUsage?: string[];
  extKeyUsage?: string[];
  /** Certificates: SHA-256 of the DER, colon-separated hex (the form Receptor's pinned*cert options take). */
  fingerprintSha256?: string;
  /** Requests: whether the request's self-signature verifies. */
  signatureValid?: boolean;
}
