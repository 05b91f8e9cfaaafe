// Receptor-style log lines on a stream (stderr for `meshctl node`): `LEVEL YYYY/MM/DD HH:MM:SS message`,
// the format of Receptor's pkg/logger (Go's log package with Ldate|Ltime and an upper-case level prefix).
// Levels: error < warning < info < debug; Receptor logs at info until a log-level entry says otherwise.
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
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export class StreamLogger implements NodeLogger {
  constructor(
    private readonly out: Writable,
    public level: LogLevel = 'info',
  ) {}

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  private log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    // One line per message, and no raw control characters: a crafted unit id, node id or error text could
    // otherwise forge log lines (a newline, CR) or drive the terminal showing the log (ESC, CSI). They are
    // shown escaped (`\n`, `\x1b`: src/printable.ts).
    const text = printable(message.replace(/\r?\n$/, ''));
    this.out.write(`${level.toUpperCase()} ${stamp(new Date())} ${text}\n`);
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
