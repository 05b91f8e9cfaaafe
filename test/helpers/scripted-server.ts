// A stand-in control service for client tests: each accepted connection runs a script written in the
// test (what to send, in which chunks, what to expect). Real sockets (Unix, TCP or TLS), no mocks.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class ScriptSocket {
  private buf = Buffer.alloc(0);
  private eof = false;
  private waiters: (() => void)[] = [];
  /** Every byte the client sent, in order. */
  received = Buffer.alloc(0);
  /** Time at which the client's half-close (EOF) arrived, if it did. */
  eofAt: number | undefined;

  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.received = Buffer.concat([this.received, d]);
      this.wake();
    });
    sock.on('end', () => {
      this.eof = true;
      this.eofAt = Date.now();
      this.wake();
    });
    sock.on('close', () => {
      this.eof = true;
      this.wake();
    });
    sock.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private wait(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  /** Writes `data`, optionally split into pieces with a pause between them so they arrive as separate reads. */
  async send(data: string | Buffer, pieces: 'whole' | 'bytewise' | number[] = 'whole'): Promise<void> {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    let cuts: number[];
    if (pieces === 'whole') cuts = [];
    else if (pieces === 'bytewise') cuts = Array.from({ length: b.length - 1 }, (_, i) => i + 1);
    else cuts = pieces;
    let prev = 0;
    for (const c of [...cuts, b.length]) {
      const piece = b.subarray(prev, c);
      prev = c;
      if (piece.length === 0) continue;
      if (!this.sock.write(piece)) await new Promise((r) => this.sock.once('drain', r));
      if (pieces !== 'whole') await sleep(2);
    }
  }

  /** The next line the client sent (without `\n`); null at EOF. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const i = this.buf.indexOf(0x0a);
      if (i >= 0) {
        const line = this.buf.toString('utf8', 0, i);
        this.buf = this.buf.subarray(i + 1);
        return line;
      }
      if (this.eof) return null;
      await this.wait();
    }
  }

  /** Bytes buffered and not consumed as lines. */
  pending(): Buffer {
    return this.buf;
  }

  /** Everything until the client half-closes. */
  async readToEnd(): Promise<Buffer> {
    while (!this.eof) await this.wait();
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }

  end(): Promise<void> {
    return new Promise((r) => this.sock.end(r));
  }

  destroy(): void {
    this.sock.destroy();
  }
}

export interface ScriptedServer {
  /** Address for ControlClient (`unix:`, `tcp://` or `tls://`). */
  address: string;
  port?: number;
  path?: string;
  /** Resolves with the script's error (or undefined) for each connection, in accept order. */
  results: Promise<unknown>[];
  connections: ScriptSocket[];
  close(): Promise<void>;
}

export interface ScriptedServerOptions {
  kind?: 'unix' | 'tcp' | 'tls';
  tls?: tls.TlsOptions;
  /** Listen address for tcp/tls; default 127.0.0.1. */
  host?: string;
}

export async function startScriptedServer(
  script: (s: ScriptSocket, index: number) => Promise<void>,
  opts: ScriptedServerOptions = {},
): Promise<ScriptedServer> {
  const kind = opts.kind ?? 'unix';
  const connections: ScriptSocket[] = [];
  const results: Promise<unknown>[] = [];
  const onConn = (sock: net.Socket) => {
    const s = new ScriptSocket(sock);
    const i = connections.length;
    connections.push(s);
    results.push(
      script(s, i).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
  };
  const server =
    kind === 'tls' ? tls.createServer({ ...opts.tls, allowHalfOpen: true }, onConn) : net.createServer({ allowHalfOpen: true }, onConn);
  // Track raw sockets too: a TLS connection whose handshake failed never reaches `onConn`, and with
  // allowHalfOpen it would keep server.close() waiting.
  const raw = new Set<net.Socket>();
  server.on('connection', (sock: net.Socket) => {
    raw.add(sock);
    sock.on('close', () => raw.delete(sock));
  });
  server.on('tlsClientError', (_err: Error, sock: net.Socket) => sock.destroy());
  let dir: string | undefined;
  let address: string;
  let port: number | undefined;
  let path: string | undefined;
  if (kind === 'unix') {
    dir = mkdtempSync(join(tmpdir(), 'meshctl-script-'));
    path = join(dir, 'ctl.sock');
    await new Promise<void>((r) => server.listen(path, r));
    address = `unix:${path}`;
  } else {
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((r) => server.listen(0, host, r));
    port = (server.address() as net.AddressInfo).port;
    address = `${kind}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  return {
    address,
    port,
    path,
    results,
    connections,
    async close() {
      for (const c of connections) c.destroy();
      for (const r of raw) r.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const GREETING = (node = 'scripted') => `Receptor Control, node ${node}\n`;
