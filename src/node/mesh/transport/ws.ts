// WebSocket link sockets (Receptor: pkg/backends/websockets.go). The link's byte stream (the same frames
// as over TCP) travels in binary WebSocket messages; message boundaries mean nothing. ws:// and wss://,
// an upgrade path on the listener, an `origin` header and one extra header on the dialer, as Receptor.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import { DuplexFrameTransport, type FrameTransport } from './frame-transport.js';
import { closeServer, deferClientVerification, listen, type AcceptHandlers, type LinkClientTls, type LinkServerTls, type ServerHandle } from './tcp.js';

function remoteOf(s: net.Socket): string {
  const host = s.remoteFamily === 'IPv6' ? `[${s.remoteAddress}]` : (s.remoteAddress ?? '?');
  return `${host}:${s.remotePort ?? '?'}`;
}

export async function listenWs(
  opts: { host: string; port: number; path: string; tls?: LinkServerTls | undefined },
  on: AcceptHandlers,
): Promise<ServerHandle> {
  const wss = new WebSocketServer({ noServer: true });
  const kind = opts.tls ? 'wss' : 'ws';
  const verify = opts.tls ? deferClientVerification(opts.tls) : undefined;
  const server = verify ? https.createServer(verify.options) : http.createServer();
  const path = opts.path === '' ? '/' : opts.path;
  // Plain HTTP requests get 404, as an http.ServeMux with only the websocket path would answer.
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    let peerCert: Buffer | undefined;
    if (verify) {
      const t = socket as TLSSocket;
      const problem = verify.check(t);
      if (problem !== undefined) {
        on.error(new Error(problem), remoteOf(socket));
        socket.destroy();
        return;
      }
      peerCert = t.getPeerX509Certificate()?.raw;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      socket.setNoDelay(true);
      on.connection(new DuplexFrameTransport(stream, kind, remoteOf(socket), peerCert));
    });
  });
  if (opts.tls) server.on('tlsClientError', (err: Error, socket: net.Socket) => on.error(err, remoteOf(socket)));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const address = await listen(server, opts.host, opts.port);
  return {
    address,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await closeServer(server, sockets);
      wss.close();
    },
  };
}

/**
 * For wss with a tls-client: the TLS connection, made and verified (verifyPeer) before the WebSocket
 * upgrade request goes out, so the request (and an extraheader that may carry a credential) never reaches
 * a server whose certificate is refused. ws then runs its upgrade on this socket (createConnection).
 */
function connectVerifiedTls(u: URL, t: LinkClientTls, timeoutMs: number, signal: AbortSignal | undefined): Promise<TLSSocket> {
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port || 443);
  return new Promise((resolve, reject) => {
    const servername = net.isIP(host) ? undefined : host;
    const socket = tls.connect({ host, port, ...(servername ? { servername } : {}), ...t.options }, () => {
      const problem = t.verifyPeer?.(socket);
      if (problem !== undefined) return fail(new Error(problem));
      cleanup();
      resolve(socket);
    });
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(new Error('dial cancelled'));
    const timer = setTimeout(() => fail(new Error(`dial ${u.host}: i/o timeout`)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', fail);
  });
}

export async function dialWs(opts: {
  url: string;
  /** `Name: value` sent with the upgrade request (Receptor's extraheader). */
  extraHeader?: string;
  tls?: LinkClientTls | undefined;
  signal?: AbortSignal;
  timeoutMs?: number;
}): Promise<FrameTransport> {
  const u = new URL(opts.url);
  const secure = u.protocol === 'wss:';
  const headers: Record<string, string> = {};
  if (opts.extraHeader) {
    const i = opts.extraHeader.indexOf(':');
    headers[opts.extraHeader.slice(0, i).trim()] = opts.extraHeader.slice(i + 1).trim();
  }
  // Receptor sends an Origin of the dialled host (websockets.go NewWebsocketDialer).
  headers.origin = `${secure ? 'https' : 'http'}://${u.host}`;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const verified = secure && opts.tls ? await connectVerifiedTls(u, opts.tls, timeoutMs, opts.signal) : undefined;
  return new Promise((resolve, reject) => {
    let tlsSocket: TLSSocket | undefined = verified;
    const ws = new WebSocket(opts.url, {
      headers,
      handshakeTimeout: timeoutMs,
      ...(verified ? { createConnection: () => verified } : {}),
    } as ConstructorParameters<typeof WebSocket>[2]);
    const fail = (err: Error): void => {
      cleanup();
      // terminate() on a connecting socket emits one more 'error': swallow it.
      ws.on('error', () => undefined);
      ws.terminate();
      verified?.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(new Error('dial cancelled'));
    const cleanup = (): void => {
      opts.signal?.removeEventListener('abort', onAbort);
      ws.off('error', fail);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('error', fail);
    ws.on('unexpected-response', (_req, res) => fail(new Error(`websocket upgrade refused: HTTP ${res.statusCode ?? '?'}`)));
    ws.on('upgrade', (res: http.IncomingMessage) => {
      if (secure) tlsSocket = res.socket as TLSSocket;
    });
    ws.on('open', () => {
      cleanup();
      const stream = createWebSocketStream(ws);
      resolve(new DuplexFrameTransport(stream, secure ? 'wss' : 'ws', u.host, tlsSocket?.getPeerX509Certificate()?.raw));
    });
  });
}
