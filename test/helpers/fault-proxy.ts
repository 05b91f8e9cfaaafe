// A TCP proxy for fault injection: forwards client ↔ upstream and, per connection, can cut both sides
// after a chosen number of server→client bytes, or stall forwarding for a while. Loopback only.
import * as net from 'node:net';

export interface FaultPlan {
  /** Cut the connection after this many upstream→client bytes (undefined: never). */
  cutAfter?: number;
  /** Stop forwarding upstream→client bytes for `ms` after `after` bytes. */
  stall?: { after: number; ms: number };
}

export interface FaultProxy {
  address: string;
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections cut by the proxy. */
  cuts: number;
  close(): Promise<void>;
}

/**
 * `plan(i)` decides the fault for the i-th accepted connection (0-based).
 * `upstream` is where to connect: `{ port, host }` or `{ path }` for a Unix socket.
 */
export async function startFaultProxy(
  upstream: { port: number; host?: string } | { path: string },
  plan: (index: number) => FaultPlan,
): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  const state = { accepted: 0, cuts: 0 };
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const p = plan(state.accepted++);
    const up = 'path' in upstream ? net.connect({ path: upstream.path, allowHalfOpen: true }) : net.connect({ port: upstream.port, host: upstream.host ?? '127.0.0.1', allowHalfOpen: true });
    sockets.add(client);
    sockets.add(up);
    const kill = () => {
      client.destroy();
      up.destroy();
    };
    client.on('close', () => sockets.delete(client));
    up.on('close', () => sockets.delete(up));
    client.on('error', kill);
    up.on('error', kill);
    // client → upstream: plain piping with half-close
    client.on('data', (d) => {
      if (!up.write(d)) client.pause();
    });
    up.on('drain', () => client.resume());
    client.on('end', () => up.end());
    // upstream → client: counted, with faults
    let sent = 0;
    let stalled = false;
    up.on('data', (d: Buffer) => {
      let chunk = d;
      if (p.cutAfter !== undefined && sent + chunk.length >= p.cutAfter) {
        const keep = p.cutAfter - sent;
        if (keep > 0) client.write(chunk.subarray(0, keep));
        sent = p.cutAfter;
        state.cuts++;
        // Let the kept bytes leave before the reset.
        client.end(() => kill());
        up.destroy();
        return;
      }
      if (p.stall && !stalled && sent + chunk.length >= p.stall.after) {
        stalled = true;
        up.pause();
        setTimeout(() => up.resume(), p.stall.ms);
      }
      sent += chunk.length;
      if (!client.write(chunk)) up.pause();
    });
    client.on('drain', () => up.resume());
    up.on('end', () => client.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `tcp://127.0.0.1:${port}`,
    port,
    get accepted() {
      return state.accepted;
    },
    get cuts() {
      return state.cuts;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
