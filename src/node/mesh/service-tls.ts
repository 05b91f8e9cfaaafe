// TLS inside a mesh stream, for services advertised with ConnType 2 (StreamTLS): Receptor's control
// services with `tls:` and remote work submitted with a tls-client. The server side is a tls-server entry;
// the client side checks that the server certificate carries the node ID it dialled (Receptor:
// GetClientTLSConfig with ExpectedHostnameTypeReceptor, pkg/netceptor/tlsconfig.go ReceptorVerifyFunc)
// instead of a DNS name, unless the caller turns the check off (skipreceptornamescheck).
//
// A service whose tls-server requires client certificates also checks the client's node ID: the
// certificate must carry the node the stream comes from. Receptor does this for every TLS service with
// ClientAuth RequireAndVerifyClientCert (pkg/netceptor/conn.go listen: GetConfigForClient installs
// ReceptorVerifyFunc(tlscfg, nil, <remote node>, ExpectedHostnameTypeReceptor, VerifyClient)), whatever
// skipreceptornamescheck says (that flag only skips the check of the node's own certificate at start).
// With clientcas alone (a certificate verified if given) there is no node-ID check, as in Receptor.
// Two differences, on purpose: Receptor takes the remote node as the part of "node:service" before the
// first ':' (a node ID may contain ':'), here it is the whole node ID; and Receptor's per-client config
// drops pinnedclientcert for these streams, here the pins still apply.
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { nodeIdsFromCertificate } from '../../certs/index.js';
import { MeshError } from './errors.js';
import { MeshStream } from './stream.js';
import { deferClientVerification, type LinkClientTls, type LinkServerTls } from './transport/tcp.js';

/** What a Receptor dialler reports when the service refuses its certificate (see secureServerStream). */
export const ALERT_BAD_CERTIFICATE = 'CRYPTO_ERROR 0x12a (remote): tls: bad certificate';
export const ALERT_CERTIFICATE_REQUIRED = 'CRYPTO_ERROR 0x174 (remote): tls: certificate required';

function handshake(socket: tls.TLSSocket, event: 'secure' | 'secureConnect', timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('tls handshake timed out')), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new MeshError('ESTREAMRESET', `tls handshake failed: ${err.message}`, { cause: err }));
    };
    socket.once('error', fail);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/**
 * Receptor's ReceptorCertNameError for a certificate that does not carry `expected`
 * (pkg/netceptor/netceptor.go); undefined when it does.
 */
export function nodeIdProblem(der: Uint8Array | undefined, expected: string): string | undefined {
  let ids: string[] = [];
  try {
    ids = der ? nodeIdsFromCertificate(der) : [];
  } catch {
    ids = [];
  }
  if (ids.includes(expected)) return undefined;
  if (ids.length === 0) return `x509: certificate is not valid for any Receptor node IDs, but wanted to match ${expected}`;
  return `x509: certificate is valid for Receptor node ID${ids.length > 1 ? 's' : ''} ${ids.join(', ')}, not ${expected}`;
}

/**
 * Runs the server side of TLS over an accepted mesh stream; resolves once the client is verified.
 * `remoteNode`: the node the stream comes from (default: the MeshStream's remote node), whose ID a
 * required client certificate must carry.
 */
export function secureServerStream(stream: Duplex, t: LinkServerTls, timeoutMs = 10_000, remoteNode?: string): Promise<tls.TLSSocket> {
  const v = deferClientVerification(t);
  const from = remoteNode ?? (stream instanceof MeshStream || 'remote' in stream ? (stream as { remote: { node: string } }).remote.node : undefined);
  // A tls.Server that never listens: handing it the stream as a 'connection' (as http2 does) runs the
  // full server path, which computes socket.authorized (a bare new TLSSocket({ isServer }) does not).
  const server = tls.createServer({ ...v.options, handshakeTimeout: timeoutMs });
  return new Promise((resolve, reject) => {
    server.once('secureConnection', (socket: tls.TLSSocket) => {
      server.removeAllListeners('tlsClientError');
      let problem = v.check(socket);
      if (problem === undefined && v.requiresClientCert) {
        if (from === undefined) problem = 'client certificate rejected: the stream has no remote node to check it against';
        else problem = nodeIdProblem(socket.getPeerX509Certificate()?.raw, from);
      }
      if (problem !== undefined) {
        // The dialler learns why as a Receptor dialler does: Go's TLS server answers a refused client
        // certificate with an alert, which QUIC reports as `CRYPTO_ERROR 0x12a (remote): tls: bad
        // certificate` (0x100 + alert 42; 116, certificate_required, when none was sent). A TLSSocket
        // cannot send an alert of our choosing, so the stream is reset with that text.
        const missing = socket.getPeerX509Certificate() === undefined;
        stream.destroy(new MeshError('ESTREAMRESET', missing ? ALERT_CERTIFICATE_REQUIRED : ALERT_BAD_CERTIFICATE));
        socket.destroy();
        reject(new MeshError('ESTREAMRESET', problem));
        return;
      }
      resolve(socket);
    });
    server.once('tlsClientError', (err: Error) => {
      server.removeAllListeners('secureConnection');
      stream.destroy();
      reject(new MeshError('ESTREAMRESET', `tls handshake failed: ${err.message}`, { cause: err }));
    });
    server.emit('connection', stream);
  });
}

/**
 * Runs the client side of TLS over a dialled mesh stream. `expectedNodeId`: the node the certificate
 * must name (otherName SAN); undefined skips that check. The chain is checked by node:tls
 * (rejectUnauthorized) or, for prepared tls-client entries, by their verifyPeer; the host name is never
 * checked (the peer is a node, not a host).
 */
export async function secureClientStream(stream: Duplex, t: LinkClientTls, expectedNodeId: string | undefined, timeoutMs = 10_000): Promise<tls.TLSSocket> {
  const socket = tls.connect({ socket: stream, ...t.options, checkServerIdentity: () => undefined });
  await handshake(socket, 'secureConnect', timeoutMs);
  // Receptor's order (ReceptorVerifyFunc): pins and chain, then the node ID.
  const problem =
    t.verifyPeer?.(socket) ?? (expectedNodeId === undefined ? undefined : nodeIdProblem(socket.getPeerX509Certificate()?.raw, expectedNodeId));
  if (problem !== undefined) {
    socket.destroy();
    throw new MeshError('ESTREAMRESET', `tls handshake failed: ${problem}`);
  }
  return socket;
}
