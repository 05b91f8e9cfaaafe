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
import type { Mesh, ServiceHandle } from '../mesh/index.js';
import { forwardToMesh, serveFromMesh, tracker } from './forward.js';
import type { ProxyHandle, ProxyTls } from './tcp-proxy.js';

export async function startUnixSocketServer(cfg: UnixSocketServerConfig, mesh: Mesh, tlsConf: ProxyTls, logger: NodeLogger): Promise<ProxyHandle> {
  const clientTls = cfg.tls !== '' ? tlsConf.client(cfg.tls)?.forNode(cfg.remotenode) : undefined;
  const open = tracker();
  const server = await listenUnix(cfg.filename, cfg.permissions, (socket) =>
    forwardToMesh(
      socket,
      mesh,
      { remotenode: cfg.remotenode, remoteservice: cfg.remoteservice, clientTls, label: 'unix-socket-server', dialError: (e) => `Error connecting on Receptor network: ${e.message}` },
      open,
      logger,
    ),
  );
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
  const service: ServiceHandle = serveFromMesh(
    mesh,
    {
      service: cfg.service,
      ...(serverTls ? { serverTls } : {}),
      tags: { type: 'Unix Proxy', filename: cfg.filename },
      connect: connectUnix,
      connectError: (err) => {
        // Go's text for a refused dial: "dial unix FILE: connect: no such file or directory".
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file or directory' : code === 'ECONNREFUSED' ? 'connection refused' : err.message;
        return `Error connecting via Unix socket: dial unix ${cfg.filename}: connect: ${why}`;
      },
      label: 'unix-socket-client',
    },
    open,
    logger,
  );
  logger.debug(`Running Unix socket inbound proxy service {${cfg.service} ${cfg.filename} ${cfg.tls}}`);
  return {
    close: async () => {
      service.close();
      open.closeAll();
    },
  };
}
