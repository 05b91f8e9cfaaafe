// A stand-in control service for submit uploads, on a real Unix, TCP or TLS socket: it greets, reads the submit
// line, answers `Work unit created` (unless told not to), counts the payload bytes that arrive, and records how
// the client ended the connection: `fin` (an orderly end, which Receptor takes for the payload's end: the reply
// `{"result":"Job Started"}` then goes out), `reset` (a TCP RST) or `closed` (gone otherwise: a Unix socket
// closed outright, which its peer first reads as an end).
//
//   const sink = await startUploadSink({ kind: 'tcp', unitId: 'u1', script: async (c) => { await c.reached(MiB); c.sock.write('ERROR: ...\n'); } });
//   ... submit to sink.address ...
//   const c = sink.connections[0]!; await c.ended → 'reset'; c.bytes
//   await sink.close();
import * as net from 'node:net';
import * as tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type UploadEnd = 'fin' | 'reset' | 'closed';

export interface UploadConnection {
  sock: net.Socket;
  /** The submit request line (without `\n`), once read. */
  submitLine: string | undefined;
  /** Payload bytes received after the `Work unit created` line. */
  bytes: number;
  /** How the client ended the connection. */
  ended: Promise<UploadEnd>;
  /** The error code behind `reset`/`closed`, if any. */
  errorCode: string | undefined;
  /** Resolves once at least `n` payload bytes arrived (or the connection ended). */
  reached(n: number): Promise<void>;
  /** Resolves once the submit line has been read. */
  submitted: Promise<void>;
}

export interface UploadSinkOptions {
  kind?: 'unix' | 'tcp' | 'tls';
  tls?: tls.TlsOptions;
  unitId?: string;
  /** Default true. false: read the submit line and then say nothing. */
  created?: boolean;
  /** Runs once the created line is sent (to answer ERROR, close, reset...). */
  script?: (c: UploadConnection) => Promise<void>;
  /** Default true. false: after the client's end, answer nothing (and so leave that end unchecked: `fin`). */
  reply?: boolean;
}

export interface UploadSink {
  address: string;
  connections: UploadConnection[];
  /** Errors thrown by `script`, per connection. */
  scriptErrors: unknown[];
  close(): Promise<void>;
}

export async function startUploadSink(opts: UploadSinkOptions = {}): Promise<UploadSink> {
  const kind = opts.kind ?? 'tcp';
  const unitId = opts.unitId ?? 'u1';
  const connections: UploadConnection[] = [];
  const scriptErrors: unknown[] = [];
  const sockets = new Set<net.Socket>();

  const onConn = (sock: net.Socket) => {
    sockets.add(sock);
    let buf = Buffer.alloc(0);
    let phase: 'line' | 'payload' = 'line';
    let waiters: (() => void)[] = [];
    const wake = () => {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    };
    let settle!: (e: UploadEnd) => void;
    let gotLine!: () => void;
    let finished = false;
    const c: UploadConnection = {
      sock,
      submitLine: undefined,
      bytes: 0,
      errorCode: undefined,
      ended: new Promise<UploadEnd>((r) => (settle = r)),
      submitted: new Promise<void>((r) => (gotLine = r)),
      reached(n) {
        return new Promise<void>((resolve) => {
          const check = () => {
            if (c.bytes >= n || finished) resolve();
            else waiters.push(check);
          };
          check();
        });
      },
    };
    connections.push(c);
    const end = (e: UploadEnd) => {
      if (finished) return;
      finished = true;
      settle(e);
      wake();
    };
    sock.on('data', (d: Buffer) => {
      if (phase === 'payload') {
        c.bytes += d.length;
        wake();
        return;
      }
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf(0x0a);
      if (i < 0) return;
      c.submitLine = buf.toString('utf8', 0, i);
      const rest = buf.subarray(i + 1);
      buf = Buffer.alloc(0);
      phase = 'payload';
      // A client that sends payload bytes before `Work unit created` would have them read as commands.
      c.bytes += rest.length;
      gotLine();
      if (opts.created === false) return;
      sock.write(`Work unit created with ID ${unitId}. Send stdin data and EOF.\n`);
      if (opts.script) opts.script(c).catch((err: unknown) => scriptErrors.push(err));
    });
    sock.on('end', () => {
      // libuv reports a reset as a plain end when it arrives behind data (a partial read, then POLLHUP: uv__read
      // never sees ECONNRESET), so an end is checked: after a reset the socket is closed and a write fails at
      // once (EPIPE/ECONNRESET); after a FIN it succeeds. On a Unix socket a client that closed outright makes the
      // write fail too: that is `closed`, not a reset.
      if (sock.destroyed) return end(kind === 'unix' ? 'closed' : 'reset');
      if (opts.reply === false) return end('fin');
      sock.end(`{"result":"Job Started","unitid":"${unitId}"}\n`, (err?: Error | null) => {
        if (!err) end('fin');
        else end(kind === 'unix' ? 'closed' : 'reset');
      });
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      c.errorCode = err.code;
      if (kind === 'unix') end(err.code === 'ECONNRESET' ? 'reset' : 'closed');
      else end(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'closed');
    });
    sock.on('close', () => {
      sockets.delete(sock);
      end('closed');
    });
    sock.write('Receptor Control, node sink\n');
  };

  const server =
    kind === 'tls' ? tls.createServer({ ...opts.tls, allowHalfOpen: true }, onConn) : net.createServer({ allowHalfOpen: true }, onConn);
  const raw = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    raw.add(s);
    s.on('close', () => raw.delete(s));
  });
  server.on('tlsClientError', (_err: Error, s: net.Socket) => s.destroy());
  let dir: string | undefined;
  let address: string;
  if (kind === 'unix') {
    dir = mkdtempSync(join(tmpdir(), 'meshctl-upload-'));
    const path = join(dir, 'ctl.sock');
    await new Promise<void>((r) => server.listen(path, r));
    address = `unix:${path}`;
  } else {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    address = `${kind}://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }
  return {
    address,
    connections,
    scriptErrors,
    async close() {
      for (const s of sockets) s.destroy();
      for (const s of raw) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
