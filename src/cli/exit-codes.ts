// From "something was thrown" to (exit status, one stderr line). The table itself is src/errors.ts
// (EXIT, ERROR_TABLE); this file only adds what the CLI layer throws: commander's parse errors, the
// stdout-closed signal, and a command's explicit "exit with N".
import { CommanderError } from 'commander';
import { AbortError, ERROR_TABLE, EXIT, MeshctlError } from '../errors.js';
import { StdoutClosedError } from './io/write.js';

/** A command that already printed what went wrong and only needs the process to end with `code`. */
export class ExitStatus extends Error {
  override name = 'ExitStatus';
  constructor(readonly code: number) {
    super(`exit status ${code}`);
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
  if (err instanceof ExitStatus) return { exit: err.code, stack: false };
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
        let hint: string = ERROR_TABLE.EUSAGE.hint;
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
    return { exit: err.exitCode, message: err.message, hint: err.hint || undefined, stack: err.exitCode !== EXIT.USAGE };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exit: EXIT.INTERNAL, message: `internal error: ${message}`, hint: ERROR_TABLE.EINTERNAL.hint, stack: true };
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
