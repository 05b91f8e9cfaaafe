// A TCP proxy that can go silent: freeze() stops forwarding in both directions and stops reading, without
// closing anything — a peer that vanished (power cut, cable pulled) as opposed to one that sent FIN.
import net from 'node:net';

export interface Blackhole {
  /** `127.0.0.1:PORT` to dial instead of the upstream. */
  address: string;
  freeze(): void;
  close(): Promise<void>;
}

export async function startBlackhole(upstreamPort: number): Promise<Blackhole> {
  const sockets = new Set<net.Socket>();
  let frozen = false;
  const server = net.createServer((client) => {
    const up = net.connect({ host: '127.0.0.1', port: upstreamPort });
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    if (frozen) {
      client.pause();
      up.pause();
      return;
    }
    client.pipe(up);
    up.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    freeze() {
      frozen = true;
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
