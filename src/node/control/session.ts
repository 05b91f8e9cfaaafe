// One control-service session, following Receptor's RunControlSession (pkg/controlsvc/controlsvc.go):
// 1. greeting `Receptor Control, node <id>\n`;
// 2. read a line (`\r` dropped, `\n` ends it; a last line without `\n` before EOF still runs);
//    empty lines are skipped;
// 3. a line starting with `{` is JSON: `command` must exist and be a string and is matched
//    case-sensitively; otherwise the text before the first space, lower-cased, is the command and the
//    rest its parameters;
// 4. a JSON problem is answered with `ERROR: <Go json error>` AND then `ERROR: Unknown command, ` (the
//    command is then empty) — two lines for one request, as Receptor does;
// 5. replies: Go-marshalled JSON + `\n`, or `ERROR: <message>\n`; unknown commands get
//    `ERROR: Unknown command, <cmd>\n`;
// 6. the session goes on until the client ends its side (also after `work submit` and `work results`);
//    then the connection is closed.
// Unlike Receptor, a request is bounded (./limits.ts): one over `maxRequestBytes`, or one that would take
// the node's control requests over `maxBufferedBytes`, gets one `ERROR:` line and the connection closes.
// A large JSON line is decoded in slices of a few milliseconds, so other clients are answered meanwhile.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { GO_JSON_VALUE_COST, GoJsonDecoder, GoJsonError, goMarshal } from '../../protocol/go-json.js';
import { PayloadError, type PayloadConnection } from '../work/intake.js';
import { CommandError } from '../work/workceptor.js';
import type { NodeServices, SessionKind } from './context.js';
import { ByteBudget, DEFAULT_CONTROL_LIMITS, RequestLimitError, RequestMeter } from './limits.js';
import { ByteReader } from './reader.js';

export interface CommandRequest {
  /** Text form: everything after the first space. */
  params: string;
  /** JSON form: the decoded object (null for text commands). */
  json: Record<string, unknown> | null;
}

/** Returns the object to send as JSON, or null when the command wrote its own output. */
export type CommandHandler = (req: CommandRequest, session: ControlSession) => Promise<Record<string, unknown> | null>;

export class SessionClosedError extends Error {
  override name = 'SessionClosedError';
}

/**
 * The first bytes of every submit reply (`{"result":"Job Started",...}` and `{"result":"Job Submitted",...}`,
 * Go's map marshalling sorts `result` before `unitid`): sent as the probe of PayloadConnection.stillThere.
 */
const SUBMIT_REPLY_PREFIX = '{"result":"Job S';

/** How long input is still read (and dropped) after a failed submit, so the client can read the ERROR. */
const DISCARD_MS = 10_000;

/** Bounds of a session's requests: its own, and the node's budget shared by all its sessions. */
export interface SessionLimits {
  maxRequestBytes: number;
  budget?: ByteBudget;
}

/** JSON is decoded this many bytes per step, and steps run for at most SLICE_MS before other work runs. */
const DECODE_STEP = 16 * 1024;
const SLICE_MS = 5;
/** A text line longer than this lets other work run before it is decoded. */
const YIELD_ABOVE = 1024 * 1024;

export class ControlSession {
  readonly reader: ByteReader;
  private readonly abort = new AbortController();
  /** Set by a command (connect) after which the session must end. */
  finished = false;
  /** Set when what follows on the connection must never be read as commands (a failed submit). */
  private discardInput = false;
  /** Bytes of the next reply already sent (the submit probe). */
  private replyPrefix = '';

  constructor(
    readonly stream: Duplex,
    readonly kind: SessionKind,
    readonly node: NodeServices,
    readonly commands: ReadonlyMap<string, CommandHandler>,
    readonly peer: string,
    /** Default: the default bounds, with a budget of this session's own (the node passes its shared one). */
    private readonly limits: SessionLimits = {
      maxRequestBytes: DEFAULT_CONTROL_LIMITS.maxRequestBytes,
      budget: new ByteBudget(DEFAULT_CONTROL_LIMITS.maxBufferedBytes),
    },
  ) {
    this.reader = new ByteReader(stream);
    stream.once('close', () => this.abort.abort());
    // Errors surface through the reader and the writes; this keeps an 'error' from being unhandled.
    stream.on('error', () => this.abort.abort());
  }

  /** Aborted when the connection goes away. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * The connection as a submit's payload source (src/node/work/intake.ts). A clean EOF is not proof of a
   * complete payload:
   * - on a Unix socket a client that closed outright looks like one that half-closed (no reset exists
   *   there), but Linux refuses writes to a peer that closed both directions (EPIPE) and accepts them
   *   after a half-close;
   * - on TCP (and TLS over it) a reset that arrives while sent bytes are still unread is reported by
   *   libuv as EOF (uv__stream_io turns POLLHUP after a partial read into EOF without reading the
   *   error), and a write to the reset socket then fails.
   * So after EOF the first bytes of the submit reply, the same whatever the outcome, are written as a
   * probe. A mesh stream has its own close and is not probed.
   */
  payloadConnection(): PayloadConnection {
    return {
      write: (text) => this.write(text),
      read: async () => {
        const chunk = await this.reader.read();
        if (chunk === null && !this.stream.readableEnded) throw new Error('use of closed network connection');
        return chunk;
      },
      pump: async (sink) => {
        const end = await this.reader.pump(sink);
        if (end === 'eof' && !this.stream.readableEnded) throw new Error('use of closed network connection');
        return end;
      },
      stillThere: async () => {
        if (this.kind === 'mesh' || !(this.stream instanceof net.Socket)) return undefined;
        const s = this.stream;
        const failed = await new Promise<Error | undefined>((resolve) => {
          if (s.destroyed || s.writableEnded) return resolve(new Error('closed'));
          s.write(SUBMIT_REPLY_PREFIX, (e) => resolve(e ?? undefined));
        });
        if (!failed) {
          this.replyPrefix = SUBMIT_REPLY_PREFIX;
          return undefined;
        }
        // What the client did: closed a Unix socket (Receptor's text for a vanished client), or reset TCP.
        return Object.assign(new Error(failed.message), this.kind === 'unix' ? { code: 'EPIPE', op: 'write' as const } : { code: 'ECONNRESET', op: 'read' as const });
      },
    };
  }

  /** Writes and waits for `drain` when the socket's buffer is full. */
  write(data: string | Buffer): Promise<void> {
    return this.send(data);
  }

  /**
   * True when `lend` may be used: on a socket (TCP, Unix, TLS) a write's callback runs once the chunk has
   * gone to the kernel or the TLS engine. A mesh stream calls back while the chunk still sits in its send
   * queue, so a lent buffer could be overwritten before it leaves.
   */
  get canLend(): boolean {
    return this.stream instanceof net.Socket;
  }

  /**
   * Writes a buffer the caller wants back for reuse: `returned` runs once the stream no longer holds it
   * (also when the write fails or the connection closes). Resolves like `write`.
   */
  lend(data: Buffer, returned: () => void): Promise<void> {
    return this.send(data, returned);
  }

  private send(data: string | Buffer, returned?: () => void): Promise<void> {
    const s = this.stream;
    if (s.destroyed || s.writableEnded) {
      returned?.();
      return Promise.reject(new SessionClosedError('connection closed'));
    }
    if (returned ? s.write(data, () => returned()) : s.write(data)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        s.off('drain', onDrain);
        s.off('close', onClose);
      };
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        reject(new SessionClosedError('connection closed'));
      };
      s.on('drain', onDrain);
      s.on('close', onClose);
    });
  }

  async run(): Promise<void> {
    const log = this.node.logger;
    log.debug(`Client connected to control service ${this.peer}`);
    try {
      await this.write(`Receptor Control, node ${this.node.nodeId}\n`);
      let done = false;
      while (!done && !this.finished) {
        // What this request holds, from its line's first byte until it has been answered.
        const meter = new RequestMeter(this.limits.maxRequestBytes, this.limits.budget);
        try {
          let line;
          try {
            line = await this.reader.readLine(meter);
          } catch (err) {
            if (err instanceof RequestLimitError) return await this.refuse(err);
            log.warning(`Could not read in control service: ${(err as Error).message}`);
            return;
          }
          done = line.eof;
          if (line.eof) log.debug('Control service closed');
          if (line.bytes.length === 0) continue;
          try {
            await this.execute(line.bytes, meter);
          } catch (err) {
            if (err instanceof RequestLimitError) return await this.refuse(err);
            throw err;
          }
        } finally {
          meter.release();
        }
      }
    } catch (err) {
      if (!(err instanceof SessionClosedError)) log.error(`Write error in control service: ${(err as Error).message}`);
    } finally {
      log.debug(`Client disconnected from control service ${this.peer}`);
      if (this.discardInput) await this.discard();
      this.close();
    }
  }

  /** Reads and drops input until EOF, for at most DISCARD_MS: the client reads its ERROR, then stops sending. */
  private async discard(): Promise<void> {
    const timer = setTimeout(() => this.stream.destroy(), DISCARD_MS);
    timer.unref();
    try {
      while ((await this.reader.read()) !== null);
    } catch {
      // Reset or closed: nothing more to drop.
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A request over a bound: one ERROR line, then the connection ends. The rest of the line, or the
   * payload a submit would have sent, cannot be told from commands, so nothing more is executed; input is
   * read and dropped (run's discard) so that a client still sending its line can finish and read the
   * ERROR, which is followed by our end of the stream right away.
   */
  private async refuse(err: RequestLimitError): Promise<void> {
    this.node.logger.warning(`Control service refused a request from ${this.peer}: ${err.message}`);
    this.finished = true;
    this.discardInput = true;
    await this.write(`ERROR: ${err.clientMessage()}\n`);
    this.stream.end();
  }

  private close(): void {
    const s = this.stream;
    if (s.destroyed) return;
    if (s.writableFinished) {
      s.destroy();
      return;
    }
    const timer = setTimeout(() => s.destroy(), 10_000);
    timer.unref();
    s.once('finish', () => {
      clearTimeout(timer);
      s.destroy();
    });
    s.end();
  }

  /**
   * json.Unmarshal of a command line, in slices of at most SLICE_MS: a large line must not hold up the
   * other clients. The decoded values are counted in the request's size as they are built.
   */
  private async decodeJson(bytes: Buffer, meter: RequestMeter): Promise<Record<string, unknown>> {
    const d = new GoJsonDecoder(bytes);
    let deadline = performance.now() + SLICE_MS;
    for (;;) {
      const done = d.step(DECODE_STEP);
      meter.grow(bytes.length + GO_JSON_VALUE_COST * d.values);
      if (done) return d.result() as Record<string, unknown>;
      if (performance.now() >= deadline) {
        await yieldToLoop();
        if (this.signal.aborted) throw new SessionClosedError('connection closed');
        deadline = performance.now() + SLICE_MS;
      }
    }
  }

  private async execute(bytes: Buffer, meter: RequestMeter): Promise<void> {
    let cmd = '';
    let params = '';
    let json: Record<string, unknown> | null = null;
    let parseError: string | undefined;
    if (bytes[0] === 0x7b) {
      try {
        // Objects decoded from JSON inherit nothing, so a client's `__proto__` or `constructor` key is
        // just a key (and `command` below is found only if the client sent it).
        json = await this.decodeJson(bytes, meter);
        if (!Object.prototype.hasOwnProperty.call(json, 'command')) parseError = 'JSON did not contain a command';
        else if (typeof json.command !== 'string') parseError = 'command must be a string';
        else cmd = json.command;
      } catch (err) {
        // Go's syntax errors, and its type error for a number out of float64 range: both answered so.
        if (!(err instanceof GoJsonError)) throw err;
        parseError = err.message;
        json = null;
      }
    } else {
      // Joining a long line's chunks and decoding it are one step each (~15 ms per 30 MiB): not both in a row.
      if (bytes.length > YIELD_ABOVE) await yieldToLoop();
      const text = bytes.toString('utf8');
      const sp = text.indexOf(' ');
      cmd = (sp === -1 ? text : text.slice(0, sp)).toLowerCase();
      params = sp === -1 ? '' : text.slice(sp + 1);
    }
    if (parseError !== undefined) await this.write(`ERROR: ${parseError}\n`);
    const handler = this.commands.get(cmd);
    if (!handler) {
      await this.write(`ERROR: Unknown command, ${cmd}\n`);
      return;
    }
    let reply: Record<string, unknown> | null;
    try {
      reply = await handler({ params, json }, this);
    } catch (err) {
      if (err instanceof PayloadError) {
        // The rest of the connection is payload the unit did not get, never commands.
        this.finished = true;
        this.discardInput = true;
      }
      if (err instanceof SessionClosedError) throw err;
      if (!(err instanceof CommandError)) this.node.logger.error(`control command ${cmd} failed: ${(err as Error).stack ?? err}`);
      await this.writeReply(`ERROR: ${(err as Error).message}\n`);
      return;
    }
    if (reply !== null) await this.writeReply(goMarshal(reply) + '\n');
  }

  /** A reply, less the bytes the submit probe already sent. */
  private async writeReply(text: string): Promise<void> {
    const sent = this.replyPrefix;
    this.replyPrefix = '';
    if (sent === '') return this.write(text);
    if (!text.startsWith(sent)) {
      // Cannot happen for a submit (its reply always starts so); a garbled reply must not reach a client.
      this.node.logger.error(`control service: reply does not continue the submit probe: ${text.trim()}`);
      this.stream.destroy();
      throw new SessionClosedError('reply does not continue the submit probe');
    }
    return this.write(text.slice(sent.length));
  }
}
