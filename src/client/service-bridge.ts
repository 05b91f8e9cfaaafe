// The byte bridge `connect NODE SERVICE` leaves behind (controlsvc/connect.go: after `Connecting` the
// control connection is copied to and from the mesh service until either side ends).
import type { Conn } from '../transport/conn.js';
import type { Session } from './session.js';

export class ServiceBridge implements AsyncIterable<Buffer> {
  private readonly chunks: AsyncGenerator<Buffer>;

  constructor(
    private readonly session: Session,
    private readonly onClose: () => void,
  ) {
    this.chunks = session.raw();
  }

  [Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    return this.chunks;
  }

  write(data: Uint8Array | string): Promise<void> {
    return this.session.write(data);
  }

  /** Half-close towards the service: Receptor closes the mesh stream's write side on our EOF. */
  end(): Promise<void> {
    return this.session.end();
  }

  close(): void {
    this.session.close();
    this.onClose();
  }

  /** The bridge as a plain connection, for stacking another session on it (ControlClient.viaNode). */
  detach(): { conn: Conn } {
    const chunks = this.chunks;
    const session = this.session;
    const onClose = this.onClose;
    let destroyed = false;
    const conn: Conn = {
      async next() {
        const r = await chunks.next();
        return r.done ? null : r.value;
      },
      write: (d) => session.write(d),
      end: () => session.end(),
      destroy() {
        destroyed = true;
        session.close();
        onClose();
      },
      // Resets the connection to the node we talk to; that node ends the mesh stream to the service.
      reset() {
        destroyed = true;
        const sent = session.reset();
        onClose();
        return sent;
      },
      get destroyed() {
        return destroyed || session.closed;
      },
    };
    return { conn };
  }
}
