// The listeners of a control-service entry (pkg/controlsvc/controlsvc.go RunControlSvc):
// - `filename`: a Unix socket, chmod'ed to `permissions` after listening. Receptor guards it with an
//   flock on `<filename>.lock` and then removes whatever is at the path; Node has no flock, so an existing
//   socket is probed instead: if something answers, the node refuses to start; a dead one is replaced.
// - `tcplisten`: `PORT` binds 0.0.0.0:PORT, `HOST:PORT` binds that address; with `tcptls` the listener
//   speaks TLS.
import { chmod, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { MeshctlError } from '../../errors.js';
import type { NodeLogger } from '../logger.js';
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

export async function listenUnix(
  file: string,
  permissions: number,
  onConnection: ConnectionHandler,
): Promise<net.Server> {
  try {
    const st = await lstat(file);
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
    await unlink(file);
  } catch (err) {
    if (err instanceof MeshctlError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const server = net.createServer({ allowHalfOpen: true }, (socket) => onConnection(socket, file));
  try {
    await listen(server, { path: file });
    await chmod(file, permissions);
  } catch (err) {
    server.close();
    throw new MeshctlError('EBADCONFIG', `error opening Unix socket: ${(err as Error).message}`, {
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
    // Receptor gives a client 10 s to complete the handshake (controlsvc.go SetupConnection deadline).
    const srv = tls.createServer({ ...tlsServer.options, allowHalfOpen: true, handshakeTimeout: 10_000 });
    // Sockets whose handshake never completes (a tcp:// client, a rejected certificate) never reach
    // 'secureConnection'; with allowHalfOpen they would otherwise linger and hold server.close() open.
    // Every raw socket is tracked until it closes; closeListener() drops them all (the node is stopping).
    const pending = new Set<net.Socket>();
    srv.on('connection', (raw: net.Socket) => {
      pending.add(raw);
      raw.once('close', () => pending.delete(raw));
    });
    handshaking.set(srv, pending);
    srv.on('secureConnection', (socket) => {
      const problem = tlsServer.verifyPeer(socket);
      if (problem) {
        logger.error(`TLS handshake error: ${problem}. Closing socket.`);
        socket.destroy();
        return;
      }
      socket.setKeepAlive(true, 15_000);
      onConnection(socket, peerOf(socket));
    });
    srv.on('tlsClientError', (err, socket) => {
      logger.error(`TLS handshake error: ${err.message}. Closing socket.`);
      socket.destroy();
    });
    server = srv;
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
