// IOStreams over in-memory streams, for tests of the CLI layer: what a command wrote to stdout and stderr,
// with TTY-ness and the environment chosen by the test.
import { PassThrough, Readable } from 'node:stream';
import { IOStreams } from '../../../src/cmdutil/io/iostreams.js';

export interface FakeIo {
  io: IOStreams;
  stdout(): string;
  stderr(): string;
  stdoutBytes(): Buffer;
  stdin: PassThrough;
}

export function fakeIo(
  opts: {
    tty?: boolean;
    env?: Record<string, string | undefined>;
    stdin?: string | Buffer;
    /** The terminal's width on both streams (default: unknown, 0). */
    columns?: number;
    /** stdin is a terminal too (a person can be asked); default false. */
    stdinTty?: boolean;
  } = {},
): FakeIo {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d: Buffer) => err.push(d));
  const stdin = new PassThrough();
  if (opts.stdin !== undefined) stdin.end(opts.stdin);
  const io = new IOStreams({
    stdin: stdin as unknown as Readable,
    stdout,
    stderr,
    stdinIsTTY: Boolean(opts.stdinTty),
    stdoutIsTTY: Boolean(opts.tty),
    stderrIsTTY: Boolean(opts.tty),
    stdoutColumns: opts.columns,
    stderrColumns: opts.columns,
    // CI set: no spinner even on a "TTY" (its timing would make output nondeterministic).
    env: { CI: '1', ...opts.env },
  });
  return {
    io,
    stdin,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    stdoutBytes: () => Buffer.concat(out),
  };
}
