import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { classify, printError, printWarning, SilentError, stackText } from '../../../src/cmdutil/errors.js';
import { StdoutClosedError } from '../../../src/cmdutil/io/write.js';
import { fakeIo } from './fake-io.js';
import { AbortError, ConnectionError, EXIT, MeshctlError, ServerError, TlsError, UploadInterruptedError, UsageError } from '../../../src/errors.js';

describe('exit codes', () => {
  it('exit codes - MeshctlErrors map through the error table with their hint', () => {
    expect(classify(new UsageError("bad --param 'x'"))).toMatchObject({ exit: EXIT.USAGE, message: "bad --param 'x'", hint: 'see --help' });
    expect(classify(new ConnectionError('ECONNREFUSED', 'connection refused by tcp://127.0.0.1:1'))).toMatchObject({ exit: EXIT.CONNECTION });
    expect(classify(new TlsError('tls: bad'))).toMatchObject({ exit: EXIT.TLS });
    expect(classify(new ServerError('unknown work unit abc'))).toMatchObject({ exit: EXIT.SERVER, message: 'unknown work unit abc' });
    expect(classify(new MeshctlError('EUNITFAILED', 'x'))).toMatchObject({ exit: EXIT.UNIT_FAILED });
    expect(classify(new MeshctlError('EINCOMPLETE', 'x'))).toMatchObject({ exit: EXIT.INCOMPLETE });
  });

  it('exit codes - an empty hint is left out', () => {
    expect(classify(new MeshctlError('ESERVER', 'x', { hint: '' })).hint).toBeUndefined();
  });

  it('exit codes - interrupt, closed stdout and explicit statuses print nothing', () => {
    expect(classify(new AbortError('interrupted'))).toEqual({ exit: EXIT.INTERRUPTED, stack: false });
    expect(classify(new StdoutClosedError())).toEqual({ exit: EXIT.OK, stack: false });
    expect(classify(new SilentError(7))).toEqual({ exit: 7, stack: false });
  });

  it('exit codes - SIGTERM is 143 and silent; an error that explains an interruption is printed with its status', () => {
    const term = new AbortError('terminated', { signal: 'SIGTERM' });
    expect(term.code).toBe('ETERMINATED');
    expect(classify(term)).toEqual({ exit: EXIT.TERMINATED, stack: false });
    const upload = new UploadInterruptedError({ unitId: 'abc123', bytesSent: 36700160, stop: 'aborted', reset: true, cause: term });
    expect(upload.code).toBe('ETERMINATED');
    expect(classify(upload)).toMatchObject({ exit: 143, message: "upload of work unit 'abc123' interrupted at byte 36700160" });
    const sigint = new UploadInterruptedError({ unitId: 'u', bytesSent: 0, stop: 'aborted', reset: true, cause: new AbortError('interrupted') });
    expect(classify(sigint)).toMatchObject({ exit: 130, message: "upload of work unit 'u' interrupted at byte 0" });
  });

  it('exit codes - an upload cut by the node or by the payload takes the status of its cause', () => {
    const node = new UploadInterruptedError({ unitId: 'u', bytesSent: 5, stop: 'node', reset: true, cause: new ServerError('disk full') });
    expect(classify(node)).toMatchObject({ exit: EXIT.SERVER, message: "node answered 'ERROR: disk full' at byte 5 of the payload of work unit 'u'" });
    expect(node.serverMessage).toBe('disk full');
    const lost = new UploadInterruptedError({ unitId: 'u', bytesSent: 5, stop: 'connection', reset: false, cause: new ConnectionError('ECLOSED', 'x was reset') });
    expect(classify(lost).exit).toBe(EXIT.CONNECTION);
    const eio = new UploadInterruptedError({ unitId: 'u', bytesSent: 7, stop: 'payload', reset: true, cause: Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }) });
    expect(classify(eio)).toMatchObject({ exit: EXIT.INTERNAL, hint: 'check the payload file, or the program writing to stdin' });
  });

  it('exit codes - anything else is an internal error (70) with a stack for --debug', () => {
    expect(classify(new TypeError('x is undefined'))).toMatchObject({ exit: EXIT.INTERNAL, message: 'internal error: x is undefined', stack: true });
  });

  it('exit codes - commander help and version exit 0; parse errors are usage errors on one line', () => {
    expect(classify(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')).exit).toBe(0);
    expect(classify(new CommanderError(0, 'commander.version', '1.0.0')).exit).toBe(0);
    expect(classify(new CommanderError(1, 'commander.help', '(outputHelp)'))).toEqual({ exit: EXIT.USAGE, stack: false });
    const v = classify(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'\nsecond line"));
    expect(v).toMatchObject({ exit: EXIT.USAGE, message: "unknown option '--x' second line" });
  });

  it('exit codes - stackText follows the cause chain', () => {
    const inner = new Error('ECONNREFUSED 127.0.0.1:1');
    const text = stackText(new ConnectionError('ECONNREFUSED', 'connection refused', { cause: inner }));
    expect(text).toContain('connection refused');
    expect(text).toContain('caused by: Error: ECONNREFUSED 127.0.0.1:1');
  });
});

describe('error printing', () => {
  it('error printing - one line with the hint, peer text escaped, the exit status returned', () => {
    const f = fakeIo();
    expect(printError(f.io, new MeshctlError('ESERVER', 'node said \x1b[31mno', { hint: 'ask \x07again' }))).toBe(EXIT.SERVER);
    expect(f.stderr()).toBe('meshctl: node said \\x1b[31mno (hint: ask \\aagain)\n');
    expect(f.stdout()).toBe('');
  });

  it('error printing - red prefix and dim hint only when stderr shows colour', () => {
    const f = fakeIo({ tty: true });
    printError(f.io, new UsageError("bad --param 'x'"));
    expect(f.stderr()).toBe("\x1b[31mmeshctl:\x1b[39m bad --param 'x' \x1b[2m(hint: see --help)\x1b[22m\n");
    const plain = fakeIo({ tty: true, env: { NO_COLOR: '1' } });
    printError(plain.io, new UsageError("bad --param 'x'"));
    expect(plain.stderr()).toBe("meshctl: bad --param 'x' (hint: see --help)\n");
  });

  it('error printing - already printed (SilentError), an interruption and a closed stdout print nothing', () => {
    const f = fakeIo();
    expect(printError(f.io, new SilentError(1))).toBe(1);
    expect(printError(f.io, new AbortError('interrupted'))).toBe(EXIT.INTERRUPTED);
    expect(printError(f.io, new StdoutClosedError())).toBe(EXIT.OK);
    expect(f.stderr()).toBe('');
  });

  it('error printing - --debug adds the stack of the error and its causes, not for usage errors', () => {
    const f = fakeIo();
    printError(f.io, new ConnectionError('ECONNREFUSED', 'connection refused', { cause: new Error('inner') }), { debug: true });
    const [first, second] = f.stderr().split('\n');
    expect(first).toMatch(/^meshctl: connection refused \(hint: .*\)$/);
    expect(second).toMatch(/: connection refused$/);
    expect(f.stderr()).toMatch(/\n {4}at /);
    expect(f.stderr()).toContain('caused by: Error: inner');
    const u = fakeIo();
    printError(u.io, new UsageError('bad'), { debug: true });
    expect(u.stderr()).toBe('meshctl: bad (hint: see --help)\n');
  });

  it('error printing - a warning is one line on stderr', () => {
    const f = fakeIo();
    printWarning(f.io, 'careful with \x1b');
    expect(f.stderr()).toBe('meshctl: warning: careful with \\x1b\n');
  });
});
