// From "something was thrown" to (exit status, one stderr line), and the one function that prints an error.
// The exit table is src/errors.ts (EXIT, ERROR_TABLE), the hints src/cmdutil/hints.ts; this file adds what the command layer throws:
// commander's parse errors, the stdout-closed signal, and SilentError (gh's cmdutil.SilentError: the command
// already said what went wrong).
//
// Every `meshctl: ...` line on stderr is written by this file: errors by printError (called by the CLI's single
// error path, src/cli/main.ts, and by a command reporting one item of several that failed, work/unit-ops.ts) and
// warnings by printWarning (Factory.warn). Commands never format such a line themselves.
import { CommanderError } from 'commander';
import { AbortError, EXIT, MeshctlError } from '../errors.js';
import { printable } from '../printable.js';
import type { IOStreams } from './io/iostreams.js';
import { StdoutClosedError } from './io/write.js';
import { hintFor, INTERNAL_HINT, USAGE_HINT } from './hints.js';

/**
 * The command has already told the user what went wrong (a refused prompt, `not signed`); the error path prints
 * nothing more and the process ends with `exitCode` (gh: `cmdutil.SilentError`, "already printed").
 */
export class SilentError extends Error {
  override name = 'SilentError';
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`);
  }
}

export interface Verdict {
  exit: number;
  /** The one line for stderr, without the `meshctl: ` prefix; undefined = print nothing. */
  message?: string;
  hint?: string;
  /** Print the stack with --debug (not for usage errors, which are not bugs or I/O). */
  stack: boolean;
}

export function classify(err: unknown): Verdict {
  if (err instanceof SilentError) return { exit: err.exitCode, stack: false };
  if (err instanceof StdoutClosedError) return { exit: EXIT.OK, stack: false };
  if (err instanceof CommanderError) {
    switch (err.code) {
      case 'commander.helpDisplayed':
      case 'commander.version':
        return { exit: EXIT.OK, stack: false };
      case 'commander.help':
        // `meshctl` / `meshctl work` with no command: help went to stderr.
        return { exit: EXIT.USAGE, stack: false };
      default: {
        // "error: unknown command 'stauts'\n(Did you mean status?)" → message + the suggestion as the hint.
        let message = err.message.replace(/^error: /, '');
        let hint: string = USAGE_HINT;
        const m = /\s*\(Did you mean (.+)\?\)\s*$/.exec(message);
        if (m) {
          message = message.slice(0, m.index);
          hint = `did you mean ${m[1]}?`;
        }
        return { exit: EXIT.USAGE, message: message.replace(/\s*\n\s*/g, ' '), hint, stack: false };
      }
    }
  }
  // A bare interruption says nothing (exit 130 or 143); a command that explains what it left behind throws its
  // own error with the AbortError as cause (an interrupted submit upload), and that is printed.
  if (err instanceof AbortError) return { exit: err.exitCode, stack: false };
  if (err instanceof MeshctlError) {
    // The library's errors carry code and data only; the hint is composed here (src/cmdutil/hints.ts).
    const hint = hintFor(err);
    return { exit: err.exitCode, message: err.message, hint: hint || undefined, stack: err.exitCode !== EXIT.USAGE };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exit: EXIT.INTERNAL, message: `internal error: ${message}`, hint: INTERNAL_HINT, stack: true };
}

/** The stack of an error and of each `cause` under it, for --debug. */
export function stackText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) {
      parts.push((depth ? 'caused by: ' : '') + (e.stack ?? `${e.name}: ${e.message}`));
      e = e.cause;
    } else {
      parts.push(`caused by: ${String(e)}`);
      break;
    }
  }
  return parts.join('\n') + '\n';
}

/**
 * The single way an error reaches the user: `meshctl: <message> (hint: <hint>)` on stderr, control characters of
 * peer text escaped, red and dim only when stderr shows colour; with `debug`, the stack and its causes. Errors
 * that stand for "already said" (SilentError, an interruption, a closed stdout) print nothing. Returns the exit
 * status. The caller stops any spinner first (Factory.printError does).
 */
export function printError(io: IOStreams, err: unknown, opts: { debug?: boolean } = {}): number {
  const v = classify(err);
  if (v.message !== undefined) io.stderr.write(errorLine(io, v.message, v.hint));
  if (opts.debug && v.stack && err instanceof Error) io.stderr.write(stackText(err));
  return v.exit;
}

function errorLine(io: IOStreams, message: string, hint: string | undefined): string {
  const color = io.colorEnabled('stderr');
  const red = (s: string) => (color ? `\x1b[31m${s}\x1b[39m` : s);
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[22m` : s);
  return `${red('meshctl:')} ${printable(message)}${hint ? ' ' + dim(`(hint: ${printable(hint)})`) : ''}\n`;
}

/** `meshctl: warning: <message>` on stderr (never stdout: it would corrupt data). */
export function printWarning(io: IOStreams, message: string): void {
  const color = io.colorEnabled('stderr');
  const magenta = (s: string) => (color ? `\x1b[35m${s}\x1b[39m` : s);
  io.stderr.write(`${magenta('meshctl: warning:')} ${printable(message)}\n`);
}
