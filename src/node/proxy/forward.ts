// The two halves every port forwarder shares (Receptor: pkg/services/tcp_proxy.go and unix_proxy.go have the
// same pair): a local connection joined to a new stream to a mesh service, and a mesh service whose every stream
// is joined to a new local connection. The forwarders differ only in how the local side listens or connects and
// in their log texts, which are receptor's.
import type { Duplex } from 'node:stream';
import type { NodeLogger } from '../logger.js';
import type { PreparedTlsServer } from '../control/tls.js';
import { secureClientStream, secureServerStream, type Mesh, type ServiceHandle } from '../mesh/index.js';
import type { PreparedTlsClient } from '../tls-client.js';
import { bridgeStreams } from './bridge.js';

/** The connections a forwarder has open, so close() can end them. */
export interface OpenSet {
  add(s: Duplex): void;
  closeAll(): void;
}

export function tracker(): OpenSet {
  const open = new Set<Duplex>();
  return {
    add(s) {
      open.add(s);
      s.once('close', () => open.delete(s));
    },
    closeAll() {
      for (const s of open) s.destroy();
    },
  };
}

export interface ToMeshOptions {
  remotenode: string;
  remoteservice: string;
  /** The tls-client for the stream, already bound to the remote node. */
  clientTls?: ReturnType<PreparedTlsClient['forNode']>;
  /** Receptor's error line when the mesh side cannot be reached (its wording differs per forwarder). */
  dialError(err: Error): string;
  /** Label of the bridged connection's debug line. */
  label: string;
}

/** Joins an accepted local connection to a new stream to `remotenode`'s `remoteservice`. */
export function forwardToMesh(socket: Duplex, mesh: Mesh, o: ToMeshOptions, open: OpenSet, logger: NodeLogger): void {
  open.add(socket);
  socket.on('error', () => undefined);
  void (async () => {
    let stream: Duplex;
    try {
      const s = await mesh.dialService(o.remotenode, o.remoteservice, { tls: o.clientTls !== undefined });
      open.add(s);
      stream = o.clientTls ? await secureClientStream(s, o.clientTls.tls, o.clientTls.expectedNodeId) : s;
    } catch (err) {
      logger.error(o.dialError(err as Error));
      socket.destroy();
      return;
    }
    open.add(stream);
    await bridgeStreams(socket, stream, (e) => logger.debug(`${o.label} connection: ${e.message}`));
  })();
}

export interface FromMeshOptions {
  service: string;
  serverTls?: PreparedTlsServer;
  tags: Record<string, string>;
  /** Opens the local connection for one stream. */
  connect(): Promise<Duplex>;
  /** Receptor's error line when the local side cannot be reached. */
  connectError(err: Error): string;
  label: string;
}

/** Offers `service` on the mesh; every stream (TLS inside it with a tls-server) is joined to a new local connection. */
export function serveFromMesh(mesh: Mesh, o: FromMeshOptions, open: OpenSet, logger: NodeLogger): ServiceHandle {
  return mesh.listenService(
    o.service,
    (stream) => {
      open.add(stream);
      void (async () => {
        let inner: Duplex = stream;
        let local: Duplex;
        try {
          if (o.serverTls) inner = await secureServerStream(stream, o.serverTls);
          open.add(inner);
          local = await o.connect();
        } catch (err) {
          logger.error(o.connectError(err as Error));
          inner.destroy();
          return;
        }
        open.add(local);
        await bridgeStreams(inner, local, (e) => logger.debug(`${o.label} connection: ${e.message}`));
      })();
    },
    { tags: o.tags, connType: o.serverTls ? 2 : 1 },
  );
}
