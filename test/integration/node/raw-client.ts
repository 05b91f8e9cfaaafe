// A bare control-protocol connection for the node's integration tests: node:net / node:tls only (the
// client library is tested separately), bytes kept exactly as received.
import net from 'node:net';
import tls from 'node:tls';

export class RawConn {
  // Chunks are joined lazily: concatenating on every 'data' event would be quadratic for big streams.
  private parts: Buffer[] = [];
  private get buf(): Buffer {
    if (this.parts.length !== 1) this.parts = [Buffer.concat(this.parts)];
    return this.parts[0]!;
  }
  private set buf(b: Buffer) {
    this.parts = [b];
  }
  private ended = false;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.parts.push(d);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {
      this.ended = true;
      this.wake();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** `address`: a socket path, `tcp://HOST:PORT` or `tls://HOST:PORT` (with `tlsOptions`). */
  static open(address: string, tlsOptions: tls.ConnectionOptions = {}): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      const m = /^(tcp|tls):\/\/\[?([^\]]*)\]?:(\d+)$/.exec(address);
      if (m && m[1] === 'tls') {
        socket = tls.connect({ host: m[2], port: Number(m[3]), ...tlsOptions }, () => resolve(new RawConn(socket)));
      } else if (m) {
        socket = net.connect({ host: m[2], port: Number(m[3]), allowHalfOpen: true }, () => resolve(new RawConn(socket)));
      } else {
        socket = net.connect({ path: address, allowHalfOpen: true }, () => resolve(new RawConn(socket)));
      }
      socket.once('error', reject);
    });
  }

  /** Opens and reads the greeting; returns the connection. */
  static async connect(address: string, tlsOptions: tls.ConnectionOptions = {}): Promise<RawConn> {
    const c = await RawConn.open(address, tlsOptions);
    const g = await c.readLine();
    if (!g.startsWith('Receptor Control, node ')) throw new Error(`bad greeting ${JSON.stringify(g)}`);
    return c;
  }

  private async waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (this.ended) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; have ${JSON.stringify(this.buf.toString('utf8').slice(0, 300))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Half-close: the server sees EOF. */
  end(): void {
    this.socket.end();
  }

  /** One line without its `\n`; rejects at EOF or timeout. */
  async readLine(timeoutMs = 10_000): Promise<string> {
    await this.waitFor(() => this.buf.includes(0x0a), timeoutMs, 'a line');
    const i = this.buf.indexOf(0x0a);
    if (i === -1) throw new Error(`connection ended before a line; rest ${JSON.stringify(this.buf.toString())}`);
    const line = this.buf.subarray(0, i).toString('utf8');
    this.buf = this.buf.subarray(i + 1);
    return line;
  }

  async readJson(timeoutMs = 10_000): Promise<unknown> {
    const line = await this.readLine(timeoutMs);
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`not JSON: ${line}`);
    }
  }

  /** Everything until the server ends the connection. */
  async readToEnd(timeoutMs = 20_000): Promise<Buffer> {
    await this.waitFor(() => this.ended, timeoutMs, 'end of stream');
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }

  /** Exactly `n` bytes. */
  async readBytes(n: number, timeoutMs = 10_000): Promise<Buffer> {
    await this.waitFor(() => this.buf.length >= n, timeoutMs, `${n} bytes`);
    const b = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return b;
  }

  /** Bytes received and not yet read. */
  get pending(): Buffer {
    return this.buf;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One-shot: connect, send `lines`, half-close, return every line the server sent after the greeting. */
export async function exchange(address: string, input: string, tlsOptions: tls.ConnectionOptions = {}): Promise<string[]> {
  const c = await RawConn.connect(address, tlsOptions);
  c.send(input);
  c.end();
  const rest = (await c.readToEnd()).toString('utf8');
  c.close();
  const lines = rest.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Submits a payload (waiting for the intermediate line first) and returns the unit id. */
export async function submit(address: string, request: string, payload: string | Buffer = ''): Promise<string> {
  const c = await RawConn.connect(address);
  c.send(request.endsWith('\n') ? request : request + '\n');
  const created = await c.readLine();
  const m = /^Work unit created with ID (\S+)\. Send stdin data and EOF\.$/.exec(created);
  if (!m) throw new Error(`submit refused: ${created}`);
  if (payload.length > 0) c.send(payload);
  c.end();
  const final = await c.readLine(20_000);
  c.close();
  const reply = JSON.parse(final) as { result: string; unitid: string };
  if (reply.unitid !== m[1]) throw new Error(`unit id mismatch: ${final}`);
  return reply.unitid;
}

/** Polls `work status` until `done(status)` (10 s max). */
export async function waitForStatus(
  address: string,
  unitId: string,
  done: (s: { State: number; Detail: string; StdoutSize: number; ExtraData: unknown }) => boolean,
  timeoutMs = 10_000,
): Promise<{ State: number; Detail: string; StdoutSize: number; StateName: string; ExtraData: unknown; WorkType: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [line] = await exchange(address, `work status ${unitId}\n`);
    const s = JSON.parse(line!) as { State: number; Detail: string; StdoutSize: number; StateName: string; ExtraData: unknown; WorkType: string };
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`unit ${unitId} still ${line}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
