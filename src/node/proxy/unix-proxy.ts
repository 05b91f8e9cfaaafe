// Unix socket forwarding over the mesh (Receptor: pkg/services/unix_proxy.go):
// - `unix-socket-server` listens on a Unix socket file (replaced if stale, `permissions` as given) and joins
//   every connection to `remoteservice` on `remotenode` (TLS inside the mesh stream with `tls`, a tls-client);
// - `unix-socket-client` offers a mesh service (advertised with tags `{type: "Unix Proxy", filename}`,
//   ConnType 2 with `tls`, a tls-server) and joins every stream to a new connection to the Unix socket
//   `filename`, which must exist by then.
// Log texts are receptor's.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { unlink } from 'node:fs/promises';
import type { UnixSocketClientConfig, UnixSocketServerConfig } from '../../config/types.js';
import { closeListener, listenUnix } from '../control/listeners.js';
import type { NodeLogger } from '../logger.js';
import { secureClientStream, secureServerStream, type Mesh, type ServiceHandle } from '../mesh/index.js';
import { bridgeStreams } from './bridge.js';
import type { ProxyHandle, ProxyTls } from './tcp-proxy.js';

function tracker(): { add(s: Duplex): void; closeAll(): void } {
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

export async function startUnixSocketServer(cfg: UnixSocketServerConfig, mesh: Mesh, tlsConf: ProxyTls, logger: NodeLogger): Promise<ProxyHandle> {
  const clientTls = cfg.tls !== '' ? tlsConf.client(cfg.tls)?.forNode(cfg.remotenode) : undefined;
  const open = tracker();
  const server = await listenUnix(cfg.filename, cfg.permissions, (socket) => {
    open.add(socket);
    socket.on('error', () => undefined);
    void (async () => {
      let stream: Duplex;
      try {
        const s = await mesh.dialService(cfg.remotenode, cfg.remoteservice, { tls: clientTls !== undefined });
        open.add(s);
        stream = clientTls ? await secureClientStream(s, clientTls.tls, clientTls.expectedNodeId) : s;
      } catch (err) {
        logger.error(`Error connecting on Receptor network: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      open.add(stream);
      await bridgeStreams(socket, stream, (e) => logger.debug(`unix-socket-server connection: ${e.message}`));
    })();
  });
  logger.debug(
    `Running Unix socket inbound proxy service {${cfg.filename} ${cfg.permissions} ${cfg.remotenode} ${cfg.remoteservice} ${cfg.tls}}`,
  );
  return {
    close: async () => {
      const closed = closeListener(server);
      open.closeAll();
      await closed;
      await unlink(cfg.filename).catch(() => undefined);
    },
  };
}

export function startUnixSocketClient(cfg: UnixSocketClientConfig, mesh: Mesh, tlsConf: ProxyTls, logger: NodeLogger): ProxyHandle {
  const serverTls = cfg.tls !== '' ? tlsConf.server(cfg.tls) : undefined;
  const open = tracker();
  const connectUnix = (): Promise<Duplex> =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ path: cfg.filename, allowHalfOpen: true }, () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  const service: ServiceHandle = mesh.listenService(
    cfg.service,
    (stream) => {
      open.add(stream);
      void (async () => {
        let inner: Duplex = stream;
        let unix: Duplex;
        try {
          if (serverTls) inner = await secureServerStream(stream, serverTls);
          open.add(inner);
          unix = await connectUnix();
        } catch (err) {
          // Go's text for a refused dial: "dial unix FILE: connect: no such file or directory".
          const code = (err as NodeJS.ErrnoException).code;
          const why = code === 'ENOENT' ? 'no such file or directory' : code === 'ECONNREFUSED' ? 'connection refused' : (err as Error).message;
          logger.error(`Error connecting via Unix socket: dial unix ${cfg.filename}: connect: ${why}`);
          inner.destroy();
          return;
        }
        open.add(unix);
        await bridgeStreams(inner, unix, (e) => logger.debug(`unix-socket-client connection: ${e.message}`));
      })();
    },
    { tags: { type: 'Unix Proxy', filename: cfg.filename }, connType: serverTls ? 2 : 1 },
  );
  logger.debug(`Running Unix socket inbound proxy service {${cfg.service} ${cfg.filename} ${cfg.tls}}`);
  return {
    close: async () => {
      service.close();
      open.closeAll();
    },
  };
}
