// One QUIC connection over a datagram pipe the caller owns: how Receptor carries every service connection.
// Receptor 1.6.5 pkg/netceptor/conn.go runs quic-go over netceptor datagrams (packetconn.go): one connection per
// Dial, one bidirectional stream opened by the dialer whose first byte is 0x00, ALPN "netceptor", TLS 1.3.
// Node has no QUIC of its own; this module drives the sans-I/O quiche binding shipped by the optional package
// @matrixai/quic (docs/quic-feasibility.md): packets in → conn.recv(), conn.send() → packets out, one flush per
// event-loop turn, one timer following conn.timeout(). No sockets and no mesh imports: the mesh hands each packet
// of a (node, service) pair to receive() and wraps every io.send() packet in a netceptor data message.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { cachedInsecureServerCertificate, hasInsecureCommonName, insecureServerCertificate, type QuicCertificate } from './quic-certs.js';

/** The exact version meshctl's package.json pins; named in the hint when the package is missing. */
export const QUIC_PACKAGE = '@matrixai/quic@1.2.12';

// ---- the part of the binding meshctl uses (its own types live in the optional package) ----

interface HostPort {
  host: string;
  port: number;
}
interface NativeConfig {
  setApplicationProtos(protos: string[]): void;
  setMaxIdleTimeout(ms: number): void;
  setMaxRecvUdpPayloadSize(size: number): void;
  setMaxSendUdpPayloadSize(size: number): void;
  setInitialMaxData(v: number): void;
  setInitialMaxStreamDataBidiLocal(v: number): void;
  setInitialMaxStreamDataBidiRemote(v: number): void;
  setInitialMaxStreamDataUni(v: number): void;
  setInitialMaxStreamsBidi(v: number): void;
  setInitialMaxStreamsUni(v: number): void;
  setDisableActiveMigration(v: boolean): void;
  enableEarlyData(): void;
}
interface NativeConnectionError {
  isApp: boolean;
  errorCode: number;
  reason: Uint8Array;
}
interface NativeConnection {
  recv(data: Uint8Array, info: { from: HostPort; to: HostPort }): number;
  send(data: Uint8Array): [number, unknown] | null;
  streamRecv(id: number, data: Uint8Array): [number, boolean] | null;
  streamSend(id: number, data: Uint8Array, fin: boolean): number | null;
  streamShutdown(id: number, direction: number, err: number): void | null;
  readable(): Iterable<number>;
  timeout(): number | null;
  onTimeout(): void;
  close(app: boolean, err: number, reason: Uint8Array): void | null;
  applicationProto(): Uint8Array;
  peerCertChain(): Uint8Array[] | null;
  isEstablished(): boolean;
  isDraining(): boolean;
  isClosed(): boolean;
  isTimedOut(): boolean;
  peerError(): NativeConnectionError | null;
  localError(): NativeConnectionError | null;
  sendAckEliciting(): void;
}
interface NativeHeader {
  ty: number;
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
}
/** The native quiche binding of @matrixai/quic (dist/native/quiche.js), as far as meshctl uses it. */
export interface QuicBinding {
  MIN_CLIENT_INITIAL_LEN: number;
  Type: { Initial: number };
  Shutdown: { Read: number; Write: number };
  versionIsSupported(version: number): boolean;
  negotiateVersion(scid: Uint8Array, dcid: Uint8Array, out: Uint8Array): number;
  Config: {
    withBoringSslCtx(
      verifyPeer: boolean,
      verifyAllowFail: boolean,
      ca?: Uint8Array | null,
      key?: Uint8Array[] | null,
      cert?: Uint8Array[] | null,
      sigalgs?: string | null,
    ): NativeConfig;
  };
  Connection: {
    connect(serverName: string | null, scid: Uint8Array, local: HostPort, remote: HostPort, config: NativeConfig): NativeConnection;
    accept(scid: Uint8Array, odcid: Uint8Array | null, local: HostPort, remote: HostPort, config: NativeConfig): NativeConnection;
  };
  Header: { fromSlice(data: Uint8Array, dcidLen: number): NativeHeader };
}

// ---- public API ----

/** Carries one QUIC packet (≤ MAX_QUIC_PACKET bytes) to the peer; the mesh wraps it in a netceptor data message. */
export interface QuicPacketIO {
  send(packet: Buffer): void;
}

export interface QuicTimers {
  idleTimeoutMs: number;
  /** Dialer only; 0 turns it off (receptor's KeepAliveForQuicConnections = false). */
  keepaliveMs: number;
  handshakeTimeoutMs: number;
}

/** conn.go: MaxIdleTimeout 30 s (MaxIdleTimeoutForQuicConnections), KeepAlivePeriod half of it, HandshakeIdleTimeout 15 s. */
export const DEFAULT_QUIC_TIMERS: QuicTimers = Object.freeze({ idleTimeoutMs: 30_000, keepaliveMs: 15_000, handshakeTimeoutMs: 15_000 });

/** A configured tls-server. Without one the listener shows the per-process insecure certificate (quic-certs.ts). */
export interface QuicServerTls {
  certPem: string;
  keyPem: string;
  caPem?: string;
  requireClientCert?: boolean;
  /** Runs once the handshake is done, on the client's chain (leaf first); an error text closes the connection. */
  verifyClient?(chainDer: Buffer[]): string | undefined;
}

/** A configured tls-client. Without one the dialer accepts only a chain holding conn.go's insecure common name. */
export interface QuicClientTls {
  certPem?: string;
  keyPem?: string;
  caPem?: string;
  /** SNI sent in the ClientHello (receptor's tls-client: the peer's node ID when it checks it). */
  serverName?: string;
  /** Runs once the handshake is done, on the server's chain (leaf first); an error text closes the connection. */
  verifyServer?(chainDer: Buffer[]): string | undefined;
}

export interface QuicDialOptions {
  timers?: Partial<QuicTimers>;
  tls?: QuicClientTls;
}
export interface QuicAcceptOptions {
  timers?: Partial<QuicTimers>;
  tls?: QuicServerTls;
}

/** quic-go's largest packet (MaxPacketBufferSize); netceptor's MTU (16384) is far above it. */
export const MAX_QUIC_PACKET = 1452;
const SCID_LEN = 16;
const STREAM_ID = 0; // the dialer's first bidirectional stream: quic-go's OpenStreamSync
const ALPN = 'netceptor';
/** conn.go AcceptLoop: 60 s for the dialer's stream and its first byte. */
const ACCEPT_TIMEOUT_MS = 60_000;
/** Packets held while the shared insecure certificate is being made (a client retransmits its Initial anyway). */
const MAX_EARLY_PACKETS = 32;
// Error codes receptor uses: CloseWithError(0, "normal close"), CloseWithError(500, ...), CancelRead(499).
const NORMAL_CLOSE = 0;
const APP_ERROR = 500;
const CANCEL_CODE = 499;
/** TLS alert bad_certificate as a QUIC CRYPTO_ERROR: what quic-go sends when VerifyPeerCertificate fails. */
const BAD_CERTIFICATE = 0x12a;
const CERTIFICATE_REQUIRED = 0x174;
const INSECURE_SERVICE = 'insecure connection to secure service';
// The signature algorithms BoringSSL may use: Go's crypto/tls set for RSA, ECDSA and Ed25519 keys.
const SIGALGS = [
  'rsa_pss_rsae_sha256',
  'rsa_pss_rsae_sha384',
  'rsa_pss_rsae_sha512',
  'rsa_pkcs1_sha256',
  'rsa_pkcs1_sha384',
  'rsa_pkcs1_sha512',
  'ecdsa_secp256r1_sha256',
  'ecdsa_secp384r1_sha384',
  'ed25519',
].join(':');
// Synthetic path addresses: quiche wants IP:port pairs, netceptor addresses are (node, service). Each connection
// has exactly one path, so any fixed pair will do (TEST-NET-1, never routed).
const DIALER_ADDR: HostPort = { host: '192.0.2.1', port: 1 };
const LISTENER_ADDR: HostPort = { host: '192.0.2.2', port: 2 };

let loading: Promise<QuicBinding | Error> | undefined;

/**
 * Loads the binding once. Resolves to the binding, or to an Error whose one-line message says why it cannot load
 * (the optional package missing, no binary for this platform, a binary the system cannot load).
 */
export function loadQuic(): Promise<QuicBinding | Error> {
  loading ??= import('@matrixai/quic/dist/native/quiche.js').then(
    (mod: unknown) => bindingFromModule(mod),
    (err: unknown) => quicLoadError(err),
  );
  return loading;
}

/** The binding out of an import() of dist/native/quiche.js (CommonJS with exports.default, seen through ESM interop). */
export function bindingFromModule(mod: unknown): QuicBinding | Error {
  let b = mod as Record<string, unknown> | undefined;
  for (let i = 0; i < 3 && b && typeof b === 'object' && !('Connection' in b); i++) b = b.default as Record<string, unknown> | undefined;
  if (!b || typeof b !== 'object' || !('Connection' in b) || !('Config' in b) || !('Header' in b)) {
    return new Error(`${QUIC_PACKAGE}'s native module has an unexpected shape; reinstall it (npm install ${QUIC_PACKAGE})`);
  }
  return b as unknown as QuicBinding;
}

/** One line naming why the binding did not load, with a hint. */
export function quicLoadError(err: unknown, platform: string = platformName()): Error {
  const e = err as { code?: string; message?: string } | undefined;
  const message = String(e?.message ?? err).split('\n')[0]!;
  if ((e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && /@matrixai\/quic[/'"]/.test(message)) {
    return new Error(
      `QUIC service connections need the optional package @matrixai/quic, which is not installed; install it (npm install ${QUIC_PACKAGE})`,
    );
  }
  if (/Failed requiring possible native bindings|Unsupported (OS|architecture)/.test(message)) {
    return new Error(`QUIC service connections need @matrixai/quic, which has no binary for ${platform}; receptor-bound streams are unavailable here`);
  }
  return new Error(`QUIC service connections need @matrixai/quic, whose binary for ${platform} does not load: ${message}`);
}

function platformName(): string {
  let libc = '';
  if (process.platform === 'linux') {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    libc = header?.glibcVersionRuntime ? '' : '-musl';
  }
  return `${process.platform}-${process.arch}${libc}`;
}

/** A QUIC connection over a datagram pipe. Events: 'stream' (Duplex) once, 'closed' (reason) once. */
export class QuicConnection extends EventEmitter {
  /** RFC 9000 fixed bit: every QUIC packet has 0x40 set in its first byte; meshctl's own stream segments start below 0x40. */
  static isQuicPacket(p: Buffer): boolean {
    // The same test as quic-streams.ts isQuicPacket, which the mesh uses without loading this module; importing it
    // from there would make an import circle (quic-streams imports this module).
    return p.length > 0 && (p[0]! & 0x40) !== 0;
  }

  static dial(binding: QuicBinding, io: QuicPacketIO, opts: QuicDialOptions = {}): QuicConnection {
    const qc = new QuicConnection(binding, io, false, { ...DEFAULT_QUIC_TIMERS, ...opts.timers }, opts.tls, undefined);
    qc.guard(() => {
      const tls = opts.tls;
      // verifyPeer with verifyAllowFail: BoringSSL notes a chain it cannot verify but finishes the handshake; the chain
      // is then checked here, as conn.go's dialer does with InsecureSkipVerify + VerifyPeerCertificate, or by the
      // configured callback (Go-compatible checks and node IDs live in the mesh, not in BoringSSL).
      const config = binding.Config.withBoringSslCtx(
        true,
        true,
        tls?.caPem ? Buffer.from(tls.caPem) : null,
        tls?.keyPem && tls.certPem ? [Buffer.from(tls.keyPem)] : null,
        tls?.keyPem && tls.certPem ? [Buffer.from(tls.certPem)] : null,
        SIGALGS,
      );
      qc.configure(config);
      qc.conn = binding.Connection.connect(tls?.serverName ?? null, randomBytes(SCID_LEN), DIALER_ADDR, LISTENER_ADDR, config);
      qc.flush();
    });
    return qc;
  }

  /**
   * Listener side: a connection for the first packet from a new (node, service) peer; undefined if the packet is not
   * a client's QUIC Initial (a version this quiche does not speak gets a Version Negotiation packet back).
   */
  static accept(binding: QuicBinding, firstPacket: Buffer, io: QuicPacketIO, opts: QuicAcceptOptions = {}): QuicConnection | undefined {
    let header: NativeHeader;
    try {
      header = binding.Header.fromSlice(firstPacket, SCID_LEN);
    } catch {
      return undefined;
    }
    if (header.ty !== binding.Type.Initial) return undefined;
    if (!binding.versionIsSupported(header.version)) {
      try {
        const out = Buffer.allocUnsafe(MAX_QUIC_PACKET);
        const n = binding.negotiateVersion(header.scid, header.dcid, out);
        io.send(out.subarray(0, n));
      } catch {
        // nothing to answer with
      }
      return undefined;
    }
    // RFC 9000 §14.1: a client's Initial fills at least 1200 bytes; quiche drops shorter ones.
    if (firstPacket.length < binding.MIN_CLIENT_INITIAL_LEN) return undefined;
    const qc = new QuicConnection(binding, io, true, { ...DEFAULT_QUIC_TIMERS, ...opts.timers }, undefined, opts.tls);
    const cert = opts.tls ?? cachedInsecureServerCertificate();
    if (cert) {
      qc.startListener(cert);
      qc.receive(firstPacket);
    } else {
      qc.early = [Buffer.from(firstPacket)];
      insecureServerCertificate().then(
        (made) => {
          if (qc.done) return;
          qc.startListener(made);
          const early = qc.early ?? [];
          qc.early = undefined;
          for (const p of early) qc.receive(p);
        },
        (err: unknown) => qc.finish(`cannot make the listener certificate: ${(err as Error).message}`),
      );
    }
    return qc;
  }

  /** Resolves with the stream once it is usable; rejects with the close reason if the connection ends first. */
  readonly stream: Promise<Duplex>;

  private conn: NativeConnection | undefined;
  private early: Buffer[] | undefined;
  private done = false;
  private closedReason: string | undefined;
  private localReason: string | undefined;
  private closedByCaller = false;
  private peerClosedNormally = false;
  private flushScheduled = false;
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private acceptTimer: NodeJS.Timeout | undefined;
  private verified = false;
  private duplex: Duplex | undefined;
  private streamId: number | undefined;
  private resolveStream!: (d: Duplex) => void;
  private rejectStream!: (e: Error) => void;
  // stream state
  private readWanted = false;
  private readEnded = false;
  private writes: { buf: Buffer; cb: (err?: Error | null) => void }[] = [];
  private finCb: ((err?: Error | null) => void) | undefined;
  private finSent = false;
  private streamGone = false;
  private readonly rx = Buffer.allocUnsafe(65_536);
  private readonly packetIn = Buffer.allocUnsafe(65_536);
  private slab = Buffer.allocUnsafe(0);

  private constructor(
    private readonly binding: QuicBinding,
    private readonly io: QuicPacketIO,
    readonly isListener: boolean,
    readonly timers: QuicTimers,
    private readonly clientTls: QuicClientTls | undefined,
    private readonly serverTls: QuicServerTls | undefined,
  ) {
    super();
    this.stream = new Promise<Duplex>((resolve, reject) => {
      this.resolveStream = resolve;
      this.rejectStream = reject;
    });
    // Callers that only listen for 'closed' must not see an unhandled rejection.
    this.stream.catch(() => {});
    // quic-go's HandshakeIdleTimeout: quiche has no handshake timer of its own.
    if (timers.handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.handshakeTimer = undefined;
        if (!this.conn?.isEstablished()) this.finish('timeout: handshake did not complete in time');
      }, timers.handshakeTimeoutMs);
      this.handshakeTimer.unref();
    }
  }

  /** True once the connection has ended ('closed' emitted). */
  get closed(): boolean {
    return this.done;
  }

  /** The reason the connection ended, once it has. */
  get reason(): string | undefined {
    return this.closedReason;
  }

  /** One packet from the peer. Never throws: a packet quiche refuses is dropped, a failure closes the connection. */
  receive(packet: Buffer): void {
    if (this.done) return;
    if (!this.conn) {
      if (this.early && this.early.length < MAX_EARLY_PACKETS) this.early.push(Buffer.from(packet));
      return;
    }
    if (packet.length > this.packetIn.length) return;
    // quiche decrypts in place: a copy keeps the caller's buffer intact.
    packet.copy(this.packetIn);
    try {
      this.conn.recv(this.packetIn.subarray(0, packet.length), { from: this.remoteAddr(), to: this.localAddr() });
    } catch {
      // quiche drops packets it cannot use (Done, InvalidPacket, a bad key phase...); fatal ones close the
      // connection inside quiche, which the flush notices.
    }
    this.scheduleFlush();
  }

  /** CloseWithError(0, "normal close"), as receptor's Conn.CloseConnection; a reason is an application error 500. */
  close(reason?: string): void {
    if (this.done) return;
    this.closedByCaller = true;
    if (reason === undefined) this.closeWith(true, NORMAL_CLOSE, 'normal close');
    else this.closeWith(true, APP_ERROR, reason);
  }

  // ---- internals ----

  private localAddr(): HostPort {
    return this.isListener ? LISTENER_ADDR : DIALER_ADDR;
  }

  private remoteAddr(): HostPort {
    return this.isListener ? DIALER_ADDR : LISTENER_ADDR;
  }

  private configure(config: NativeConfig): void {
    config.setApplicationProtos([ALPN]);
    config.setMaxIdleTimeout(this.timers.idleTimeoutMs);
    config.setMaxRecvUdpPayloadSize(65_527);
    config.setMaxSendUdpPayloadSize(MAX_QUIC_PACKET);
    // quic-go's windows grow to 6 MiB per stream and 15 MiB per connection; quiche's are fixed, so start there.
    config.setInitialMaxData(10 * 1024 * 1024);
    config.setInitialMaxStreamDataBidiLocal(6 * 1024 * 1024);
    config.setInitialMaxStreamDataBidiRemote(6 * 1024 * 1024);
    config.setInitialMaxStreamDataUni(0);
    // Receptor opens one stream; a few spare ones cost nothing and are never read.
    config.setInitialMaxStreamsBidi(this.isListener ? 4 : 0);
    config.setInitialMaxStreamsUni(0);
    config.setDisableActiveMigration(true);
  }

  private startListener(cert: QuicCertificate | QuicServerTls): void {
    this.guard(() => {
      const tls = this.serverTls;
      // quiche's verify_peer on a server is Go's RequireAnyClientCert: BoringSSL asks for a certificate and fails
      // the handshake without one (CRYPTO_ERROR 0x174, certificate_required); without it no certificate is asked
      // for (receptor's tls-server with requireclientcert false: tls.NoClientCert). Chains are checked in JS.
      const config = this.binding.Config.withBoringSslCtx(
        tls?.requireClientCert === true,
        true,
        tls?.caPem ? Buffer.from(tls.caPem) : null,
        [Buffer.from(cert.keyPem)],
        [Buffer.from(cert.certPem)],
        SIGALGS,
      );
      this.configure(config);
      config.enableEarlyData(); // conn.go: Allow0RTT
      this.conn = this.binding.Connection.accept(randomBytes(SCID_LEN), null, LISTENER_ADDR, DIALER_ADDR, config);
    });
  }

  /** Runs fn; anything it throws closes the connection instead of escaping into the caller or a timer. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    const message = String((err as Error)?.message ?? err).split('\n')[0]!;
    if (this.conn && !this.done) {
      try {
        this.conn.close(false, 0x1, Buffer.from(message));
        this.sendPackets();
      } catch {
        // the connection is beyond saving; end it locally
      }
    }
    this.finish(`INTERNAL_ERROR (local): ${message}`);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.done) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.guard(() => this.flush());
    });
  }

  /** Stream work, then every packet quiche has to send, then the timer: once per event-loop turn. */
  private flush(): void {
    if (this.done || !this.conn || this.flushing) return;
    this.flushing = true;
    try {
      this.progress();
      this.sendPackets();
      if (this.done) return;
      if (this.conn.isClosed() || this.conn.isDraining()) {
        this.finishFromQuiche();
        return;
      }
      this.armTimer();
    } finally {
      this.flushing = false;
    }
  }

  private sendPackets(): void {
    const conn = this.conn!;
    for (;;) {
      if (this.slab.length < MAX_QUIC_PACKET) this.slab = Buffer.allocUnsafe(64 * 1024);
      let r: [number, unknown] | null;
      try {
        r = conn.send(this.slab);
      } catch {
        break; // Done
      }
      if (r === null) break;
      const packet = this.slab.subarray(0, r[0]);
      this.slab = this.slab.subarray(r[0]);
      this.io.send(packet);
    }
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const t = this.conn!.timeout();
    if (t === null) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.guard(() => {
        this.conn!.onTimeout();
        this.flush();
      });
    }, Math.max(0, Math.ceil(t)));
    this.timer.unref();
  }

  /** The handshake's result, the certificate checks, the 0x00 byte, then the stream's reads and writes. */
  private progress(): void {
    const conn = this.conn!;
    if (!conn.isEstablished() || conn.isDraining() || conn.isClosed()) return;
    if (this.handshakeTimer) {
      clearTimeout(this.handshakeTimer);
      this.handshakeTimer = undefined;
    }
    if (!this.verified) {
      if (!this.verifyPeer()) return;
      this.verified = true;
      if (this.isListener) {
        this.acceptTimer = setTimeout(() => {
          this.acceptTimer = undefined;
          if (this.duplex === undefined && !this.done) this.closeWith(true, APP_ERROR, 'Accept Timeout');
        }, ACCEPT_TIMEOUT_MS);
        this.acceptTimer.unref();
      } else {
        this.startKeepalive();
        // conn.go DialContext: "We need to write something to the stream to trigger the Accept() to happen".
        this.streamId = STREAM_ID;
        this.writes.push({ buf: Buffer.from([0]), cb: () => {} });
        this.openStream();
      }
    }
    if (this.isListener && this.duplex === undefined) {
      if (!this.acceptFirstByte()) return;
    }
    if (this.duplex && !this.streamGone) {
      this.pumpReads();
      this.pumpWrites();
    }
  }

  /** conn.go verifyServerCertificate / the configured callbacks. False when the connection is being closed. */
  private verifyPeer(): boolean {
    const conn = this.conn!;
    const alpn = Buffer.from(conn.applicationProto()).toString();
    if (alpn !== ALPN) {
      // quiche fails the handshake itself when ALPN does not match; this only guards a peer offering none.
      this.closeWith(false, 0x178, `tls: no application protocol`);
      return false;
    }
    const chain = (conn.peerCertChain() ?? []).map((d) => Buffer.from(d));
    let problem: string | undefined;
    if (this.isListener) {
      const tls = this.serverTls;
      if (tls?.requireClientCert && chain.length === 0) {
        this.closeWith(false, CERTIFICATE_REQUIRED, "tls: client didn't provide a certificate");
        return false;
      }
      if (tls?.verifyClient) problem = tls.verifyClient(chain);
    } else if (this.clientTls) {
      problem = this.clientTls.verifyServer?.(chain);
    } else if (!hasInsecureCommonName(chain)) {
      problem = INSECURE_SERVICE;
    }
    if (problem !== undefined) {
      this.closeWith(false, BAD_CERTIFICATE, problem);
      return false;
    }
    return true;
  }

  /** conn.go AcceptLoop: the dialer's first byte must be 0, else CloseWithError(500, "Read Data Error"). */
  private acceptFirstByte(): boolean {
    const conn = this.conn!;
    let id: number | undefined;
    for (const s of conn.readable()) {
      if (s % 4 === 0) {
        id = s;
        break;
      }
    }
    if (id === undefined) return false;
    const one = Buffer.alloc(1);
    let r: [number, boolean] | null;
    try {
      r = conn.streamRecv(id, one);
    } catch (err) {
      this.closeWith(true, APP_ERROR, `Read Error: ${streamErrorText(id, err)}`);
      return false;
    }
    if (r === null) return false;
    if (r[0] === 0 && r[1]) {
      this.closeWith(true, APP_ERROR, 'Read Error: EOF');
      return false;
    }
    if (r[0] !== 1 || one[0] !== 0) {
      this.closeWith(true, APP_ERROR, 'Read Data Error');
      return false;
    }
    if (this.acceptTimer) clearTimeout(this.acceptTimer);
    this.acceptTimer = undefined;
    this.streamId = id;
    if (r[1]) this.readEnded = true; // a FIN right after the byte: the stream ends at once
    this.openStream();
    if (this.readEnded) this.duplex!.push(null);
    return true;
  }

  private openStream(): void {
    const duplex = new Duplex({
      allowHalfOpen: true,
      read: () => {
        this.readWanted = true;
        this.scheduleFlush();
      },
      write: (chunk: Buffer, _enc, cb) => {
        if (this.done || this.streamGone) {
          cb(new Error(this.closedReason ?? 'stream closed'));
          return;
        }
        this.writes.push({ buf: chunk, cb });
        this.scheduleFlush();
      },
      final: (cb) => {
        if (this.done || this.streamGone) {
          // After the peer's normal close there is nobody left to tell: ending is not an error.
          cb(this.peerClosedNormally ? undefined : new Error(this.closedReason ?? 'stream closed'));
          return;
        }
        this.finCb = cb;
        this.scheduleFlush();
      },
      destroy: (err, cb) => {
        this.streamDestroyed(err);
        cb(err);
      },
    });
    this.duplex = duplex;
    this.resolveStream(duplex);
    this.emit('stream', duplex);
  }

  /**
   * The app destroyed the stream. Without an error that is a close, as a socket's destroy() and as a MeshStream's:
   * what was written goes out, then FIN (receptor's Conn.Close: qs.Close), and the read side is left alone — a
   * STOP_SENDING there makes receptor log `stream 0 canceled by remote with error code 499` for every normal end.
   * With an error: STOP_SENDING (receptor's CancelRead code 499) and RESET_STREAM if unfinished.
   */
  private streamDestroyed(err: Error | null): void {
    if (this.streamGone) return;
    if (!err && !this.done && this.conn && this.streamId !== undefined) {
      this.readWanted = false;
      if (!this.finSent) this.finCb ??= () => undefined;
      this.scheduleFlush();
      return;
    }
    this.streamGone = true;
    const pending = this.writes;
    this.writes = [];
    const e = new Error('stream destroyed');
    for (const w of pending) w.cb(e);
    if (this.done || !this.conn || this.streamId === undefined) return;
    try {
      if (!this.readEnded) this.conn.streamShutdown(this.streamId, this.binding.Shutdown.Read, CANCEL_CODE);
      if (!this.finSent) this.conn.streamShutdown(this.streamId, this.binding.Shutdown.Write, CANCEL_CODE);
    } catch {
      // already shut down
    }
    this.scheduleFlush();
  }

  private pumpReads(): void {
    const conn = this.conn!;
    const duplex = this.duplex!;
    const id = this.streamId!;
    while (this.readWanted && !this.readEnded) {
      let r: [number, boolean] | null;
      try {
        r = conn.streamRecv(id, this.rx);
      } catch (err) {
        if (isDone(err)) break;
        this.streamGone = true;
        duplex.destroy(new Error(streamErrorText(id, err)));
        return;
      }
      if (r === null) break;
      if (r[0] > 0 && !duplex.push(Buffer.from(this.rx.subarray(0, r[0])))) this.readWanted = false;
      if (r[1]) {
        this.readEnded = true;
        duplex.push(null);
      }
    }
  }

  private pumpWrites(): void {
    const conn = this.conn!;
    const id = this.streamId!;
    while (this.writes.length > 0) {
      const w = this.writes[0]!;
      let n: number | null;
      try {
        n = conn.streamSend(id, w.buf, false);
      } catch (err) {
        if (isDone(err)) break;
        this.streamGone = true;
        this.duplex!.destroy(new Error(streamErrorText(id, err)));
        return;
      }
      if (n === null || n === 0) break;
      if (n < w.buf.length) {
        w.buf = w.buf.subarray(n);
        break;
      }
      this.writes.shift();
      w.cb();
    }
    if (this.writes.length === 0 && this.finCb && !this.finSent) {
      let ok = false;
      try {
        ok = conn.streamSend(id, Buffer.alloc(0), true) !== null;
      } catch (err) {
        if (!isDone(err)) {
          const cb = this.finCb;
          this.finCb = undefined;
          cb(new Error(streamErrorText(id, err)));
          return;
        }
      }
      if (ok) {
        this.finSent = true;
        const cb = this.finCb;
        this.finCb = undefined;
        cb();
      }
    }
  }

  private startKeepalive(): void {
    // conn.go: KeepAlivePeriod = MaxIdleTimeout / 2 on the dialing side only; quiche leaves keepalive to its user.
    if (this.isListener || this.timers.keepaliveMs <= 0) return;
    this.keepalive = setInterval(() => {
      this.guard(() => {
        if (this.done || !this.conn) return;
        this.conn.sendAckEliciting();
        this.flush();
      });
    }, this.timers.keepaliveMs);
    this.keepalive.unref();
  }

  /** Close in quiche (a CONNECTION_CLOSE goes out now) and end locally with quic-go's text for a local error. */
  private closeWith(app: boolean, code: number, message: string): void {
    if (this.done) return;
    this.localReason = formatError(app, code, message, 'local');
    if (this.conn) {
      try {
        // What quiche has queued goes first: a client that refuses the server's chain has not sent its Finished
        // yet, and a server drops 1-RTT packets (this CONNECTION_CLOSE) until the handshake is complete (RFC 9001
        // §5.7).
        this.sendPackets();
      } catch {
        // nothing more can go out
      }
      try {
        this.conn.close(app, code, Buffer.from(message));
      } catch {
        // already closing
      }
      try {
        this.sendPackets();
      } catch {
        // nothing more can go out
      }
    }
    this.finish(this.localReason);
  }

  private finishFromQuiche(): void {
    const conn = this.conn!;
    let reason: string;
    if (this.localReason) reason = this.localReason;
    else if (conn.isTimedOut()) reason = conn.isEstablished() ? 'timeout: no recent network activity' : 'timeout: handshake did not complete in time';
    else {
      const peer = conn.peerError();
      const local = conn.localError();
      if (peer) {
        reason = formatError(peer.isApp, peer.errorCode, Buffer.from(peer.reason).toString(), 'remote');
        this.peerClosedNormally = peer.isApp && peer.errorCode === NORMAL_CLOSE;
      }
      else if (local) reason = formatError(local.isApp, local.errorCode, Buffer.from(local.reason).toString(), 'local');
      else reason = 'connection closed';
    }
    // Whatever the peer sent before closing is still in quiche: hand it to the reader before the stream ends.
    if (this.duplex && !this.streamGone && !this.readEnded && this.streamId !== undefined) {
      this.readWanted = true;
      for (;;) {
        let r: [number, boolean] | null;
        try {
          r = conn.streamRecv(this.streamId, this.rx);
        } catch {
          break;
        }
        if (r === null) break;
        if (r[0] > 0) this.duplex.push(Buffer.from(this.rx.subarray(0, r[0])));
        if (r[1]) {
          this.readEnded = true;
          this.duplex.push(null);
          break;
        }
      }
    }
    this.finish(reason);
  }

  /** Ends everything once: timers, the stream (ended if it finished cleanly, else destroyed with the reason), events. */
  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.closedReason = reason;
    for (const t of [this.timer, this.handshakeTimer, this.acceptTimer]) if (t) clearTimeout(t);
    if (this.keepalive) clearInterval(this.keepalive);
    this.timer = this.handshakeTimer = this.acceptTimer = this.keepalive = undefined;
    this.early = undefined;
    const err = new Error(reason);
    this.rejectStream(err);
    const duplex = this.duplex;
    if (duplex && !this.streamGone) {
      this.streamGone = true;
      const pending = this.writes;
      this.writes = [];
      for (const w of pending) w.cb(err);
      if (this.finCb) {
        const cb = this.finCb;
        this.finCb = undefined;
        cb(err);
      }
      // After the peer's FIN the reader has its EOF. Without it: a close of our own ends the stream quietly (the
      // caller chose it); the peer's CloseWithError(0, "normal close") is an EOF too, because quic-go drops the FIN
      // its Close() queued when CloseWithError follows at once (receptor's Conn.Close + CloseConnection, and any
      // quic-go peer that closes right after writing: seen against quic-go v0.54.1); any other end is an error.
      if (!this.readEnded) {
        if (this.closedByCaller) duplex.destroy();
        else if (this.peerClosedNormally) {
          this.readEnded = true;
          duplex.push(null);
        } else duplex.destroy(err);
      }
    }
    this.emit('closed', reason);
  }
}

function isDone(err: unknown): boolean {
  return /^Done$/.test(String((err as Error)?.message ?? err));
}

/** quic-go's StreamError text for quiche's StreamReset(code) / StreamStopped(code). */
function streamErrorText(id: number, err: unknown): string {
  const message = String((err as Error)?.message ?? err);
  const m = /Stream(?:Reset|Stopped)\((\d+)\)/.exec(message);
  if (m) return `stream ${id} canceled by remote with error code ${m[1]}`;
  return message;
}

// Go's crypto/tls alert texts for the alerts a QUIC handshake ends with (crypto/tls alert.go), for CRYPTO_ERRORs that
// come without a reason.
const TLS_ALERTS: Record<number, string> = {
  0x28: 'handshake failure',
  0x2a: 'bad certificate',
  0x2b: 'unsupported certificate',
  0x2c: 'revoked certificate',
  0x2d: 'expired certificate',
  0x2e: 'unknown certificate',
  0x2f: 'illegal parameter',
  0x30: 'unknown certificate authority',
  0x31: 'access denied',
  0x32: 'error decoding message',
  0x33: 'error decrypting message',
  0x46: 'protocol version not supported',
  0x50: 'internal error',
  0x6d: 'missing extension',
  0x74: 'certificate required',
  0x78: 'no application protocol',
};

const TRANSPORT_CODES = [
  'NO_ERROR',
  'INTERNAL_ERROR',
  'CONNECTION_REFUSED',
  'FLOW_CONTROL_ERROR',
  'STREAM_LIMIT_ERROR',
  'STREAM_STATE_ERROR',
  'FINAL_SIZE_ERROR',
  'FRAME_ENCODING_ERROR',
  'TRANSPORT_PARAMETER_ERROR',
  'CONNECTION_ID_LIMIT_ERROR',
  'PROTOCOL_VIOLATION',
  'INVALID_TOKEN',
  'APPLICATION_ERROR',
  'CRYPTO_BUFFER_EXCEEDED',
  'KEY_UPDATE_ERROR',
  'AEAD_LIMIT_REACHED',
  'NO_VIABLE_PATH',
];

/** quic-go's ApplicationError / TransportError texts (internal/qerr/errors.go). */
export function formatError(app: boolean, code: number, message: string, role: 'local' | 'remote'): string {
  const hex = `0x${code.toString(16)}`;
  if (app) return message ? `Application error ${hex} (${role}): ${message}` : `Application error ${hex} (${role})`;
  const crypto = code >= 0x100 && code <= 0x1ff;
  const name = crypto ? `CRYPTO_ERROR ${hex}` : (TRANSPORT_CODES[code] ?? `unknown error code: ${hex}`);
  const text = message || (crypto && TLS_ALERTS[code - 0x100] ? `tls: ${TLS_ALERTS[code - 0x100]}` : '');
  return text ? `${name} (${role}): ${text}` : `${name} (${role})`;
}
