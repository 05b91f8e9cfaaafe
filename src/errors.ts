// The one error table of meshctl. Every failure the library or the CLI reports is a MeshctlError
// with a stable `code`; the CLI maps the code to an exit status through ERROR_TABLE (docs/exit-codes.md
// documents the same table: keep them together) and composes the hint from code and data (src/cmdutil/hints.ts).

/** Process exit statuses. Documented in docs/exit-codes.md. */
export const EXIT = {
  OK: 0,
  /** A work unit ended Failed (or Canceled while being followed); a ping failed. */
  UNIT_FAILED: 1,
  /** Bad flags, bad values, missing files named on the command line. */
  USAGE: 2,
  /** Could not reach a control service: refused, missing socket, timeout, bad greeting, connection lost. */
  CONNECTION: 3,
  /** TLS handshake or certificate problem. */
  TLS: 4,
  /** The server answered `ERROR: ...` (or a Success:false reply such as reload). */
  SERVER: 5,
  /** A results stream ended short of the unit's StdoutSize, or resuming gave up. */
  INCOMPLETE: 6,
  /** A fan-out over the mesh (`mesh status`, `work list --all-nodes`): some nodes did not answer; the rest is printed. */
  PARTIAL: 7,
  /** Anything unexpected (a bug): reported with --debug for the stack. */
  INTERNAL: 70,
  /**
   * `work status --wait --timeout D`: the time ran out before the unit ended. 124 is what coreutils' timeout(1)
   * exits with when it stops a command, so `timeout 5m meshctl work status --wait ID` reads the same.
   */
  WAIT_TIMEOUT: 124,
  /** The terminal went away (SIGHUP: a closed ssh session or terminal window), as shells report it (128 + 1). */
  HANGUP: 129,
  /** Interrupted by SIGINT (Ctrl-C), as shells report it. */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM (CI cancellation, `timeout`), as shells report it. */
  TERMINATED: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * code → exit status. A code not in the table exits INTERNAL. The library says what failed (code, message and
 * structured `data`); what to do about it is the CLI's to say: src/cmdutil/hints.ts composes the hint from the
 * code and the data.
 */
export const ERROR_TABLE = {
  // usage
  EUSAGE: { exit: EXIT.USAGE },
  EBADADDRESS: { exit: EXIT.USAGE },
  ENOSOCKET: { exit: EXIT.USAGE },
  EBADFILE: { exit: EXIT.USAGE },
  EBADCONFIG: { exit: EXIT.USAGE },
  // connection
  ENOENT_SOCKET: { exit: EXIT.CONNECTION },
  ECONNREFUSED: { exit: EXIT.CONNECTION },
  ECONNECT: { exit: EXIT.CONNECTION },
  ETIMEDOUT: { exit: EXIT.CONNECTION },
  EGREETING: { exit: EXIT.CONNECTION },
  ECLOSED: { exit: EXIT.CONNECTION },
  EPROTOCOL: { exit: EXIT.CONNECTION },
  // tls
  ETLS: { exit: EXIT.TLS },
  // server replies
  ESERVER: { exit: EXIT.SERVER },
  EUNKNOWNUNIT: { exit: EXIT.SERVER },
  ERELOAD: { exit: EXIT.SERVER },
  // work outcomes
  EUNITFAILED: { exit: EXIT.UNIT_FAILED },
  EPINGFAILED: { exit: EXIT.UNIT_FAILED },
  EINCOMPLETE: { exit: EXIT.INCOMPLETE },
  EPARTIAL: { exit: EXIT.PARTIAL },
  EWAITTIMEOUT: { exit: EXIT.WAIT_TIMEOUT },
  // local I/O: reading a submit's payload (file or stdin) failed after the upload began
  EPAYLOAD: { exit: EXIT.INTERNAL },
  // other
  EABORTED: { exit: EXIT.INTERRUPTED },
  ETERMINATED: { exit: EXIT.TERMINATED },
  EHANGUP: { exit: EXIT.HANGUP },
  EINTERNAL: { exit: EXIT.INTERNAL },
} as const satisfies Record<string, { exit: number }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export interface MeshctlErrorOptions {
  cause?: unknown;
  /**
   * Advice for the user, given by the CLI layer (src/commands, src/cmdutil) where it knows better than the table
   * of src/cmdutil/hints.ts; '' for none. The library (src/client, src/transport, src/protocol) never sets it.
   */
  hint?: string;
  /** Structured data: what a hint needs (the address kind, the TLS code, the unit id...), --json output, tests. */
  data?: Record<string, unknown>;
}

/** Base of every error meshctl raises on purpose. `message` is short, lowercase, and quotes the bad value. */
export class MeshctlError extends Error {
  override name = 'MeshctlError';
  readonly code: ErrorCode;
  /** An explicit hint; undefined: the CLI composes one from `code` and `data` (src/cmdutil/hints.ts). */
  readonly hint: string | undefined;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: MeshctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.data = options.data;
  }

  get exitCode(): number {
    return ERROR_TABLE[this.code].exit;
  }
}

export class UsageError extends MeshctlError {
  override name = 'UsageError';
  constructor(message: string, options: MeshctlErrorOptions = {}) {
    super('EUSAGE', message, options);
  }
}

export class ConnectionError extends MeshctlError {
  override name = 'ConnectionError';
}

export class TlsError extends MeshctlError {
  override name = 'TlsError';
  constructor(message: string, options: MeshctlErrorOptions = {}) {
    super('ETLS', message, options);
  }
}

export interface ServerErrorOptions extends MeshctlErrorOptions {
  /**
   * What was asked, when the node's text does not say it (`connect to service 'x' on node 'y'`): the message
   * becomes `<context>: <server message>`. Receptor's texts (`no route to node`, `service unknown`) name neither.
   */
  context?: string;
}

/**
 * The server answered `ERROR: <message>`. `serverMessage` is the text after the prefix, verbatim; `message` is
 * the same text, after the request's context when one was given.
 */
export class ServerError extends MeshctlError {
  override name = 'ServerError';
  readonly serverMessage: string;
  constructor(serverMessage: string, options: ServerErrorOptions = {}) {
    const { context, ...rest } = options;
    const unknown = /^unknown work unit /.test(serverMessage);
    super(unknown ? 'EUNKNOWNUNIT' : 'ESERVER', context ? `${context}: ${serverMessage}` : serverMessage, rest);
    this.serverMessage = serverMessage;
  }
}

/** The process signals the CLI turns into an abort (src/cli/main.ts). */
export type AbortSignalName = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/**
 * The caller's AbortSignal fired. `signal` names the process signal behind it when there was one (the CLI aborts
 * with SIGINT, SIGTERM or SIGHUP): SIGTERM gives the code ETERMINATED (exit 143), SIGHUP EHANGUP (exit 129),
 * anything else EABORTED (exit 130).
 */
export class AbortError extends MeshctlError {
  override name = 'AbortError';
  readonly signal: AbortSignalName | undefined;
  constructor(message = 'aborted', options: MeshctlErrorOptions & { signal?: AbortSignalName } = {}) {
    super(options.signal === 'SIGTERM' ? 'ETERMINATED' : options.signal === 'SIGHUP' ? 'EHANGUP' : 'EABORTED', message, options);
    this.signal = options.signal;
  }
}

/**
 * Why an AbortSignal fired, as the library reports it: the reason itself when it is an AbortError (the CLI's
 * carries the process signal, hence the exit status), else a plain AbortError with the reason as its cause.
 */
export function abortReason(signal: AbortSignal): AbortError {
  return signal.reason instanceof AbortError ? signal.reason : new AbortError('aborted', { cause: signal.reason });
}

/** Why a submit's upload stopped early. */
export type UploadStop =
  /** The caller's signal fired (the CLI: Ctrl-C, SIGTERM or SIGHUP); `cause` is the signal's AbortError. */
  | 'aborted'
  /** Reading the payload failed (a file read error, a broken stdin); `cause` is that error. */
  | 'payload'
  /** The node answered a line (`ERROR: ...`) before the payload's end; `cause` is the ServerError. */
  | 'node'
  /** The connection broke (closed or reset by the node, or a write failed); `cause` is the ConnectionError. */
  | 'connection';

/**
 * A submit's payload upload stopped before the payload's end, after the node created the unit. The client then
 * resets the connection (TCP RST; for TLS, on the TCP socket under it) instead of half-closing it: Receptor
 * copies the payload until EOF (controlsvc.go ReadFromConn, io.Copy) and starts the unit on whatever it got,
 * so a clean EOF would run the unit on a partial payload, while a reset fails it ("Error reading input data").
 *
 * `bytesSent`: payload bytes handed to the connection before the stop; the node received at most these.
 * `reset`: whether a reset was sent. A Unix socket has none: closing it reads as an ordinary end of stream.
 * `code` follows the cause: EABORTED/ETERMINATED/EHANGUP, EPAYLOAD, ESERVER (or EUNKNOWNUNIT), or the connection's.
 */
export class UploadInterruptedError extends MeshctlError {
  override name = 'UploadInterruptedError';
  readonly unitId: string;
  readonly bytesSent: number;
  readonly stop: UploadStop;
  readonly reset: boolean;
  /** The node's text after `ERROR: ` when it answered during the upload (stop 'node'). */
  readonly serverMessage: string | undefined;

  constructor(
    info: { unitId: string; bytesSent: number; stop: UploadStop; reset: boolean; cause: unknown },
    options: Omit<MeshctlErrorOptions, 'cause'> = {},
  ) {
    const { unitId, bytesSent, stop, cause } = info;
    const code: ErrorCode = stop === 'payload' || !(cause instanceof MeshctlError) ? 'EPAYLOAD' : cause.code;
    const why = cause instanceof Error ? cause.message : String(cause);
    let message: string;
    switch (stop) {
      case 'aborted':
        message = `upload of work unit '${unitId}' interrupted at byte ${bytesSent}`;
        break;
      case 'payload':
        message = `reading the payload of work unit '${unitId}' failed at byte ${bytesSent}: ${why}`;
        break;
      case 'node':
        message =
          cause instanceof ServerError
            ? `node answered 'ERROR: ${cause.serverMessage}' at byte ${bytesSent} of the payload of work unit '${unitId}'`
            : `${why} at byte ${bytesSent} of the payload of work unit '${unitId}'`;
        break;
      default:
        message = `connection lost at byte ${bytesSent} of the payload of work unit '${unitId}': ${why}`;
    }
    super(code, message, { ...options, cause });
    this.unitId = unitId;
    this.bytesSent = bytesSent;
    this.stop = stop;
    this.reset = info.reset;
    this.serverMessage = cause instanceof ServerError ? cause.serverMessage : undefined;
  }
}

/** Exit status for anything thrown: MeshctlError by its code, everything else INTERNAL. */
export function exitCodeOf(err: unknown): number {
  return err instanceof MeshctlError ? err.exitCode : EXIT.INTERNAL;
}
