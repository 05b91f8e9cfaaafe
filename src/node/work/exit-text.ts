// Go's os.ProcessState.String() text, which Receptor stores as the Detail of a finished command unit
// (`exit status 0`, `exit status 3`, `signal: killed`). Signal names are Go's (syscall signal table, Linux).
import os from 'node:os';

export const GO_SIGNAL_NAMES: Record<number, string> = {
  1: 'hangup',
  2: 'interrupt',
  3: 'quit',
  4: 'illegal instruction',
  5: 'trace/breakpoint trap',
  6: 'aborted',
  7: 'bus error',
  8: 'floating point exception',
  9: 'killed',
  10: 'user defined signal 1',
  11: 'segmentation fault',
  12: 'user defined signal 2',
  13: 'broken pipe',
  14: 'alarm clock',
  15: 'terminated',
  16: 'stack fault',
  17: 'child exited',
  18: 'continued',
  19: 'stopped (signal)',
  20: 'stopped',
  21: 'stopped (tty input)',
  22: 'stopped (tty output)',
  23: 'urgent I/O condition',
  24: 'CPU time limit exceeded',
  25: 'file size limit exceeded',
  26: 'virtual timer expired',
  27: 'profiling timer expired',
  28: 'window changed',
  29: 'I/O possible',
  30: 'power failure',
  31: 'bad system call',
};

export function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) {
    const num = os.constants.signals[signal];
    return `signal: ${GO_SIGNAL_NAMES[num] ?? `signal ${num}`}`;
  }
  return `exit status ${code ?? -1}`;
}
