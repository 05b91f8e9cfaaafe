// TLS inside a mesh stream, for services advertised with ConnType 2 (StreamTLS): Receptor's control
// services with `tls:` and remote work submitted with a tls-client. The server side is a tls-server entry;
// the client side checks that the server certificate carries the node ID it dialled (Receptor:
// GetClientTLSConfig with ExpectedHostnameTypeReceptor, pkg/netceptor/tlsconfig.go ReceptorVerifyFunc)
// instead of a DNS name, unless the caller turns the check off (skipreceptornamescheck).
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { nodeIdsFromCertificate } from '../../certs/index.js';
import { MeshError } from './errors.js';
import { deferClientVerification, type LinkClientTls, type LinkServerTls } from './transport/tcp.js';

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

/** Runs the server side of TLS over an accepted mesh stream; resolves once the client is verified. */
export function secureServerStream(stream: Duplex, t: LinkServerTls, timeoutMs = 10_000): Promise<tls.TLSSocket> {
  const v = deferClientVerification(t);
  // A tls.Server that never listens: handing it the stream as a 'connection' (as http2 does) runs the
  // full server path, which computes socket.authorized (a bare new TLSSocket({ isServer }) does not).
  const server = tls.createServer({ ...v.options, handshakeTimeout: timeoutMs });
  return new Promise((resolve, reject) => {
    server.once('secureConnection', (socket: tls.TLSSocket) => {
      server.removeAllListeners('tlsClientError');
      const problem = v.check(socket);
      if (problem !== undefined) {
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
 * must name (otherName SAN); undefined skips that check (the CA chain is still verified unless the
 * options say rejectUnauthorized: false).
 */
export async function secureClientStream(stream: Duplex, t: LinkClientTls, expectedNodeId: string | undefined, timeoutMs = 10_000): Promise<tls.TLSSocket> {
  const socket = tls.connect({
    socket: stream,
    ...t.options,
    checkServerIdentity: (_host, cert) => {
      if (expectedNodeId === undefined) return undefined;
      let ids: string[] = [];
      try {
        ids = nodeIdsFromCertificate(cert.raw);
      } catch {
        ids = [];
      }
      if (ids.includes(expectedNodeId)) return undefined;
      // Receptor's ReceptorCertNameError texts.
      if (ids.length === 0) return new Error(`x509: certificate is not valid for any Receptor node IDs, but wanted to match ${expectedNodeId}`);
      return new Error(`x509: certificate is valid for Receptor node ID${ids.length > 1 ? 's' : ''} ${ids.join(', ')}, not ${expectedNodeId}`);
    },
  });
  await handshake(socket, 'secureConnect', timeoutMs);
  const problem = t.verifyPeer?.(socket);
  if (problem !== undefined) {
    socket.destroy();
    throw new MeshError('ESTREAMRESET', problem);
  }
  return socket;
}
