// TCP and TLS link sockets (Receptor: pkg/backends/tcp.go). A listener hands every accepted connection
// over as a FrameTransport once TLS (if any) is done and the post-handshake checks passed; a dial
// resolves with one.
import net from 'node:net';
import tls from 'node:tls';
import { deferClientVerification } from '../../tls-verify.js';
import { DuplexFrameTransport, type FrameTransport } from './frame-transport.js';

/** TLS for a listener: node:tls server options plus checks node:tls cannot express (pins). */
export interface LinkServerTls {
  options: tls.TlsOptions;
  /** Called after the handshake (and after the chain check of a required certificate); a returned text refuses the connection with that reason. */
  verifyPeer?(socket: tls.TLSSocket): string | undefined;
}

/** TLS for a peer: node:tls connect options (ca, cert, key, servername, rejectUnauthorized...). */
export interface LinkClientTls {
  options: tls.ConnectionOptions;
  /**
   * Called after the handshake and before any byte is sent; a returned text fails the dial with that
   * reason. Options with rejectUnauthorized: false leave the whole check to it (src/node/tls-client.ts).
   */
  verifyPeer?(socket: tls.TLSSocket): string | undefined;
}

export { deferClientVerification } from '../../tls-verify.js';

export interface ServerHandle {
  /** The bound address (port 0 resolved). */
  readonly address: net.AddressInfo;
  close(): Promise<void>;
}

export interface AcceptHandlers {
  connection(t: FrameTransport): void;
  /** A connection that failed before becoming a link (TLS refused, bad client certificate). */
  error(err: Error, remote: string): void;
}

function remoteOf(s: net.Socket): string {
  const host = s.remoteFamily === 'IPv6' ? `[${s.remoteAddress}]` : (s.remoteAddress ?? '?');
  return `${host}:${s.remotePort ?? '?'}`;
}

/** Opened sockets are tracked so close() can end them: net.Server.close() waits for every socket. */
function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return sockets;
}

export function listen(server: net.Server, host: string, port: number): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    // Backlog as Go's listeners (somaxconn), not Node's 511.
    server.listen({ host: host === '' ? undefined : host, port, backlog: 4096 }, () => {
      server.off('error', onError);
      resolve(server.address() as net.AddressInfo);
    });
  });
}

export function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}

export async function listenTcp(opts: { host: string; port: number; tls?: LinkServerTls | undefined }, on: AcceptHandlers): Promise<ServerHandle> {
  let server: net.Server;
  if (opts.tls) {
    const t = deferClientVerification(opts.tls);
    server = tls.createServer(t.options, (socket) => {
      const problem = t.check(socket);
      if (problem !== undefined) {
        on.error(new Error(problem), remoteOf(socket));
        socket.destroy();
        return;
      }
      socket.setNoDelay(true);
      on.connection(new DuplexFrameTransport(socket, 'tls', remoteOf(socket)));
    });
    server.on('tlsClientError', (err, socket) => on.error(err, remoteOf(socket)));
  } else {
    server = net.createServer((socket) => {
      socket.setNoDelay(true);
      on.connection(new DuplexFrameTransport(socket, 'tcp', remoteOf(socket)));
    });
  }
  const sockets = track(server);
  const address = await listen(server, opts.host, opts.port);
  return { address, close: () => closeServer(server, sockets) };
}

/** Splits `host:port` / `[v6]:port` as Go's net.SplitHostPort does. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(address) ?? /^([^:]*):(\d+)$/.exec(address);
  if (!m) throw new Error(`address ${address}: missing port in address`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`address ${address}: invalid port`);
  return { host: m[1]!, port };
}

export function dialTcp(opts: { address: string; tls?: LinkClientTls | undefined; signal?: AbortSignal; timeoutMs?: number }): Promise<FrameTransport> {
  const { host, port } = splitHostPort(opts.address);
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(new Error('dial cancelled'));
    // Receptor gives a TLS dial 15 s (tcp.go Start); a plain dial waits for the OS.
    const timer = setTimeout(() => fail(new Error(`dial ${opts.address}: i/o timeout`)), opts.timeoutMs ?? 15_000);
    const cleanup = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.tls) {
      const t = opts.tls;
      // Receptor checks the server certificate against the host of the address (ExpectedHostnameTypeDNS).
      const servername = net.isIP(host) ? undefined : host;
      socket = tls.connect({ host, port, ...(servername ? { servername } : {}), ...t.options }, () => {
        const s = socket as tls.TLSSocket;
        const problem = t.verifyPeer?.(s);
        if (problem !== undefined) return fail(new Error(problem));
        cleanup();
        s.setNoDelay(true);
        resolve(new DuplexFrameTransport(s, 'tls', opts.address));
      });
    } else {
      socket = net.connect({ host, port }, () => {
        cleanup();
        socket.setNoDelay(true);
        resolve(new DuplexFrameTransport(socket, 'tcp', opts.address));
      });
    }
    socket.on('error', fail);
  });
}
