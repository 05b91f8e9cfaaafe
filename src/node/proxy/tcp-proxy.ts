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
import { secureClientStream, secureServerStream, type Mesh, type ServiceHandle } from '../mesh/index.js';
import type { PreparedTlsClient } from '../tls-client.js';
import { bridgeStreams } from './bridge.js';

export interface ProxyTls {
  server(name: string): PreparedTlsServer | undefined;
  client(name: string): PreparedTlsClient | undefined;
}

export interface ProxyHandle {
  /** For tcp-server: the bound address. */
  address?: net.AddressInfo;
  close(): Promise<void>;
}

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

export async function startTcpServer(cfg: TcpServerConfig, mesh: Mesh, tlsConf: ProxyTls, logger: NodeLogger): Promise<ProxyHandle> {
  const serverTls = cfg.tlsserver !== '' ? tlsConf.server(cfg.tlsserver) : undefined;
  const clientTls = cfg.tlsclient !== '' ? tlsConf.client(cfg.tlsclient)?.forNode(cfg.remotenode) : undefined;
  const open = tracker();
  const host = cfg.bindaddr.includes(':') ? `[${cfg.bindaddr}]` : cfg.bindaddr;
  const server = await listenTcp(`${host}:${cfg.port}`, serverTls, logger, (socket) => {
    open.add(socket);
    socket.on('error', () => undefined);
    void (async () => {
      let stream: Duplex;
      try {
        const s = await mesh.dialService(cfg.remotenode, cfg.remoteservice, { tls: clientTls !== undefined });
        open.add(s);
        stream = clientTls ? await secureClientStream(s, clientTls.tls, clientTls.expectedNodeId) : s;
      } catch (err) {
        logger.error(`error connecting on Receptor network: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      open.add(stream);
      await bridgeStreams(socket, stream, (e) => logger.debug(`tcp-server connection: ${e.message}`));
    })();
  });
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
  const service: ServiceHandle = mesh.listenService(
    cfg.service,
    (stream) => {
      open.add(stream);
      void (async () => {
        let inner: Duplex = stream;
        let tcp: Duplex;
        try {
          if (serverTls) inner = await secureServerStream(stream, serverTls);
          open.add(inner);
          tcp = await connectTcp();
        } catch (err) {
          logger.error(`Error connecting via TCP: ${(err as Error).message}`);
          inner.destroy();
          return;
        }
        open.add(tcp);
        await bridgeStreams(inner, tcp, (e) => logger.debug(`tcp-client connection: ${e.message}`));
      })();
    },
    { tags: { type: 'TCP Proxy', address: cfg.address }, connType: serverTls ? 2 : 1 },
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
