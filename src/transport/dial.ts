// Opens a connection to a control service: Unix socket, TCP or TLS. Maps low-level failures to the error
// table with the address in the message (`connection refused to tcp://127.0.0.1:1`, cause = the errno error).
import * as net from 'node:net';
import { existsSync, statSync } from 'node:fs';
import { abortReason, ConnectionError, MeshctlError, TlsError } from '../errors.js';
import type { ClientTlsOptions } from '../client/options.js';
import { formatAddress, type Address } from './address.js';
import { reusedReadHook, StreamConn, type Conn, type ReusedReadHook } from './conn.js';
import { isEncryptedKeyPem } from './tls-material.js';
import { describeTlsError, ENCRYPTED_CLIENT_KEY, isTlsErrorCode } from './tls-errors.js';

export interface DialOptions {
  tls?: ClientTlsOptions;
  connectTimeoutMs?: number;
  keepAliveMs?: number;
  /**
   * Aborts the dial: the socket is destroyed and dial() rejects with abortReason(signal) at once, whatever the
   * phase (a SYN nobody answers, a TLS handshake that never completes). Already aborted: nothing is opened.
   */
  signal?: AbortSignal;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEPALIVE_MS = 30_000;

export async function dial(addr: Address, opts: DialOptions = {}): Promise<Conn> {
  if (opts.signal?.aborted) throw abortReason(opts.signal);
  const address = addr;
  const where = formatAddress(address);
  if (address.kind === 'unix') checkUnixPath(address.path);
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const mapError = (err: Error) => mapSocketError(err, where, address);
  // node:tls costs a few ms to load: only tls:// pays for it.
  const tls = address.kind === 'tls' ? await import('node:tls') : undefined;

  // The TCP socket itself, kept for Conn.reset(): for TLS it is the socket under the TLSSocket.
  let tcp: net.Socket | undefined;
  // Plain sockets read into one reused buffer (conn.ts). A TLSSocket decrypts into its own 16 KiB records.
  const reused: ReusedReadHook | undefined = address.kind === 'tls' ? undefined : reusedReadHook();
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    // Aborted while node:tls was loading: an abort listener added now would never fire.
    if (opts.signal?.aborted) {
      reject(abortReason(opts.signal));
      return;
    }
    let s: net.Socket;
    try {
    if (address.kind === 'tls' && tls) {
      const t = opts.tls ?? {};
      if (t.key !== undefined && isEncryptedKeyPem(t.key)) {
        throw new TlsError(`tls: ${ENCRYPTED_CLIENT_KEY} (${where})`, { data: { keyEncrypted: true } });
      }
      const servername = t.servername ?? (net.isIP(address.host) ? undefined : address.host);
      // TLS over a TCP socket we own: a TLSSocket made by tls.connect({host, port}) has no TCP handle of its own
      // to reset (resetAndDestroy throws ERR_INVALID_HANDLE_TYPE). Its errors reach the TLSSocket as well.
      tcp = net.connect({ host: address.host, port: address.port });
      tcp.on('error', () => undefined);
      s = tls.connect({
        socket: tcp,
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        servername,
        minVersion: 'TLSv1.2',
        // The chain is always verified; insecureSkipVerify only skips the host-name check, as receptorctl does.
        checkServerIdentity: t.insecureSkipVerify
          ? () => undefined
          : (host, cert) => tls.checkServerIdentity(t.servername ?? address.host, cert),
      });
    } else if (address.kind === 'tcp') {
      s = tcp = net.connect({ host: address.host, port: address.port, onread: reused!.onread });
    } else if (address.kind === 'unix') {
      s = net.connect({ path: address.path, onread: reused!.onread });
    } else {
      throw new Error('unreachable');
    }
    } catch (err) {
      // tls.connect throws synchronously for unusable material (key not matching cert, encrypted key, bad PEM).
      tcp?.destroy();
      reject(mapError(err as Error));
      return;
    }
    const readyEvent = address.kind === 'tls' ? 'secureConnect' : 'connect';
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            done();
            s.destroy();
            tcp?.destroy();
            reject(
              new ConnectionError('ETIMEDOUT', `timed out connecting to ${where} after ${timeoutMs / 1000}s`, {
                data: { phase: 'connect', addressKind: address.kind, timeoutMs },
              }),
            );
          }, timeoutMs)
        : undefined;
    const onAbort = () => {
      // done() also clears the connect timer, which would otherwise hold the event loop for connectTimeoutMs.
      done();
      s.destroy();
      tcp?.destroy();
      reject(abortReason(opts.signal!));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      s.off('error', onError);
      s.off(readyEvent, onReady);
    };
    const onError = (err: Error) => {
      done();
      s.destroy();
      tcp?.destroy();
      reject(mapError(err));
    };
    const onReady = () => {
      done();
      resolve(s);
    };
    s.once('error', onError);
    s.once(readyEvent, onReady);
  });

  if (tcp) {
    // Cloud load balancers cut idle TCP flows after ~4 min (Azure, AKS); results streams carry no heartbeat.
    tcp.setKeepAlive(true, opts.keepAliveMs ?? DEFAULT_KEEPALIVE_MS);
    tcp.setNoDelay(true);
  }
  return new StreamConn(sock, mapError, tcp, reused);
}

function checkUnixPath(path: string): void {
  if (!existsSync(path)) {
    throw new ConnectionError('ENOENT_SOCKET', `socket '${path}' does not exist`);
  }
  const st = statSync(path);
  if (!st.isSocket()) {
    throw new MeshctlError('EBADADDRESS', `'${path}' is not a socket`, { data: { path, notSocket: true } });
  }
}

export function mapSocketError(err: Error, where: string, address?: Address): Error {
  if (err instanceof MeshctlError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (isTlsErrorCode(code)) {
    return new TlsError(`tls: ${describeTlsError(err, address)} (${where})`, { cause: err, data: { tlsCode: code } });
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionError('ECONNREFUSED', `connection refused by ${where}`, { cause: err });
    case 'ENOENT':
      return new ConnectionError('ENOENT_SOCKET', `socket '${where.replace(/^unix:/, '')}' does not exist`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new ConnectionError('ECONNECT', `permission denied connecting to ${where}`, {
        cause: err,
        data: { errno: code },
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError('ECONNECT', `cannot resolve host in ${where}`, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
      return new ConnectionError('ECLOSED', `connection to ${where} was reset`, { cause: err });
    case 'ETIMEDOUT':
      return new ConnectionError('ETIMEDOUT', `connection to ${where} timed out`, { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectionError('ECONNECT', `cannot reach ${where}`, { cause: err });
    default:
      return new ConnectionError('ECONNECT', `cannot connect to ${where}: ${err.message}`, { cause: err });
  }
}
