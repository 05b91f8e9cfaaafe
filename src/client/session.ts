// One control-service session: a connection, the greeting, then request/reply lines, and finally
// (for the terminal commands submit/results/connect) a hand-over to raw bytes.
//
// Receptor's sessions are persistent (RunControlSession loops until EOF), so simple commands share one
// session; replies come back in request order, and requests are serialised here so that concurrent
// callers never interleave their lines.
import { abortReason, ConnectionError, MeshctlError, ServerError } from '../errors.js';
import { LineReader } from '../protocol/line-reader.js';
import { parseGreeting, parseReply, replyLineCount } from '../protocol/replies.js';
import type { ChunkSink, Conn } from '../transport/conn.js';

export interface SessionOptions {
  greetingTimeoutMs?: number;
  trace?: (direction: '<' | '>', line: string) => void;
  /** For messages: `unix:/tmp/x.sock`, `tls://host:1`, or `node X via ...`. */
  where: string;
  /** True when the underlying address is tcp:// (a TLS listener spoken to in clear never greets). */
  plainTcp?: boolean;
  /**
   * Aborts the wait for the greeting: open() then destroys the connection and rejects with abortReason(signal)
   * at once, instead of waiting out greetingTimeoutMs (a listener that accepts and never speaks: a TLS port
   * spoken to in clear, a backend tcp-listener, a hung node).
   */
  signal?: AbortSignal;
}

export const DEFAULT_GREETING_TIMEOUT_MS = 5_000;

export class Session {
  private greetedAs = '';
  private readonly reader: LineReader;
  private queue: Promise<unknown> = Promise.resolve();
  private eof = false;
  private guarded = false;

  private constructor(
    private readonly conn: Conn,
    reader: LineReader,
    private readonly opts: SessionOptions,
  ) {
    this.reader = reader;
  }

  /** The node id from the greeting. */
  get nodeId(): string {
    return this.greetedAs;
  }

  /** Reads and checks the greeting on a fresh connection. Destroys the connection on failure or abort. */
  static async open(conn: Conn, opts: SessionOptions, initial?: Buffer): Promise<Session> {
    const reader = new LineReader();
    if (initial?.length) reader.push(initial);
    const timeoutMs = opts.greetingTimeoutMs ?? DEFAULT_GREETING_TIMEOUT_MS;
    const s = new Session(conn, reader, opts);
    let line: string | null;
    try {
      line = await s.readLine(timeoutMs, () => greetingTimeout(opts, timeoutMs), opts.signal);
    } catch (err) {
      conn.destroy();
      if (err instanceof ConnectionError && err.code === 'ECLOSED') {
        throw new ConnectionError('EGREETING', `${opts.where} closed the connection without a greeting`, {
          cause: err,
          data: { greeting: 'closed', plainTcp: opts.plainTcp === true },
        });
      }
      throw err;
    }
    const nodeId = line === null ? null : parseGreeting(line);
    if (nodeId === null) {
      conn.destroy();
      const shown = line === null ? 'end of stream' : `'${truncate(line)}'`;
      throw new ConnectionError('EGREETING', `${opts.where} is not a Receptor control service (greeting was ${shown})`, {
        data: { greeting: 'bad', plainTcp: opts.plainTcp === true },
      });
    }
    s.greetedAs = nodeId;
    return s;
  }

  /**
   * Sends one request line and returns its reply lines (usually one; two for a malformed JSON request,
   * which Receptor answers with two ERROR lines). Serialised with other requests on this session.
   */
  request(line: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    const run = async () => {
      const text = line.endsWith('\n') ? line : line + '\n';
      await this.send(text);
      const n = replyLineCount(text);
      const lines: string[] = [];
      for (let i = 0; i < n; i++) {
        const reply = await this.readLine(opts.timeoutMs ?? 0, () => this.replyTimeout(text, opts.timeoutMs ?? 0), opts.signal);
        if (reply === null) throw this.closedError();
        lines.push(reply);
      }
      return lines;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** A request with a single JSON reply, parsed. `ERROR:` replies throw ServerError. */
  async call<T>(line: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    const lines = await this.request(line, opts);
    return parseOrThrow<T>(lines, this.opts.where);
  }

  /** Writes a raw request line (traced). */
  async send(text: string): Promise<void> {
    this.opts.trace?.('>', text.replace(/\n$/, ''));
    await this.conn.write(text);
  }

  /**
   * The next line, or null at EOF. With timeoutMs > 0 the connection is torn down when it expires (the
   * session's state is unknown after a lost reply) and `onTimeout()` is thrown.
   */
  async readLine(timeoutMs = 0, onTimeout?: () => Error, signal?: AbortSignal): Promise<string | null> {
    for (;;) {
      const line = this.reader.nextLine();
      if (line !== null) {
        this.opts.trace?.('<', line);
        return line;
      }
      if (this.eof) return null;
      const chunk = await this.nextChunk(timeoutMs, onTimeout, signal);
      if (chunk === null) {
        this.eof = true;
        const rest = this.reader.takeRest();
        if (rest.length > 0) {
          // A last line without `\n`: hand it out as a line.
          const text = rest.toString('utf8');
          this.opts.trace?.('<', text);
          return text;
        }
        return null;
      }
      this.reader.push(chunk);
    }
  }

  private nextChunk(timeoutMs: number, onTimeout?: () => Error, signal?: AbortSignal): Promise<Buffer | null> {
    if (signal?.aborted) {
      this.teardown();
      return Promise.reject(abortReason(signal));
    }
    if (!(timeoutMs > 0) && !signal) return this.conn.next();
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = () => {
        settled = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              if (settled) return;
              finish();
              this.teardown();
              reject(onTimeout ? onTimeout() : new ConnectionError('ETIMEDOUT', 'timed out'));
            }, timeoutMs)
          : undefined;
      const onAbort = () => {
        if (settled) return;
        finish();
        this.teardown();
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.conn.next().then(
        (c) => {
          if (settled) return;
          finish();
          resolve(c);
        },
        (e) => {
          if (settled) return;
          finish();
          reject(e);
        },
      );
    });
  }

  /**
   * Switches to raw bytes: yields what is buffered past the last line, then every further chunk until EOF.
   * Breaking out of the loop destroys the connection.
   */
  async *raw(signal?: AbortSignal): AsyncGenerator<Buffer> {
    try {
      const rest = this.reader.takeRest();
      if (rest.length > 0) yield rest;
      if (this.eof) return;
      // One abort listener for the whole stream, not one per chunk (add/removeEventListener on an
      // AbortSignal.any signal costs microseconds, and a TLS GiB is 65,536 chunks).
      if (signal?.aborted) throw abortReason(signal);
      let aborted = false;
      const onAbort = () => {
        aborted = true;
        this.conn.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for (;;) {
          const chunk = await this.conn.next();
          if (aborted) throw abortReason(signal!);
          if (chunk === null) {
            this.eof = true;
            return;
          }
          yield chunk;
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } finally {
      if (!this.eof) this.conn.destroy();
    }
  }

  /**
   * raw() without an async-iterator step per chunk: hands every chunk to `sink` until EOF (see Conn.pump for how
   * long a chunk stays valid). A stream of GiBs is tens of thousands of chunks, and each generator layer costs a
   * few microtasks per chunk. Resolves at EOF; an abort destroys the connection and rejects with its reason.
   */
  async rawTo(sink: ChunkSink, signal?: AbortSignal): Promise<void> {
    try {
      const rest = this.reader.takeRest();
      if (rest.length > 0) await sink(rest);
      if (this.eof) return;
      if (signal?.aborted) throw abortReason(signal);
      if (!this.conn.pump) {
        for (;;) {
          const chunk = await this.conn.next();
          if (signal?.aborted) throw abortReason(signal);
          if (chunk === null) break;
          await sink(chunk);
        }
        this.eof = true;
        return;
      }
      let aborted = false;
      const onAbort = () => {
        aborted = true;
        this.conn.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await this.conn.pump(sink);
        if (aborted) throw abortReason(signal!);
        this.eof = true;
      } catch (err) {
        if (aborted) throw abortReason(signal!);
        throw err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } finally {
      if (!this.eof) this.conn.destroy();
    }
  }

  write(data: Uint8Array | string): Promise<void> {
    return this.conn.write(data);
  }

  /**
   * From now until end(), every tear-down of this session (close, a timeout, an abort) resets the connection
   * instead of closing it. For a submit: Receptor reads the payload until EOF and then starts the unit
   * (controlsvc.go ReadFromConn), so an orderly close before the whole payload was sent would run the unit on
   * part of it (or, before `Work unit created` arrived, on none). A reset fails the read, and the unit with it.
   */
  guardPayload(on = true): void {
    this.guarded = on;
  }

  /** Half-close: the server sees EOF (ends a submit payload; the session ends after its reply). */
  async end(): Promise<void> {
    await this.conn.end();
    this.guarded = false;
  }

  /** Closes the connection (a reset while guardPayload() is in force). */
  close(): void {
    this.teardown();
  }

  /** Tears the connection down with a reset where the transport has one (see Conn.reset); true if one was sent. */
  reset(): boolean {
    return this.conn.reset();
  }

  private teardown(): void {
    if (this.guarded) this.conn.reset();
    else this.conn.destroy();
  }

  get closed(): boolean {
    return this.conn.destroyed;
  }

  private closedError(): MeshctlError {
    return new ConnectionError('ECLOSED', `${this.opts.where} closed the connection`);
  }

  private replyTimeout(text: string, timeoutMs: number): MeshctlError {
    return new ConnectionError('ETIMEDOUT', `no reply to '${truncate(text.trim())}' from ${this.opts.where} within ${timeoutMs / 1000}s`);
  }
}

// Kept here for the client modules that import it from the session (upload.ts); it lives in errors.ts so the
// transport layer can use it too.
export { abortReason };

/** EGREETING is a connection failure (exit 3): what answered is not a control service, or nothing answered. */
function greetingTimeout(opts: SessionOptions, timeoutMs: number): MeshctlError {
  return new ConnectionError('EGREETING', `no greeting from ${opts.where} within ${timeoutMs / 1000}s`, {
    // plainTcp: a TLS listener (tcptls) waits for a handshake and never greets a plain TCP client.
    data: { greeting: 'timeout', plainTcp: opts.plainTcp === true, timeoutMs },
  });
}

/** Parses a single-line reply; the first line of a two-line error reply carries the message. */
export function parseOrThrow<T>(lines: string[], where: string): T {
  const reply = parseReply(lines[0]!);
  if (reply.kind === 'error') throw new ServerError(reply.message);
  if (reply.kind === 'bad') {
    throw new MeshctlError('EPROTOCOL', `unexpected reply from ${where}: '${truncate(reply.line)}'`);
  }
  return reply.value as T;
}

function truncate(s: string, n = 80): string {
  return s.length > n ? s.slice(0, n) + '...' : s;
}
