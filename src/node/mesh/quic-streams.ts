// Stream connections with receptor nodes: QUIC over netceptor data messages, as receptor's conn.go runs every
// service connection (issue 15 stage 2). One QuicConnection (quic.ts) per stream, keyed like a StreamSession by
// (remote node, remote service, local service): a dialer's ephemeral service is unique per dial, and so is the
// pair a listener sees. The binding (@matrixai/quic, an optional dependency with native binaries) is loaded on
// first use; where it cannot load, streams with receptor nodes are refused with its one-line reason and streams
// between meshctl nodes keep running on StreamSessions (session.ts), which need nothing native.
import type { Duplex } from 'node:stream';
import type { NodeLogger } from '../logger.js';
import type { QuicBinding, QuicConnection, QuicTimers } from './quic.js';

/** First byte of a QUIC packet: the fixed bit (RFC 9000 §17) is set; StreamSession segments stay below 0x40. */
export function isQuicPacket(p: Buffer): boolean {
  return p.length > 0 && (p[0]! & 0x40) !== 0;
}

export interface QuicStreamsHost {
  readonly logger: NodeLogger;
  /** One datagram payload from our `localService` to `service` on `node` (a netceptor data message). */
  send(localService: string, node: string, service: string, payload: Buffer): void;
  readonly timers: Partial<QuicTimers>;
}

/** How long a dialer's connection outlives its stream (see dial). */
const DIALER_CLOSE_DELAY_MS = 1_000;

/** Packets held per connection while the binding loads (the peer retransmits anything beyond). */
const MAX_HELD_PACKETS = 32;

type Loaded = { binding: QuicBinding; mod: typeof import('./quic.js') } | Error;

export class QuicStreams {
  private loading: Promise<Loaded> | undefined;
  private loaded: Loaded | undefined;
  private readonly conns = new Map<string, QuicConnection>();
  private readonly held = new Map<string, Buffer[]>();
  private closed = false;

  constructor(private readonly host: QuicStreamsHost) {}

  /** Loads the binding once; the Error says in one line why QUIC is unavailable. */
  load(): Promise<Loaded> {
    this.loading ??= (async () => {
      let result: Loaded;
      try {
        const mod = await import('./quic.js');
        const binding = await mod.loadQuic();
        result = binding instanceof Error ? binding : { binding, mod };
      } catch (err) {
        result = err instanceof Error ? err : new Error(String(err));
      }
      this.loaded = result;
      return result;
    })();
    return this.loading;
  }

  /** Why QUIC cannot run here, once known (undefined: loaded, or not tried yet). */
  get unavailable(): Error | undefined {
    return this.loaded instanceof Error ? this.loaded : undefined;
  }

  /**
   * Dials `service` on `node` from our `localService` (conn.go DialContext: one connection, one stream, first byte
   * 0x00). The caller routes the peer's packets for `localService` to receive().
   */
  async dial(node: string, service: string, localService: string, onClosed?: () => void): Promise<Duplex> {
    const l = await this.load();
    if (l instanceof Error) throw l;
    if (this.closed) throw new Error('netceptor shutdown');
    const key = keyOf(node, service, localService);
    const conn = l.mod.QuicConnection.dial(l.binding, { send: (p) => this.host.send(localService, node, service, p) }, { timers: this.host.timers });
    this.track(key, conn);
    if (onClosed) conn.once('closed', onClosed);
    let stream: Duplex;
    try {
      stream = await conn.stream;
    } catch (err) {
      conn.close();
      throw err;
    }
    // conn.go Conn.Close: the dialer ends the connection (CloseWithError 0 "normal close") once its stream is done. A
    // close is immediate in quiche, so give the last bytes and FIN a moment to be acknowledged first.
    stream.once('close', () => setTimeout(() => conn.close(), DIALER_CLOSE_DELAY_MS).unref());
    return stream;
  }

  /** A packet from `node`/`service` for our `localService`, on a connection we dialled or accepted. */
  receive(node: string, service: string, localService: string, packet: Buffer): boolean {
    const conn = this.conns.get(keyOf(node, service, localService));
    if (!conn) return false;
    conn.receive(packet);
    return true;
  }

  /**
   * A packet for one of our listening services. A new peer's Initial makes a connection whose stream goes to
   * `onStream` (conn.go Listener.Accept, once the dialer's 0x00 byte arrived).
   */
  accept(node: string, service: string, localService: string, packet: Buffer, onStream: (stream: Duplex) => void): void {
    if (this.receive(node, service, localService, packet)) return;
    const key = keyOf(node, service, localService);
    if (!(this.loaded && !(this.loaded instanceof Error))) {
      // The binding is still loading (or cannot load): hold the first packets, answer once it is there.
      const held = this.held.get(key);
      if (held) {
        if (held.length < MAX_HELD_PACKETS) held.push(packet);
        return;
      }
      this.held.set(key, [packet]);
      void this.load().then((l) => {
        const packets = this.held.get(key) ?? [];
        this.held.delete(key);
        if (l instanceof Error) {
          this.host.logger.warning(`dropping a QUIC stream from ${node} to service ${localService}: ${l.message}`);
          return;
        }
        for (const p of packets) this.accept(node, service, localService, p, onStream);
      });
      return;
    }
    const l = this.loaded;
    if (this.closed) return;
    const conn = l.mod.QuicConnection.accept(l.binding, packet, { send: (p) => this.host.send(localService, node, service, p) }, { timers: this.host.timers });
    if (!conn) return;
    this.track(key, conn);
    conn.stream.then(onStream, (err: Error) => {
      if (this.host.logger.enabled('debug')) this.host.logger.debug(`QUIC stream from ${node} to service ${localService} failed: ${err.message}`);
    });
  }

  /** Ends the connection of a dial that lost its race or was given up. */
  abandon(node: string, service: string, localService: string): void {
    this.conns.get(keyOf(node, service, localService))?.close();
  }

  close(): void {
    this.closed = true;
    for (const c of [...this.conns.values()]) c.close('netceptor shutdown');
    this.held.clear();
  }

  private track(key: string, conn: QuicConnection): void {
    this.conns.set(key, conn);
    conn.once('closed', () => {
      if (this.conns.get(key) === conn) this.conns.delete(key);
    });
  }
}

function keyOf(node: string, service: string, localService: string): string {
  return `${node}\0${service}\0${localService}`;
}
