// Certificate-chain verification for the node's TLS, so that the node accepts the chains Receptor (Go's
// crypto/x509) accepts.
//
// Why: OpenSSL takes a certificate whose issuer name equals its own subject, and which has no
// subjectKeyIdentifier that rules it out, for a self-signed one. Receptor's own test PKI issues every node
// certificate with the CA's subject (tests/utils/common.go: GenerateCA("ca", "localhost") and
// GenerateCertWithCA(..., "localhost", ...)), and Go leaves leaf certificates without a
// subjectKeyIdentifier, so OpenSSL answers DEPTH_ZERO_SELF_SIGNED_CERT where Go finds leaf → CA. Go builds
// chains by trying every candidate issuer and checking its signature (crypto/x509/verify.go buildChains).
//
// How: OpenSSL's verdict stands, except for its two "self-signed" verdicts, for which the chain is built
// again here the way Go does, with OpenSSL primitives (X509Certificate.checkIssued: names, key identifiers
// and the issuer's keyCertSign; X509Certificate.verify: the signature) and, for every certificate of the
// chain, the checks of Go's isValid: validity period, CA basic constraint and path length of issuers,
// extended key usage (serverAuth / clientAuth, as Receptor asks in pkg/netceptor/netceptor.go
// ReceptorVerifyFunc), and no critical extension left unchecked. Where this code cannot check what Go
// would (name constraints) it refuses: it is never weaker than Go or OpenSSL.
//
// Sockets for which OpenSSL gave no verdict (a server TLSSocket made without a tls.Server, see
// control/listeners.ts) are verified here in full.
import { X509Certificate } from 'node:crypto';
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';
import { decodeOid, readChildren, readSingle, TAG, type Tlv } from '../certs/der.js';
import { certificateExtensions, signatureAlgorithmOid, type RawExtension } from '../certs/node-ids.js';
import { pemBlocks } from '../certs/pem.js';

export type CertUsage = 'server' | 'client';

/** OpenSSL verdicts that Go may overturn (see the top of this file). */
const SELF_SIGNED_VERDICTS = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** Critical extensions whose meaning this code (or checkIssued) enforces; any other critical one refuses. */
const HANDLED_CRITICAL = new Set<string>([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.authorityKeyIdentifier,
  OID.extKeyUsage,
]);

/** Signature algorithms Go's x509 accepts on certificates (SHA-1 and MD5 are refused since Go 1.18). */
const SECURE_SIGNATURES = new Set([
  '1.2.840.113549.1.1.11', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13', // sha512WithRSAEncryption
  '1.2.840.113549.1.1.10', // RSASSA-PSS
  '1.2.840.10045.4.3.2', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4', // ecdsa-with-SHA512
  '1.3.101.112', // Ed25519
]);

const INSECURE_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'MD5-RSA',
  '1.2.840.113549.1.1.5': 'SHA1-RSA',
  '1.2.840.10045.4.1': 'ECDSA-SHA1',
  '1.2.840.10040.4.3': 'DSA-SHA1',
};

/** The facts about one certificate that path validation needs, read once from its DER. */
interface CertInfo {
  cert: X509Certificate;
  notBefore: Date;
  notAfter: Date;
  extensions: RawExtension[];
  /** undefined: no extKeyUsage extension (any usage). */
  extKeyUsage: string[] | undefined;
  /** basicConstraints pathLenConstraint; undefined when absent. */
  maxPathLen: number | undefined;
  signatureOid: string;
}

const infoCache = new WeakMap<X509Certificate, CertInfo>();

function parseTime(t: Tlv): Date {
  const s = Buffer.from(t.content).toString('latin1');
  // UTCTime YYMMDDHHMMSSZ (years 50-99 are 19xx, RFC 5280 4.1.2.5.1); GeneralizedTime YYYYMMDDHHMMSSZ.
  const m = t.identifier === TAG.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new Error(`bad certificate time '${s}'`);
  let year = Number(m[1]);
  if (t.identifier === TAG.UTC_TIME) year += year >= 50 ? 1900 : 2000;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function infoOf(cert: X509Certificate): CertInfo {
  const cached = infoCache.get(cert);
  if (cached) return cached;
  const der = new Uint8Array(cert.raw);
  const [tbs] = readChildren(readSingle(der).content);
  const fields = readChildren(tbs!.content);
  // [0] EXPLICIT version is optional; then serial, signature, issuer, validity.
  const validity = fields[fields[0]!.identifier === 0xa0 ? 4 : 3]!;
  const [from, to] = readChildren(validity.content);
  const extensions = certificateExtensions(der);
  const eku = extensions.find((e) => e.oid === OID.extKeyUsage);
  const bc = extensions.find((e) => e.oid === OID.basicConstraints);
  let maxPathLen: number | undefined;
  if (bc) {
    const pathLen = readChildren(readSingle(bc.value).content).find((t) => t.identifier === TAG.INTEGER);
    if (pathLen) maxPathLen = pathLen.content.reduce((n, b) => n * 256 + b, 0);
  }
  const info: CertInfo = {
    cert,
    notBefore: parseTime(from!),
    notAfter: parseTime(to!),
    extensions,
    extKeyUsage: eku ? readChildren(readSingle(eku.value).content).map((t) => decodeOid(t.content)) : undefined,
    maxPathLen,
    signatureOid: signatureAlgorithmOid(der),
  };
  infoCache.set(cert, info);
  return info;
}

/** Go's time.RFC3339 form, as its x509 errors print times. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Go's isValid for one certificate of a candidate chain (crypto/x509/verify.go), minus what is checked elsewhere. */
function checkCertificate(info: CertInfo, usage: CertUsage, now: Date): string | undefined {
  if (now < info.notBefore) {
    return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is before ${rfc3339(info.notBefore)}`;
  }
  if (now > info.notAfter) {
    return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is after ${rfc3339(info.notAfter)}`;
  }
  for (const ext of info.extensions) {
    // Name constraints are not checked here: a chain that has any is left to OpenSSL's verdict.
    if (ext.oid === OID.nameConstraints) return 'x509: name constraints in the chain are not supported outside OpenSSL';
    if (ext.critical && !HANDLED_CRITICAL.has(ext.oid)) return 'x509: unhandled critical extension';
  }
  // Go checks the requested usage against every certificate of the chain that restricts usages.
  const wanted = usage === 'server' ? OID.serverAuth : OID.clientAuth;
  if (info.extKeyUsage && !info.extKeyUsage.includes(wanted) && !info.extKeyUsage.includes(OID.anyExtendedKeyUsage)) {
    return 'x509: certificate specifies an incompatible key usage';
  }
  return undefined;
}

/** A signature Go would check: a secure algorithm, and it verifies with the issuer's key. */
function signedBy(child: CertInfo, parent: X509Certificate): string | undefined {
  if (!SECURE_SIGNATURES.has(child.signatureOid)) {
    return `x509: cannot verify signature: insecure algorithm ${INSECURE_NAMES[child.signatureOid] ?? child.signatureOid}`;
  }
  return child.cert.verify(parent.publicKey) ? undefined : 'signature does not verify';
}

const sameCert = (a: X509Certificate, b: X509Certificate): boolean => a.raw.equals(b.raw);

/**
 * Verifies `leaf` up to one of `anchors` through `intermediates` (the peer's other certificates) as Go's
 * Certificate.Verify does. Returns undefined when a chain is found, else Go's error text.
 */
export function verifyChain(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  usage: CertUsage,
  now: Date = new Date(),
): string | undefined {
  let leafInfo: CertInfo;
  try {
    leafInfo = infoOf(leaf);
  } catch (err) {
    return `x509: malformed certificate: ${(err as Error).message}`;
  }
  const leafProblem = checkCertificate(leafInfo, usage, now);
  if (leafProblem) return leafProblem;
  // Go: a leaf that is itself one of the roots is a chain of one.
  if (anchors.some((a) => sameCert(a, leaf))) return undefined;

  let specific: string | undefined;
  const extend = (child: CertInfo, path: X509Certificate[]): boolean => {
    // Go caps the search too (maxChainSignatureChecks); real chains are short.
    if (path.length > 8) return false;
    const candidates: { cert: X509Certificate; anchor: boolean }[] = [
      ...anchors.map((cert) => ({ cert, anchor: true })),
      ...intermediates.map((cert) => ({ cert, anchor: false })),
    ];
    for (const { cert: parent, anchor } of candidates) {
      if (path.some((p) => sameCert(p, parent))) continue;
      // checkIssued: the issuer's subject is the child's issuer, key identifiers agree, and the issuer's
      // keyUsage (when present) allows keyCertSign.
      if (!child.cert.checkIssued(parent)) continue;
      const sig = signedBy(child, parent);
      if (sig !== undefined) {
        if (sig.startsWith('x509:')) specific = sig;
        continue;
      }
      let parentInfo: CertInfo;
      try {
        parentInfo = infoOf(parent);
      } catch {
        continue;
      }
      if (!parent.ca) {
        specific = 'x509: certificate is not authorized to sign other certificates';
        continue;
      }
      const intermediatesBelow = path.length - 1;
      if (parentInfo.maxPathLen !== undefined && intermediatesBelow > parentInfo.maxPathLen) {
        specific = 'x509: too many intermediates for path length constraint';
        continue;
      }
      const problem = checkCertificate(parentInfo, usage, now);
      if (problem) {
        specific = problem;
        continue;
      }
      if (anchor) return true;
      if (extend(parentInfo, [...path, parent])) return true;
    }
    return false;
  };
  if (extend(leafInfo, [leaf])) return undefined;
  return specific ?? 'x509: certificate signed by unknown authority';
}

// ------------------------------------------------------------------ trust anchors

let systemRoots: X509Certificate[] | undefined;

/**
 * The CA set from a `ca` option (PEM text or buffers, possibly several certificates each), or Node's root
 * store when there is none (Go uses the system roots when RootCAs / ClientCAs is nil). Blocks that are
 * not certificates are skipped, as Go's AppendCertsFromPEM does.
 */
export function trustAnchors(ca: string | Buffer | readonly (string | Buffer)[] | undefined): X509Certificate[] {
  if (ca === undefined) {
    systemRoots ??= tls.rootCertificates.map((pem) => new X509Certificate(pem));
    return systemRoots;
  }
  const texts = (Array.isArray(ca) ? ca : [ca]).map((c) => (typeof c === 'string' ? c : Buffer.from(c).toString('utf8')));
  const out: X509Certificate[] = [];
  for (const text of texts) {
    for (const block of pemBlocks(text)) {
      if (block.type !== 'CERTIFICATE') continue;
      try {
        out.push(new X509Certificate(block.der));
      } catch {
        // as AppendCertsFromPEM: a block that does not parse is skipped
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------ sockets

/** Every certificate the peer presented (leaf first), from the legacy chain Node assembles. */
function peerCertificates(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let c: PeerCertificate | undefined = socket.getPeerCertificate(true);
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(new X509Certificate(c.raw));
    const next = (c as tls.DetailedPeerCertificate).issuerCertificate as PeerCertificate | undefined;
    c = next;
  }
  return out;
}

/** OpenSSL's verdict in words: `UNABLE_TO_GET_ISSUER_CERT_LOCALLY` → `unable to get issuer cert locally`. */
export function verdictText(verdict: unknown): string {
  if (verdict instanceof Error) return verdict.message;
  return String(verdict ?? 'no certificate').toLowerCase().replace(/_/g, ' ');
}

/**
 * The chain check for the peer of a finished handshake: undefined when it is trusted for `usage` by
 * `anchors`. `socket.authorized` (OpenSSL's verdict) is taken when OpenSSL accepted the chain or refused it
 * for a reason Go shares; OpenSSL's "self-signed" verdicts, and sockets OpenSSL gave no verdict for, are
 * checked by verifyChain. The caller checks names (host, node ID) and pins afterwards.
 */
export function verifyPeerChain(socket: TLSSocket, anchors: readonly X509Certificate[], usage: CertUsage, now: Date = new Date()): string | undefined {
  const certs = peerCertificates(socket);
  const leaf = certs[0];
  if (!leaf) return 'peer certificate missing';
  if (socket.authorized) return undefined;
  const verdict: unknown = socket.authorizationError;
  const code = verdict instanceof Error ? (verdict as NodeJS.ErrnoException).code : (verdict as string | null | undefined);
  const goVerdict = verifyChain(leaf, certs.slice(1), anchors, usage, now);
  if (verdict === null || verdict === undefined || SELF_SIGNED_VERDICTS.has(code ?? '')) return goVerdict;
  // Any other refusal of OpenSSL's stands; in Go's words when Go refuses too (as Receptor would log it).
  return goVerdict ?? verdictText(verdict);
}

// ------------------------------------------------------------------ servers

/** What a server needs to check client certificates: node:tls options (requestCert, rejectUnauthorized, ca) and extra checks. */
export interface ServerTlsChecks {
  options: tls.TlsOptions;
  /** Called after the chain check of a required certificate; a returned text refuses the connection. */
  verifyPeer?(socket: TLSSocket): string | undefined;
}

const anchorCache = new WeakMap<tls.TlsOptions, X509Certificate[]>();

/** The CA set client certificates are verified against: the `ca` option, else Node's root store. */
function clientAnchors(options: tls.TlsOptions): X509Certificate[] {
  let anchors = anchorCache.get(options);
  if (!anchors) {
    anchors = trustAnchors(options.ca as string | Buffer | (string | Buffer)[] | undefined);
    anchorCache.set(options, anchors);
  }
  return anchors;
}

/**
 * Server options with the client-certificate check moved after the handshake. Node's own rejection
 * (rejectUnauthorized) closes the socket without saying why ('socket hang up') and refuses chains Go
 * accepts; here a required certificate (requestCert and rejectUnauthorized: Receptor's
 * RequireAndVerifyClientCert, `requiresClientCert`) is checked by verifyPeerChain, then by the entry's
 * verifyPeer (pins...). `check` also works on a server TLSSocket made without a tls.Server (no OpenSSL
 * verdict: the chain is checked here in full), which is how a listener keeps OpenSSL's "certificate
 * required" alert for clients that send none (control/listeners.ts).
 */
export function deferClientVerification(t: ServerTlsChecks): {
  options: tls.TlsOptions;
  requiresClientCert: boolean;
  check(socket: TLSSocket): string | undefined;
} {
  const strict = t.options.requestCert === true && t.options.rejectUnauthorized !== false;
  return {
    options: strict ? { ...t.options, rejectUnauthorized: false } : { ...t.options },
    requiresClientCert: strict,
    check(socket) {
      if (strict) {
        const problem = verifyPeerChain(socket, clientAnchors(t.options), 'client');
        if (problem !== undefined) return `client certificate rejected: ${problem}`;
      }
      return t.verifyPeer?.(socket);
    },
  };
}
