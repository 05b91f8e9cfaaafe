// TLS client settings of a `tls-client` entry, as Receptor builds them (pkg/netceptor/tlsconfig.go
// PrepareTLSClientConfig, and Netceptor.GetClientTLSConfig for each use):
// - TLS 1.3 only when mintls13 (the default), else TLS 1.2+ with Receptor's four TLS 1.2 suites;
// - the client certificate must carry this node's ID unless skipreceptornamescheck (checked at start);
// - rootcas replaces the system roots; insecureskipverify accepts any server certificate (and skips the
//   pins, as Receptor installs its verify function only when verifying);
// - for a link (tcp-peer / ws-peer) the server certificate is checked against the host dialled
//   (ExpectedHostnameTypeDNS); for a mesh stream (connect, remote work, tcp-server) against the node
//   dialled, which must be one of the certificate's Receptor node IDs (ExpectedHostnameTypeReceptor,
//   checked by secureClientStream);
// - pinnedservercert: SHA-256 or SHA-512 fingerprints the server certificate must match.
// The chain is not left to node:tls's rejectUnauthorized: it is checked by verifyPeer once the handshake
// is done (tls-verify.ts), so that the chains Go accepts and OpenSSL does not (a CA and its leaf with the
// same subject, as in Receptor's test PKI) are accepted. Every user of these options calls verifyPeer
// before it sends a byte.
import { createHash, X509Certificate } from 'node:crypto';
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { TlsClientConfig } from '../config/types.js';
import { MeshctlError } from '../errors.js';
import { checkCertificateNodeId, readTlsEntryFile } from './control/tls.js';
import type { LinkClientTls } from './mesh/index.js';
import { trustAnchors, verifyPeerChain } from './tls-verify.js';

const TLS12_CIPHERS = ['ECDHE-RSA-AES256-GCM-SHA384', 'AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'].join(':');

export interface PreparedTlsClient {
  name: string;
  /** For dialling a link to `host`: the certificate must be valid for that host name or address. */
  forHost(host: string): LinkClientTls;
  /**
   * For TLS inside a mesh stream to `node`: the options, and the node ID the certificate must carry
   * (undefined with insecureskipverify).
   */
  forNode(node: string): { tls: LinkClientTls; expectedNodeId: string | undefined };
}

function decodeFingerprints(list: string[], cfg: TlsClientConfig): Buffer[] {
  return list.map((f) => {
    const hex = f.replace(/:/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
      throw new MeshctlError('EBADCONFIG', `tls-client '${cfg.name}': error preparing tls client config: error decoding fingerprints: error decoding fingerprint`);
    }
    const b = Buffer.from(hex, 'hex');
    if (b.length !== 32 && b.length !== 64) {
      throw new MeshctlError(
        'EBADCONFIG',
        `tls-client '${cfg.name}': error preparing tls client config: error decoding fingerprints: fingerprints must be 32 or 64 bytes for sha256 or sha512`,
      );
    }
    return b;
  });
}

export async function prepareTlsClient(cfg: TlsClientConfig, nodeId: string): Promise<PreparedTlsClient> {
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  if (cfg.cert !== '' || cfg.key !== '') {
    if (cfg.cert === '' || cfg.key === '') {
      throw new MeshctlError('EBADCONFIG', `tls-client '${cfg.name}': error preparing tls client config: cert and key must both be supplied or neither`);
    }
    cert = await readTlsEntryFile('tls-client', cfg.name, 'cert', cfg.cert);
    key = await readTlsEntryFile('tls-client', cfg.name, 'key', cfg.key);
    try {
      new X509Certificate(cert);
    } catch (err) {
      throw new MeshctlError('EBADCONFIG', `tls-client '${cfg.name}': cert '${cfg.cert}' is not a PEM certificate`, { cause: err });
    }
    if (!cfg.skipreceptornamescheck) {
      const problem = await checkCertificateNodeId(cert, nodeId, cfg, 'client');
      if (problem) {
        throw new MeshctlError('EBADCONFIG', problem, {
          hint: 'issue the certificate with this node ID (cert-makereq nodeid=...), or set skipreceptornamescheck: true',
        });
      }
    }
  }
  const ca = cfg.rootcas !== '' ? await readTlsEntryFile('tls-client', cfg.name, 'rootcas', cfg.rootcas) : undefined;
  const pins = decodeFingerprints(cfg.pinnedservercert, cfg);
  const anchors = cfg.insecureskipverify ? [] : trustAnchors(ca);
  const base: ConnectionOptions = {
    ...(cert && key ? { cert, key } : {}),
    ...(ca ? { ca } : {}),
    minVersion: cfg.mintls13 ? 'TLSv1.3' : 'TLSv1.2',
    ...(cfg.mintls13 ? {} : { ciphers: TLS12_CIPHERS, ecdhCurve: 'P-521:P-384:P-256' }),
    // verifyPeer decides (see the top of this file); OpenSSL's verdict is one of its inputs.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
  /** Receptor's order (ReceptorVerifyFunc): the chain (with the host for links), then the pins. */
  const verify = (socket: TLSSocket, host: string | undefined): string | undefined => {
    if (cfg.insecureskipverify) return undefined;
    const chain = verifyPeerChain(socket, anchors, 'server');
    if (chain !== undefined) return chain;
    if (host !== undefined) {
      const mismatch = tls.checkServerIdentity(host, socket.getPeerCertificate());
      if (mismatch) return mismatch.message;
    }
    if (pins.length === 0) return undefined;
    const der = socket.getPeerCertificate(false)?.raw;
    if (!der) return 'RVF failed: peer certificate missing';
    const sha256 = createHash('sha256').update(der).digest();
    const sha512 = createHash('sha512').update(der).digest();
    if (pins.some((p) => p.equals(sha256) || p.equals(sha512))) return undefined;
    return 'RVF failed: presented certificate does not match any pinned fingerprint';
  };
  return {
    name: cfg.name,
    forHost: (host) => ({ options: { ...base }, verifyPeer: (socket) => verify(socket, host) }),
    forNode: (node) => ({
      tls: { options: { ...base }, verifyPeer: (socket) => verify(socket, undefined) },
      expectedNodeId: cfg.insecureskipverify ? undefined : node,
    }),
  };
}
