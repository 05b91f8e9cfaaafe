// The listeners of a control-service entry (pkg/controlsvc/controlsvc.go RunControlSvc):
// - `filename`: a Unix socket with mode `permissions` from the moment it exists (see bindUnixPrivately;
//   Receptor listens first and chmods after, pkg/utils/unixsock.go). Receptor guards it with an flock on
//   `<filename>.lock` and then removes whatever is at the path; Node has no flock, so an existing socket
//   is probed instead: if something answers, the node refuses to start; a dead one is replaced.
// - `tcplisten`: `PORT` binds 0.0.0.0:PORT, `HOST:PORT` binds that address; with `tcptls` the listener
//   speaks TLS.
import { chmodSync, closeSync, lstatSync, mkdtempSync, openSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import tls from 'node:tls';
import { MeshctlError } from '../../errors.js';
import type { NodeLogger } from '../logger.js';
import { deferClientVerification } from '../tls-verify.js';
import type { PreparedTlsServer } from './tls.js';

export type ConnectionHandler = (socket: net.Socket, peer: string) => void;

/** Raw sockets of TLS listeners, including those still in their handshake (see listenTcp). */
const handshaking = new WeakMap<net.Server, Set<net.Socket>>();

/** Stops accepting and resolves once the server is closed, dropping TLS connections that are still open. */
export function closeListener(server: net.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const raw of handshaking.get(server) ?? []) raw.destroy();
  return closed;
}

function probeSocket(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(file);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function listen(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Go listens with the kernel's somaxconn (4096 here); Node's default backlog of 511 drops connections
    // in bursts of a thousand clients (bench/capacity.js).
    server.listen({ backlog: 4096, ...options }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Longest path a Unix socket can be bound to (sun_path is 108 bytes with its NUL). Node truncates longer ones silently. */
const SUN_PATH_MAX = 107;

/**
 * Listens on a Unix socket at `file` whose mode is `permissions` from the moment `file` exists.
 *
 * Receptor listens and then chmods (pkg/utils/unixsock.go UnixSocketListen): in between, the socket has
 * the mode the umask gives (0755, or 0777 under umask 0, when anyone may connect). Here the socket is
 * bound inside a fresh directory next to `file` that only we can enter (mkdtemp: 0700), chmod'ed there,
 * and renamed into place. rename(2) is atomic and keeps the inode, so `file` appears with its final mode,
 * and until then nobody else can reach the socket through the private directory.
 *
 * Not the umask: it belongs to the whole process, and Node creates files on libuv's threadpool, so every
 * file or directory that other code of the process creates during that window (a unit's stdout, a
 * datadir) would get the restrictive mode as well; worker threads cannot even set it (process.umask
 * throws there). The private directory touches nothing but itself.
 *
 * The directory calls are synchronous: four metadata calls in the socket's own directory take tens of
 * microseconds, while each one through the threadpool cost a round trip of the event loop (~1.5 ms for the
 * four before the control socket was ready: issue 12, bench/node-startup.js).
 */
async function bindUnixPrivately(server: net.Server, file: string, permissions: number): Promise<void> {
  if (Buffer.byteLength(file) > SUN_PATH_MAX) {
    throw new MeshctlError('EBADCONFIG', `error opening Unix socket: ${file}: the path is longer than ${SUN_PATH_MAX} bytes`, {
      hint: 'choose a shorter control-service filename',
    });
  }
  const privateDir = mkdtempSync(join(dirname(file), '.sock-'));
  let dirFd: number | undefined;
  try {
    let bindPath = join(privateDir, 's');
    if (Buffer.byteLength(bindPath) > SUN_PATH_MAX) {
      // A final path near the limit leaves no room for the private directory's name: reach the directory
      // through a descriptor instead (Linux). The descriptor stays open until the listener closes, because
      // libuv unlinks the bound path then (which finds nothing: the socket was renamed away).
      dirFd = openSync(privateDir, 'r');
      bindPath = `/proc/self/fd/${dirFd}/s`;
      const fd = dirFd;
      server.once('close', () => closeSync(fd));
    }
    await listen(server, { path: bindPath });
    chmodSync(join(privateDir, 's'), permissions);
    renameSync(join(privateDir, 's'), file);
  } catch (err) {
    if (dirFd !== undefined && !server.listening) closeSync(dirFd);
    throw err;
  } finally {
    try {
      rmdirSync(privateDir); // empty once the socket is renamed away
    } catch {
      rmSync(privateDir, { recursive: true, force: true });
    }
  }
}

export async function listenUnix(
  file: string,
  permissions: number,
  onConnection: ConnectionHandler,
): Promise<net.Server> {
  // Synchronous, as the calls of bindUnixPrivately.
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (st !== undefined) {
    if (!st.isSocket()) {
      throw new MeshctlError('EBADCONFIG', `error opening Unix socket: ${file} exists and is not a socket`, {
        hint: 'choose another control-service filename',
      });
    }
    if (await probeSocket(file)) {
      throw new MeshctlError('EBADCONFIG', `error opening Unix socket: ${file} is in use by another process`, {
        hint: 'stop the other node or choose another control-service filename',
      });
    }
    // A dead socket: the rename below replaces it.
  }
  const server = net.createServer({ allowHalfOpen: true }, (socket) => onConnection(socket, file));
  try {
    await bindUnixPrivately(server, file, permissions);
  } catch (err) {
    if (server.listening) server.close();
    if (err instanceof MeshctlError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new MeshctlError('EBADCONFIG', `error opening Unix socket: ${code ? `cannot create ${file}: ${code}` : (err as Error).message}`, {
      cause: err,
      hint: 'check that the directory of the control-service filename exists and is writable',
    });
  }
  return server;
}

/** `PORT` → 0.0.0.0:PORT; `HOST:PORT` (IPv6 as [::1]:PORT). */
export function parseTcpListen(spec: string): { host: string; port: number } {
  let host = '0.0.0.0';
  let portText = spec;
  if (spec.includes(':')) {
    const i = spec.lastIndexOf(':');
    host = spec.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    portText = spec.slice(i + 1);
  }
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new MeshctlError('EBADCONFIG', `error listening on TCP socket: bad tcplisten '${spec}'`, {
      hint: 'use PORT or HOST:PORT',
    });
  }
  return { host: host === '' ? '0.0.0.0' : host, port: Number(portText) };
}

export async function listenTcp(
  spec: string,
  tlsServer: PreparedTlsServer | undefined,
  logger: NodeLogger,
  onConnection: ConnectionHandler,
): Promise<net.Server> {
  const { host, port } = parseTcpListen(spec);
  const peerOf = (s: net.Socket): string => `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
  let server: net.Server;
  if (tlsServer) {
    // Each connection gets a server TLSSocket made here rather than by a tls.Server: a tls.Server with
    // rejectUnauthorized drops (without a word) the client certificates OpenSSL refuses, which includes
    // chains Go accepts (a CA and its leaf with one subject, tls-verify.ts), and without
    // rejectUnauthorized OpenSSL no longer refuses a client that sends no certificate with the "certificate
    // required" alert clients turn into a clear message. A bare TLSSocket keeps that alert
    // (requireclientcert) and leaves every certificate sent to verify.check.
    // sessionIdContext: OpenSSL refuses to resume a session on a context that verifies peers without one.
    const context = tls.createSecureContext({ ...tlsServer.options, sessionIdContext: 'meshctl-control-service' });
    const verify = deferClientVerification(tlsServer);
    // Sockets whose handshake never completes (a tcp:// client, a refused certificate) are tracked until
    // they close; closeListener() drops them all (the node is stopping).
    const pending = new Set<net.Socket>();
    server = net.createServer({ allowHalfOpen: true }, (raw) => {
      pending.add(raw);
      raw.once('close', () => pending.delete(raw));
      const peer = peerOf(raw);
      const socket = new tls.TLSSocket(raw, {
        isServer: true,
        secureContext: context,
        requestCert: tlsServer.options.requestCert === true,
        rejectUnauthorized: tlsServer.options.rejectUnauthorized === true,
      });
      let secure = false;
      const refuse = (why: string): void => {
        logger.error(`TLS handshake error: ${why}. Closing socket.`);
        socket.destroy();
      };
      // Receptor gives a client 10 s to complete the handshake (controlsvc.go SetupConnection deadline).
      const timer = setTimeout(() => refuse('tls handshake timed out'), 10_000);
      socket.on('error', (err: Error) => {
        if (!secure) refuse(err.message);
      });
      socket.once('close', () => clearTimeout(timer));
      socket.once('secure', () => {
        secure = true;
        clearTimeout(timer);
        const problem = verify.check(socket);
        if (problem) return refuse(problem);
        // Go enables 15 s keep-alives on accepted TCP connections.
        raw.setKeepAlive(true, 15_000);
        onConnection(socket, peer);
      });
    });
    handshaking.set(server, pending);
  } else {
    server = net.createServer({ allowHalfOpen: true }, (socket) => {
      // Go enables 15 s keep-alives on accepted TCP connections.
      socket.setKeepAlive(true, 15_000);
      onConnection(socket, peerOf(socket));
    });
  }
  try {
    await listen(server, { host, port });
  } catch (err) {
    throw new MeshctlError('EBADCONFIG', `error listening on TCP socket: ${(err as Error).message}`, {
      cause: err,
      hint: 'pick a free port in the control-service tcplisten',
    });
  }
  return server;
}
