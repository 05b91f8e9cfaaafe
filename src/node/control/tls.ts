// TLS server settings of a `tls-server` entry for node:tls, as Receptor builds its tls.Config
// (pkg/netceptor/tlsconfig.go baseTLS, PrepareTLSServerConfig):
// - TLS 1.3 only when mintls13 (Receptor v1.6's default), else TLS 1.2+ restricted to Receptor's four
//   TLS 1.2 cipher suites and the P-521/P-384/P-256 curves;
// - requireclientcert ⇒ a client certificate is required and verified against clientcas (or the system
//   roots); clientcas alone ⇒ verified if the client sends one;
// - pinnedclientcert: SHA-256 or SHA-512 fingerprints (hex, colons allowed) the client certificate must
//   match.
// Client certificates are verified after the handshake, as Go verifies them (src/node/tls-verify.ts), so
// that chains OpenSSL alone refuses and Go accepts (Receptor's test PKI) are accepted.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { MeshctlError } from '../../errors.js';
import { isEncryptedKeyPem } from '../../transport/tls-material.js';

/** The node's own advice for an encrypted tls-server key (the node reports its errors itself, hint included). */
const DECRYPT_KEY_HINT = 'decrypt it first, e.g. `openssl rsa -in KEY -out PLAIN.key`';
import { trustAnchors, verifyPeerChain } from '../tls-verify.js';
import type { TlsServerConfig } from '../../config/types.js';

const TLS12_CIPHERS = [
  'ECDHE-RSA-AES256-GCM-SHA384',
  'AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
].join(':');

export interface PreparedTlsServer {
  name: string;
  options: TlsOptions;
  /** Checks done after the handshake (client certificate given-but-invalid, pins). Returns an error text. */
  verifyPeer(socket: TLSSocket): string | undefined;
}

/**
 * The node-ID check Receptor makes at start (pkg/netceptor/tlsconfig.go checkCertificatesMatchNodeID):
 * unless skipreceptornamescheck, a tls-server's certificate must carry this node's ID as an otherName SAN
 * (OID 1.3.6.1.4.1.2312.19.1). Returns Receptor's error text, or undefined when the ID is there.
 */
export async function checkCertificateNodeId(
  certPem: Buffer,
  nodeId: string,
  cfg: { name: string; cert: string },
  kind: 'server' | 'client' = 'server',
): Promise<string | undefined> {
  let ids: string[];
  try {
    // Loaded only when a tls-server is configured (the certificate code is not small).
    const { nodeIdsFromCertificate } = await import('../../certs/node-ids.js');
    ids = nodeIdsFromCertificate(certPem.toString('utf8'));
  } catch (err) {
    return `error preparing tls ${kind} config: ${(err as Error).message}`;
  }
  if (ids.includes(nodeId)) return undefined;
  return (
    `error preparing tls ${kind} config: nodeID=${nodeId} not found in certificate name(s); ` +
    `names found=[${ids.join(' ')}]; cfg section=${cfg.name}; server cert=${cfg.cert}`
  );
}

function decodeFingerprints(list: string[], cfg: TlsServerConfig): Buffer[] {
  return list.map((f) => {
    const hex = f.replace(/:/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
      throw new MeshctlError('EBADCONFIG', `tls-server '${cfg.name}': error decoding fingerprints: error decoding fingerprint`);
    }
    const b = Buffer.from(hex, 'hex');
    if (b.length !== 32 && b.length !== 64) {
      throw new MeshctlError(
        'EBADCONFIG',
        `tls-server '${cfg.name}': error decoding fingerprints: fingerprints must be 32 or 64 bytes for sha256 or sha512`,
      );
    }
    return b;
  });
}

/** Reads a file named by a tls-server or tls-client entry; a failure names the entry, the key and the file. */
export async function readTlsEntryFile(section: 'tls-server' | 'tls-client', name: string, what: string, file: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    throw new MeshctlError('EBADCONFIG', `${section} '${name}': cannot read ${what} '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
      hint: `check the path in the ${section} entry`,
    });
  }
  // Receptor's tls.LoadX509KeyPair cannot use an encrypted key either; saying so beats OpenSSL's
  // `bad decrypt` (or, by chance, `DECODER routines::unsupported`) when the first connection comes.
  if (what === 'key' && isEncryptedKeyPem(data)) {
    throw new MeshctlError('EBADCONFIG', `${section} '${name}': key '${file}' is encrypted`, { hint: DECRYPT_KEY_HINT });
  }
  return data;
}

export async function prepareTlsServer(cfg: TlsServerConfig, nodeId: string): Promise<PreparedTlsServer> {
  const cert = await readTlsEntryFile('tls-server', cfg.name, 'cert', cfg.cert);
  const key = await readTlsEntryFile('tls-server', cfg.name, 'key', cfg.key);
  try {
    new X509Certificate(cert);
  } catch (err) {
    throw new MeshctlError('EBADCONFIG', `tls-server '${cfg.name}': cert '${cfg.cert}' is not a PEM certificate`, { cause: err });
  }
  if (!cfg.skipreceptornamescheck) {
    const problem = await checkCertificateNodeId(cert, nodeId, cfg);
    if (problem) {
      throw new MeshctlError('EBADCONFIG', problem, {
        hint: 'issue the certificate with this node ID (cert-makereq nodeid=...), or set skipreceptornamescheck: true',
      });
    }
  }
  const ca = cfg.clientcas !== '' ? await readTlsEntryFile('tls-server', cfg.name, 'clientcas', cfg.clientcas) : undefined;
  const pins = decodeFingerprints(cfg.pinnedclientcert, cfg);
  const wantsClientCert = cfg.requireclientcert || cfg.clientcas !== '';
  const anchors = wantsClientCert ? trustAnchors(ca) : [];
  const options: TlsOptions = {
    cert,
    key,
    ...(ca ? { ca } : {}),
    minVersion: cfg.mintls13 ? 'TLSv1.3' : 'TLSv1.2',
    ...(cfg.mintls13 ? {} : { ciphers: TLS12_CIPHERS, ecdhCurve: 'P-521:P-384:P-256' }),
    // Read by deferClientVerification (src/node/tls-verify.ts), which every server using these options goes
    // through: requireclientcert ⇒ a certificate is required and its chain checked after the handshake.
    requestCert: wantsClientCert,
    rejectUnauthorized: cfg.requireclientcert,
    // Receptor gives the handshake 10 s (controlsvc.go SetupConnection).
    handshakeTimeout: 10_000,
  };
  return {
    name: cfg.name,
    options,
    verifyPeer(socket: TLSSocket): string | undefined {
      if (!wantsClientCert) return undefined;
      const peer = socket.getPeerCertificate(false);
      const hasCert = peer !== null && typeof peer === 'object' && Object.keys(peer).length > 0;
      // A required certificate's chain is checked before this, by deferClientVerification (every user of
      // these options runs the handshake through it); a certificate that is only verified if given
      // (clientcas alone: Go's VerifyClientCertIfGiven) is checked here.
      if (hasCert && !cfg.requireclientcert) {
        const problem = verifyPeerChain(socket, anchors, 'client');
        if (problem !== undefined) return `client certificate rejected: ${problem}`;
      }
      if (pins.length > 0) {
        if (!hasCert) return 'client certificate required by pinnedclientcert';
        const der = peer.raw;
        const sha256 = createHash('sha256').update(der).digest();
        const sha512 = createHash('sha512').update(der).digest();
        if (!pins.some((p) => p.equals(sha256) || p.equals(sha512))) return 'client certificate does not match a pinned fingerprint';
      }
      return undefined;
    },
  };
}
