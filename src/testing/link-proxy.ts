// The TCP hop under one mesh link of a test mesh: the dialling node's `tcp-peer` / `ws-peer` connects here
// and the bytes go on to the listening node's listener. It is where dropLink acts, as a network would:
// `drop()` ends the link's TCP connections at both nodes at once; `hold()` also refuses new ones until
// `release()`, so the dialling node's redials fail (a tcp-peer redials for ever, as Receptor's does).
// The upstream port is looked up per connection, so a node restarted on its pinned port is reached again.
import net from 'node:net';

export class LinkProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private held = false;
  /** Connections accepted (each dial of the peer's dialer). */
  accepted = 0;
  port = 0;

  constructor(private readonly upstreamPort: () => number | undefined) {}

  async listen(): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  get isHeld(): boolean {
    return this.held;
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    this.track(client);
    const port = this.upstreamPort();
    if (this.held || port === undefined) {
      client.destroy();
      return;
    }
    const up = net.connect({ host: '127.0.0.1', port });
    this.track(up);
    const both = (): void => {
      client.destroy();
      up.destroy();
    };
    client.on('error', both);
    up.on('error', both);
    client.once('close', both);
    up.once('close', both);
    client.pipe(up);
    up.pipe(client);
  }

  /** Ends every connection through this link now (both nodes see their connection close). */
  drop(): void {
    for (const s of [...this.sockets]) s.destroy();
  }

  /** Drops the link and refuses new connections until release(). */
  hold(): void {
    this.held = true;
    this.drop();
  }

  release(): void {
    this.held = false;
  }

  async close(): Promise<void> {
    this.held = true;
    this.drop();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
