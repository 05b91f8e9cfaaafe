// Receptor-style log lines on a stream (stderr for `meshctl node`): `LEVEL YYYY/MM/DD HH:MM:SS message {"node_id":"x"}`,
// the format of Receptor 1.6.5's pkg/logger: Go's log package with Ldate|Ltime, an upper-case level prefix, and
// the logger's suffix map appended as `{"key":"value",...}` (ReceptorLogger.appendSuffix).
// Levels: error < warning < info < debug; Receptor logs at info until a log-level entry says otherwise.
//
// The suffix: netceptor.New gives the node's logger {"node_id": ID} (SetSuffix), and runProtocol adds
// {"remote_id": PEER} (UpdateSuffix) each time a peer's first routing update arrives on a new connection, so
// from the first connection on every line names the most recent peer to connect, whatever the line is about
// (pkg/netceptor/netceptor.go). Go prints the map in random order; we print node_id first, then remote_id,
// one of the two orders receptor prints. Lines of receptor's main (`Initialization complete`) come from a
// logger of their own without a suffix: `unsuffixed()` is that logger here.
import type { Writable } from 'node:stream';
import type { LogLevel } from '../config/types.js';
import { printable } from '../printable.js';

const RANK: Record<LogLevel, number> = { error: 1, warning: 2, info: 3, debug: 4 };

export interface NodeLogger {
  level: LogLevel;
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  enabled(level: LogLevel): boolean;
  /** Replaces the suffix (Receptor's SetSuffix); undefined removes it. */
  setSuffix?(fields: Record<string, string> | undefined): void;
  /** Adds or overwrites suffix fields (Receptor's UpdateSuffix). */
  updateSuffix?(fields: Record<string, string>): void;
  /** The same output and level with no suffix: the logger of receptor's main (cmd/receptor-cl/receptor.go). */
  unsuffixed?(): NodeLogger;
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `{"node_id":"a","remote_id":"b"}`, written as appendSuffix writes it (no JSON escaping). */
function renderSuffix(fields: ReadonlyMap<string, string>): string {
  return `{${[...fields].map(([k, v]) => `"${k}":"${v}"`).join(',')}}`;
}

export class StreamLogger implements NodeLogger {
  private suffix: Map<string, string> | undefined;

  constructor(
    private readonly out: Writable,
    public level: LogLevel = 'info',
    /** False for the unsuffixed view: it never carries a suffix. */
    private readonly suffixed = true,
  ) {}

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  setSuffix(fields: Record<string, string> | undefined): void {
    this.suffix = fields ? new Map(Object.entries(fields)) : undefined;
  }

  updateSuffix(fields: Record<string, string>): void {
    this.suffix ??= new Map();
    for (const [k, v] of Object.entries(fields)) this.suffix.set(k, v);
  }

  unsuffixed(): NodeLogger {
    const parent = this;
    const view = new StreamLogger(this.out, this.level, false);
    // The view follows the parent's level (a test may change it after start).
    Object.defineProperty(view, 'level', { get: () => parent.level, set: (l: LogLevel) => (parent.level = l) });
    return view;
  }

  private log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    // One line per message, and no raw control characters: a crafted unit id, node id or error text could
    // otherwise forge log lines (a newline, CR) or drive the terminal showing the log (ESC, CSI). They are
    // shown escaped (`\n`, `\x1b`: src/printable.ts).
    let text = message.replace(/\r?\n$/, '');
    if (this.suffixed && this.suffix) text += ` ${renderSuffix(this.suffix)}`;
    this.out.write(`${level.toUpperCase()} ${stamp(new Date())} ${printable(text)}\n`);
  }

  error(message: string): void {
    this.log('error', message);
  }
  warning(message: string): void {
    this.log('warning', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  debug(message: string): void {
    this.log('debug', message);
  }
}

/** A logger that drops everything (the default for in-process test nodes). */
export class SilentLogger implements NodeLogger {
  level: LogLevel = 'error';
  enabled(): boolean {
    return false;
  }
  error(): void {}
  warning(): void {}
  info(): void {}
  debug(): void {}
}

/** The logger for lines receptor's main writes without a suffix (`Initialization complete`). */
export function mainLogger(logger: NodeLogger): NodeLogger {
  return logger.unsuffixed?.() ?? logger;
}
