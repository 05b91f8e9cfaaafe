// Port forwarding over the mesh (Receptor: pkg/services/tcp_proxy.go):
// - `tcp-server` listens on a local TCP port (TLS with `tlsserver`) and joins every connection to
//   `remoteservice` on `remotenode` (TLS inside the mesh stream with `tlsclient`, the certificate naming
//   that node);
// - `tcp-client` offers a mesh service (advertised with tags `{type: "TCP Proxy", address}`, ConnType 2
//   with `tlsserver`) and joins every stream to a TCP connection to `address` (TLS with `tlsclient`,
//   checked against the host).
// A connection that cannot be forwarded is closed (Receptor logs and leaves the accepted one open).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { TcpClientConfig, TcpServerConfig } from '../../config/types.js';
import { closeListener, listenTcp } from '../control/listeners.js';
import type { PreparedTlsServer } from '../control/tls.js';
import type { NodeLogger } from '../logger.js';
import type { Mesh, ServiceHandle } from '../mesh/index.js';
import type { PreparedTlsClient } from '../tls-client.js';
import { forwardToMesh, serveFromMesh, tracker } from './forward.js';

export interface ProxyTls {
  server(name: string): PreparedTlsServer | undefined;
  client(name: string): PreparedTlsClient | undefined;
}

export interface ProxyHandle {
  /** For tcp-server: the bound address. */
  address?: net.AddressInfo;
  close(): Promise<void>;
}

export async function startTcpServer(cfg: TcpServerConfig, mesh: Mesh, tlsConf: ProxyTls, logger: NodeLogger): Promise<ProxyHandle> {
  const serverTls = cfg.tlsserver !== '' ? tlsConf.server(cfg.tlsserver) : undefined;
  const clientTls = cfg.tlsclient !== '' ? tlsConf.client(cfg.tlsclient)?.forNode(cfg.remotenode) : undefined;
  const open = tracker();
  const host = cfg.bindaddr.includes(':') ? `[${cfg.bindaddr}]` : cfg.bindaddr;
  const server = await listenTcp(`${host}:${cfg.port}`, serverTls, logger, (socket) =>
    forwardToMesh(
      socket,
      mesh,
      { remotenode: cfg.remotenode, remoteservice: cfg.remoteservice, clientTls, label: 'tcp-server', dialError: (e) => `error connecting on Receptor network: ${e.message}` },
      open,
      logger,
    ),
  );
  // TCPProxyInboundCfg.Run logs its config with %v.
  logger.debug(`Running TCP inbound proxy service {${cfg.port} ${cfg.bindaddr} ${cfg.remotenode} ${cfg.remoteservice} ${cfg.tlsserver} ${cfg.tlsclient}}`);
  return {
    address: server.address() as net.AddressInfo,
    close: async () => {
      const closed = closeListener(server);
      open.closeAll();
      await closed;
    },
  };
}

export function startTcpClient(cfg: TcpClientConfig, mesh: Mesh, tlsConf: ProxyTls, logger: NodeLogger): ProxyHandle {
  const serverTls = cfg.tlsserver !== '' ? tlsConf.server(cfg.tlsserver) : undefined;
  const host = cfg.address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const portText = /:(\d+)$/.exec(cfg.address)?.[1];
  const clientTls = cfg.tlsclient !== '' ? tlsConf.client(cfg.tlsclient)?.forHost(host) : undefined;
  const open = tracker();
  const connectTcp = (): Promise<Duplex> =>
    new Promise((resolve, reject) => {
      const port = Number(portText);
      let socket: net.Socket;
      const onError = (err: Error): void => reject(err);
      if (clientTls) {
        const servername = net.isIP(host) ? undefined : host;
        socket = tls.connect({ host, port, ...(servername ? { servername } : {}), ...clientTls.options }, () => {
          const problem = clientTls.verifyPeer?.(socket as tls.TLSSocket);
          if (problem !== undefined) {
            socket.destroy();
            reject(new Error(problem));
            return;
          }
          socket.off('error', onError);
          resolve(socket);
        });
      } else {
        socket = net.connect({ host, port, allowHalfOpen: true }, () => {
          socket.off('error', onError);
          resolve(socket);
        });
      }
      socket.once('error', onError);
    });
  const service: ServiceHandle = serveFromMesh(
    mesh,
    {
      service: cfg.service,
      ...(serverTls ? { serverTls } : {}),
      tags: { type: 'TCP Proxy', address: cfg.address },
      connect: connectTcp,
      connectError: (e) => `Error connecting via TCP: ${e.message}`,
      label: 'tcp-client',
    },
    open,
    logger,
  );
  // TCPProxyOutboundCfg.Run's text, "inbound" included.
  logger.debug(`Running TCP inbound proxy service {${cfg.service} ${cfg.address} ${cfg.tlsserver} ${cfg.tlsclient}}`);
  return {
    close: async () => {
      service.close();
      open.closeAll();
    },
  };
}
