// UDP link sockets (Receptor: pkg/backends/udp.go). One datagram carries one netceptor message (at most
// UDPMaxPacketLen, 65507 bytes); there is no handshake below netceptor, so a "connection" is only a pair of
// addresses:
// - A listener is one socket. UDPListener.Start keeps a session registry keyed by the remote `addr:port`
//   (UDPAddr.String()) and makes a session the first time a datagram comes from an address it does not hold;
//   UDPListenerSession.Close only deletes the entry, so the next datagram from that address makes a new
//   session. Receptor's dialer therefore speaks first: the listener learns of it from its first datagram.
// - A dialer is a connected socket (UDPDialer.Start: net.Dialer.DialContext("udp", address)), so the
//   kernel drops datagrams from any other address, and an ICMP port-unreachable comes back as
//   ECONNREFUSED on the next read or write: UDPDialerSession.Recv/Send return it and netceptor's
//   protoReader/protoWriter cancel the connection (netceptor.go), after which dialerSession redials.
// UDP has no backpressure and no flow control of its own: send() never reports the transport as full.
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import { checkDatagramMessage } from '../../../protocol/netceptor/index.js';
import { MessageInbox, type FrameTransport, type MessageHandlers } from './frame-transport.js';
import { splitHostPort, type AcceptHandlers, type ServerHandle } from './tcp.js';

/**
 * Datagrams held for a session until its link starts it. A link starts at once; past this bound datagrams
 * are dropped, as a full socket buffer would drop them (UDP promises no delivery).
 */
const MAX_EARLY_MESSAGES = 64;

function addressText(address: string, port: number): string {
  // Go's UDPAddr.String(): `[v6]:port`, the registry's key in udp.go.
  return `${net.isIPv6(address) ? `[${address}]` : address}:${port}`;
}

/**
 * Go's text for a failed read or write on a connected UDP socket (net.OpError around the syscall error), e.g.
 * `read udp 127.0.0.1:41234->127.0.0.1:9999: read: connection refused`: what receptor logs after
 * `Backend receiving error` / `Backend sending error`. The errno code stays on the error.
 */
function goUdpError(op: 'read' | 'write', s: dgram.Socket, err: NodeJS.ErrnoException): Error {
  let ends = '';
  try {
    const l = s.address();
    const r = s.remoteAddress();
    ends = ` ${addressText(l.address, l.port)}->${addressText(r.address, r.port)}`;
  } catch {
    // Closed meanwhile: no addresses to name.
  }
  const what = err.code === 'ECONNREFUSED' ? 'connection refused' : err.message;
  const e: NodeJS.ErrnoException = new Error(`${op} udp${ends}: ${op}: ${what}`, { cause: err });
  if (err.code !== undefined) e.code = err.code;
  return e;
}

/** One UDP session: the datagrams between us and one remote address. */
class UdpSession implements FrameTransport {
  readonly kind = 'udp';
  readonly peerCertificate = undefined;
  private readonly inbox = new MessageInbox(MAX_EARLY_MESSAGES);
  /** Bytes handed to the socket whose send has not completed. */
  private pending = 0;
  private ending = false;

  constructor(
    readonly remoteAddress: string,
    /** Sends one datagram to the remote address; `done` runs once the kernel has it (or refused it). */
    private readonly sendDatagram: (m: Buffer, done: (err: Error | null) => void) => void,
    /** Runs once when the session closes (the listener forgets it; a dialer closes its socket). */
    private readonly onClosed: () => void,
  ) {}

  get writableLength(): number {
    return this.pending;
  }

  get closed(): boolean {
    return this.inbox.closed;
  }

  get firstBytes(): Buffer | undefined {
    return this.inbox.firstBytes;
  }

  start(handlers: MessageHandlers): void {
    this.inbox.start(handlers);
  }

  /** One datagram from the remote address (beyond the held ones before start(), dropped as UDP may). */
  deliver(m: Buffer): void {
    this.inbox.deliver(m);
  }

  /**
   * Throws only for a message UDP cannot carry (empty, or over 65507 bytes: UDPDialerSession.Send's
   * `data too large`); a network error closes the session instead, as netceptor's protoWriter cancels
   * the connection when Send fails.
   */
  send(message: Buffer): boolean {
    checkDatagramMessage(message, 'udp');
    if (this.inbox.closed) return true;
    this.pending += message.length;
    this.sendDatagram(message, (err) => {
      this.pending -= message.length;
      if (err) this.destroy(err);
      else if (this.ending && this.pending === 0) this.destroy();
    });
    return true;
  }

  cork(): void {
    // Each datagram is its own send; there is nothing to batch.
  }

  uncork(): void {}

  end(): void {
    if (this.inbox.closed) return;
    if (this.pending === 0) this.destroy();
    else this.ending = true;
  }

  destroy(err?: Error): void {
    if (this.inbox.close(err)) this.onClosed();
  }
}

/** Go's ResolveUDPAddr on a host: an IP as it is, an empty host as the local system, a name through the resolver. */
async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
  if (host === '') return { address: '127.0.0.1', family: 4 };
  const v = net.isIP(host);
  if (v !== 0) return { address: host, family: v as 4 | 6 };
  const r = await dns.lookup(host);
  return { address: r.address, family: r.family === 6 ? 6 : 4 };
}

/**
 * A `udp-listener`: one socket; a session per remote address, handed to `on.connection` when its first
 * datagram arrives (udp.go UDPListener.Start). close() ends every session and the socket.
 */
export async function listenUdp(opts: { host: string; port: number }, on: AcceptHandlers): Promise<ServerHandle> {
  // An empty bindaddr listens on every address, as net.ListenUDP with a nil IP (a dual-stack socket).
  const bind = opts.host === '' ? { address: '::', family: 6 } : net.isIP(opts.host) !== 0 ? { address: opts.host, family: net.isIP(opts.host) } : await dns.lookup(opts.host);
  const socket = dgram.createSocket({ type: bind.family === 6 ? 'udp6' : 'udp4' });
  const sessions = new Map<string, UdpSession>();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: opts.port, address: bind.address }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const address = socket.address();
  socket.on('message', (m: Buffer, rinfo: dgram.RemoteInfo) => {
    const key = addressText(rinfo.address, rinfo.port);
    let session = sessions.get(key);
    if (!session) {
      const s: UdpSession = new UdpSession(
        key,
        (msg, done) => socket.send(msg, rinfo.port, rinfo.address, (err) => done(err)),
        () => {
          if (sessions.get(key) === s) sessions.delete(key);
        },
      );
      session = s;
      sessions.set(key, s);
      on.connection(s);
    }
    session.deliver(m);
  });
  // An unconnected socket gets no ICMP errors on Linux; any other read error is reported and listening goes
  // on (udp.go's reader logs `UDP read error` and stops reading, leaving its sessions to time out).
  socket.on('error', (err: Error) => on.error(err, addressText(address.address, address.port)));
  let closing: Promise<void> | undefined;
  return {
    address: { address: address.address, family: address.family, port: address.port },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const s of [...sessions.values()]) s.destroy();
        socket.close(() => resolve());
      })),
  };
}

/**
 * A `udp-peer`: a socket connected to `address` (`host:port`; a host name is resolved first, as Go's
 * DialContext does, and picks udp4 or udp6). Resolves as soon as the socket is connected: UDP has no
 * handshake, so the first datagram is the first sign of the peer (the link sends its routing update at once).
 */
export async function dialUdp(opts: { address: string; signal?: AbortSignal; timeoutMs?: number }): Promise<FrameTransport> {
  const { host, port } = splitHostPort(opts.address);
  const cancelled = (): Error => new Error('dial cancelled');
  if (opts.signal?.aborted) throw cancelled();
  let socket: dgram.Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<FrameTransport>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        if (socket) socket.close();
        reject(err);
      };
      onAbort = () => fail(cancelled());
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => fail(new Error(`dial ${opts.address}: i/o timeout`)), opts.timeoutMs ?? 15_000);
      resolveHost(host).then(
        ({ address, family }) => {
          if (settled) return;
          const s = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
          socket = s;
          s.once('error', fail);
          s.connect(port, address, () => {
            if (settled) return;
            settled = true;
            s.off('error', fail);
            let closedSocket = false;
            const session = new UdpSession(
              opts.address,
              (msg, done) => s.send(msg, (err) => done(err ? goUdpError('write', s, err) : null)),
              () => {
                closedSocket = true;
                s.close();
              },
            );
            s.on('message', (m: Buffer) => session.deliver(m));
            // ECONNREFUSED (an ICMP port-unreachable for an earlier datagram) and any other read error end
            // the session, as UDPDialerSession.Recv's error ends the connection in protoReader.
            s.on('error', (err: NodeJS.ErrnoException) => {
              if (!closedSocket) session.destroy(goUdpError('read', s, err));
            });
            resolve(session);
          });
        },
        // Go's DialContext text for a name that does not resolve: `dial udp: lookup HOST: no such host`.
        (err: NodeJS.ErrnoException) => fail(new Error(`dial udp: ${err.code === 'ENOTFOUND' ? `lookup ${host}: no such host` : err.message}`, { cause: err })),
      );
    });
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
  }
}
