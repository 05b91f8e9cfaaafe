// WebSocket link sockets (Receptor: pkg/backends/websockets.go). One binary WebSocket message carries one
// netceptor message, with no length prefix: WebsocketSession.Send writes one websocket.BinaryMessage per
// message, and recvChannelizer hands each ReadMessage result to netceptor whatever its type. ws:// and
// wss://, an upgrade path on the listener, an `origin` header and one extra header on the dialer, as Receptor.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { checkDatagramMessage } from '../../../protocol/netceptor/index.js';
import { MessageInbox, type FrameTransport, type MessageHandlers } from './frame-transport.js';
import { closeServer, deferClientVerification, listen, type AcceptHandlers, type LinkClientTls, type LinkServerTls, type ServerHandle } from './tcp.js';

/** Messages that arrive before start() are held (a link starts its transport at once; this is a bound, not a queue). */
const MAX_EARLY_MESSAGES = 256;

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * One WebSocket connection as a netceptor message transport: each binary WebSocket message is one message.
 * A text or empty message from the peer is handed over as it came (gorilla's ReadMessage ignores the type, so
 * receptor would take it too); the link refuses what it cannot decode. Backpressure is the TCP (or TLS)
 * socket's: ws writes each frame straight into it (no permessage-deflate is negotiated: gorilla offers and
 * accepts none, and neither do we), so bufferedAmount is the socket's queue and its 'drain' is ours.
 */
export class WsMessageTransport implements FrameTransport {
  private readonly inbox = new MessageInbox(MAX_EARLY_MESSAGES);

  constructor(
    private readonly ws: WebSocket,
    /** The TCP or TLS socket under `ws` (its writable side is what send() fills). */
    private readonly socket: net.Socket,
    readonly kind: string,
    readonly remoteAddress: string,
    readonly peerCertificate: Buffer | undefined,
  ) {
    // Listening from the start: ws emits messages as soon as the upgrade is done, possibly before start(),
    // and an error before start() must not become an uncaught exception.
    ws.on('message', (data: RawData) => this.onMessage(asBuffer(data)));
    ws.on('error', (err: Error) => this.inbox.fail(err));
    ws.on('close', () => this.inbox.close());
    socket.on('drain', () => this.inbox.drain());
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  get closed(): boolean {
    return this.inbox.closed;
  }

  get firstBytes(): Buffer | undefined {
    return this.inbox.firstBytes;
  }

  start(handlers: MessageHandlers): void {
    // What the peer sent before we started, then its close if it already closed (as a paused stream would).
    this.inbox.start(handlers);
  }

  private onMessage(m: Buffer): void {
    if (!this.inbox.deliver(m)) this.destroy(new Error(`more than ${MAX_EARLY_MESSAGES} websocket messages before the link started`));
  }

  send(message: Buffer): boolean {
    checkDatagramMessage(message, 'websocket');
    if (this.inbox.closed || this.ws.readyState !== WebSocket.OPEN) return true;
    // A write error shows up as the socket's 'error' and 'close', which end the transport.
    this.ws.send(message, { binary: true });
    return this.ws.bufferedAmount < this.socket.writableHighWaterMark;
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  end(): void {
    if (this.inbox.closed) return;
    // A close frame after what is queued; ws closes the socket once the peer answers it (gorilla does).
    this.ws.close();
    // A peer that never answers must not keep the socket forever.
    setTimeout(() => this.destroy(), 2000).unref();
  }

  destroy(err?: Error): void {
    if (err) this.inbox.fail(err);
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    this.inbox.close();
  }
}

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
      socket.setNoDelay(true);
      on.connection(new WsMessageTransport(ws, socket, kind, remoteOf(socket), peerCert));
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
    let socket: net.Socket | undefined = verified;
    const ws = new WebSocket(opts.url, {
      headers,
      handshakeTimeout: timeoutMs,
      // gorilla's dialer (EnableCompression false) offers no permessage-deflate either.
      perMessageDeflate: false,
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
      socket = res.socket as net.Socket;
    });
    ws.on('open', () => {
      cleanup();
      const s = socket!;
      s.setNoDelay(true);
      const cert = secure ? (s as TLSSocket).getPeerX509Certificate()?.raw : undefined;
      resolve(new WsMessageTransport(ws, s, secure ? 'wss' : 'ws', u.host, cert));
    });
  });
}
