// The client side of a control-service connection, as a remote unit uses it to drive the unit on the
// other node (Receptor: remoteUnit.ConnectToRemote and the actions in pkg/workceptor/remote_work.go):
// read the greeting and check that it names the node we dialled, then send command lines and read reply
// lines, and read raw bytes after a `Streaming results` header.
import type { Duplex } from 'node:stream';
import { ByteReader } from '../control/reader.js';

export class ControlConn {
  private readonly reader: ByteReader;

  private constructor(readonly stream: Duplex) {
    this.reader = new ByteReader(stream);
  }

  /**
   * Wraps a freshly dialled stream: waits (at most `helloTimeoutMs`, Receptor: 5 s) for the greeting,
   * which must contain `node` (`while expecting node ID X, got message: Y` otherwise).
   */
  static async open(stream: Duplex, node: string, helloTimeoutMs: number, signal?: AbortSignal): Promise<ControlConn> {
    const conn = new ControlConn(stream);
    let timer: NodeJS.Timeout | undefined;
    try {
      const hello = await Promise.race([
        conn.readLine(signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('context deadline exceeded')), helloTimeoutMs);
        }),
      ]);
      if (!hello.includes(node)) throw new Error(`while expecting node ID ${node}, got message: ${hello}`);
      return conn;
    } catch (err) {
      conn.close(true);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes and waits for `drain` when the stream's buffer is full. */
  write(data: string | Buffer): Promise<void> {
    const s = this.stream;
    if (s.destroyed || s.writableEnded) return Promise.reject(new Error('use of closed network connection'));
    if (s.write(data)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        s.off('drain', onDrain);
        s.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(new Error('use of closed network connection'));
      s.on('drain', onDrain);
      s.on('close', onClose);
    });
  }

  /**
   * The next line without its `\n` (Go's ReadString). EOF before a newline is an error (`EOF`), as is an
   * abort of `signal` (the stream is closed).
   */
  async readLine(signal?: AbortSignal): Promise<string> {
    const onAbort = (): void => this.close(true);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const line = await this.reader.readLine();
      if (line.eof) throw new Error(signal?.aborted ? 'context canceled' : 'EOF');
      return line.bytes.toString('utf8');
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Raw bytes (what follows a results header); null at end of stream. */
  read(): Promise<Buffer | null> {
    return this.reader.read();
  }

  /** Half-close: the remote reads EOF (the end of a submit payload). */
  end(): void {
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  /** Closes the connection: gracefully (what was written still goes out), or at once with `reset`. */
  close(reset = false): void {
    if (this.stream.destroyed) return;
    if (reset) this.stream.destroy(new Error('connection closed by remote unit'));
    else this.stream.destroy();
  }
}
