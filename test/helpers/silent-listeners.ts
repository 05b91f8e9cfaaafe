// Listeners that leave a client waiting, for abort tests (issue 11: Ctrl-C while connecting took 3 s, and the
// library ignored an aborted signal until the greeting timeout):
// - startSilentListener: accepts on 127.0.0.1 and never writes a byte (the client waits for the greeting, or for
//   the TLS handshake under tls://). It records each accepted socket and when the client closed it.
// - startUnacceptingListener: a listening socket whose accept queue is full, so a further SYN is dropped and the
//   client's connect() stays pending (SYN_SENT). Node accepts every connection on its own, so the listener lives
//   in a child process that blocks its event loop right after listen(); two connections made here fill its
//   queue (backlog 1 admits two). Loopback only: 127.0.0.0/8 is all the tests may use.
// Both have close(), which ends everything they made (the child by its pid).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';

export interface SilentListener {
  port: number;
  address: string;
  /** One entry per accepted connection: `closed` resolves when the client's side went away. */
  accepted: { sock: net.Socket; closed: Promise<void> }[];
  close(): Promise<void>;
}

export async function startSilentListener(): Promise<SilentListener> {
  const accepted: SilentListener['accepted'] = [];
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    // Read and drop what the client sends (a TLS ClientHello): unread bytes would hold back the 'end' event.
    sock.resume();
    const closed = new Promise<void>((resolve) => {
      // 'end' is the client's FIN (the server then closes its side too), 'close' covers a reset.
      sock.once('end', () => resolve());
      sock.once('close', () => resolve());
    });
    accepted.push({ sock, closed });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    accepted,
    async close() {
      for (const a of accepted) a.sock.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface UnacceptingListener {
  port: number;
  /** Sockets on this host in state SYN_SENT towards the listener (from /proc/net/tcp). */
  synSent(): number;
  close(): Promise<void>;
}

// The child: listen with backlog 1, print the port synchronously, then block the event loop for good so that
// nothing is ever accepted (Atomics.wait sleeps without using CPU).
const CHILD = `
const net = require('node:net');
const fs = require('node:fs');
const s = net.createServer();
s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  fs.writeSync(1, s.address().port + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});
`;

export async function startUnacceptingListener(): Promise<UnacceptingListener> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fill: net.Socket[] = [];
  const close = async () => {
    for (const f of fill) f.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', (code) => reject(new Error(`unaccepting listener exited with ${code}`)));
    });
    // Fill the accept queue: these handshakes complete (the kernel does them) and wait there for ever.
    for (let i = 0; i < 2; i++) {
      const f = net.connect({ host: '127.0.0.1', port });
      f.on('error', () => undefined);
      fill.push(f);
      await new Promise<void>((resolve, reject) => {
        f.once('connect', () => resolve());
        f.once('error', reject);
      });
    }
    return { port, synSent: () => synSentTo(port), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The states (hex, as /proc/net/tcp shows them: 01 ESTABLISHED, 02 SYN_SENT, 08 CLOSE_WAIT...) of this host's
 * IPv4 sockets whose remote end is 127.0.0.1:port, i.e. the client sides of connections to that listener.
 */
export function clientStatesTo(port: number): string[] {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[2] === want)
    .map((f) => f[3]!);
}

/** Client sockets towards 127.0.0.1:port in state SYN_SENT (connect() still waiting for an answer). */
export function synSentTo(port: number): number {
  return clientStatesTo(port).filter((s) => s === '02').length;
}

/**
 * Client sockets towards 127.0.0.1:port still open on this side: ESTABLISHED (01) or CLOSE_WAIT (08, the peer
 * closed and we never did). A socket the client closed is in FIN_WAIT/TIME_WAIT or gone.
 */
export function openClientSocketsTo(port: number): number {
  return clientStatesTo(port).filter((s) => s === '01' || s === '08').length;
}
