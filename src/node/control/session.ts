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
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { goMarshal, goUnmarshal, GoJsonSyntaxError } from '../../protocol/go-json.js';
import { CommandError } from '../work/workceptor.js';
import type { NodeServices, SessionKind } from './context.js';
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

export class ControlSession {
  readonly reader: ByteReader;
  private readonly abort = new AbortController();
  /** Set by a command (connect) after which the session must end. */
  finished = false;

  constructor(
    readonly stream: Duplex,
    readonly kind: SessionKind,
    readonly node: NodeServices,
    readonly commands: ReadonlyMap<string, CommandHandler>,
    readonly peer: string,
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
        let line;
        try {
          line = await this.reader.readLine();
        } catch (err) {
          log.warning(`Could not read in control service: ${(err as Error).message}`);
          return;
        }
        done = line.eof;
        if (line.eof) log.debug('Control service closed');
        if (line.bytes.length === 0) continue;
        await this.execute(line.bytes);
      }
    } catch (err) {
      if (!(err instanceof SessionClosedError)) log.error(`Write error in control service: ${(err as Error).message}`);
    } finally {
      log.debug(`Client disconnected from control service ${this.peer}`);
      this.close();
    }
  }

  private close(): void {
    const s = this.stream;
    if (s.destroyed) return;
    const timer = setTimeout(() => s.destroy(), 10_000);
    timer.unref();
    s.once('finish', () => {
      clearTimeout(timer);
      s.destroy();
    });
    s.end();
  }

  private async execute(bytes: Buffer): Promise<void> {
    let cmd = '';
    let params = '';
    let json: Record<string, unknown> | null = null;
    let parseError: string | undefined;
    if (bytes[0] === 0x7b) {
      try {
        json = goUnmarshal(bytes) as Record<string, unknown>;
        if (!Object.prototype.hasOwnProperty.call(json, 'command')) parseError = 'JSON did not contain a command';
        else if (typeof json.command !== 'string') parseError = 'command must be a string';
        else cmd = json.command;
      } catch (err) {
        if (!(err instanceof GoJsonSyntaxError)) throw err;
        parseError = err.message;
      }
    } else {
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
      if (err instanceof SessionClosedError) throw err;
      if (!(err instanceof CommandError)) this.node.logger.error(`control command ${cmd} failed: ${(err as Error).stack ?? err}`);
      await this.write(`ERROR: ${(err as Error).message}\n`);
      return;
    }
    if (reply !== null) await this.write(goMarshal(reply) + '\n');
  }
}
