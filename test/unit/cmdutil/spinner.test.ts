// The spinner and the terminal facts it depends on (issue 11: on a terminal reporting 0 columns the spinner, then
// ora, looped for ever: 7.8 MB of cursor codes in 30 s, 3.2 GB, deaf to SIGINT and SIGTERM; under TERM=dumb it
// still sent cursor codes and bold text). The real pseudo-terminal cases are in test/e2e/terminal.test.ts.
// Frames are driven with fake timers: these tests count writes, they never measure time.
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IOStreams, MIN_SPINNER_COLUMNS } from '../../../src/cmdutil/io/iostreams.js';
import { fitLine, Spinner } from '../../../src/cmdutil/io/spinner.js';

/** A terminal-like stderr whose width the test can change, as a window resize does. */
class FakeTerminal extends Writable {
  columns: number;
  writes: string[] = [];
  /** When false, write() reports a full buffer (the terminal is not reading). */
  accepting = true;
  constructor(columns: number) {
    super({ decodeStrings: false, highWaterMark: 1 << 20 });
    this.columns = columns;
  }
  override write(chunk: unknown, ...rest: unknown[]): boolean {
    this.writes.push(String(chunk));
    (super.write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
    return this.accepting;
  }
  override _write(_c: unknown, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
  text(): string {
    return this.writes.join('');
  }
}

function terminalIo(stderr: Writable, env: Record<string, string> = {}): IOStreams {
  return new IOStreams({
    stdin: new PassThrough() as unknown as Readable,
    stdout: new PassThrough(),
    stderr,
    stdoutIsTTY: true,
    stderrIsTTY: true,
    env,
  });
}

describe('iostreams - terminal facts', () => {
  it('iostreams - columns is the terminal width, 0 when unknown or not a terminal', () => {
    expect(terminalIo(new FakeTerminal(120)).columns('stderr')).toBe(120);
    expect(terminalIo(new FakeTerminal(0)).columns('stderr')).toBe(0);
    const piped = new IOStreams({ stdin: new PassThrough() as unknown as Readable, stdout: new PassThrough(), stderr: new FakeTerminal(120), stderrIsTTY: false });
    expect(piped.columns('stderr')).toBe(0);
  });

  it('iostreams - no spinner with 0 columns, a narrow terminal, TERM=dumb, CI, or a stream that is not a terminal', () => {
    expect(terminalIo(new FakeTerminal(80)).spinnerEnabled()).toBe(true);
    expect(terminalIo(new FakeTerminal(0)).spinnerEnabled()).toBe(false);
    expect(terminalIo(new FakeTerminal(MIN_SPINNER_COLUMNS - 1)).spinnerEnabled()).toBe(false);
    expect(terminalIo(new FakeTerminal(80), { TERM: 'dumb' }).spinnerEnabled()).toBe(false);
    expect(terminalIo(new FakeTerminal(80), { CI: 'true' }).spinnerEnabled()).toBe(false);
    const pipedStdout = new IOStreams({
      stdin: new PassThrough() as unknown as Readable,
      stdout: new PassThrough(),
      stderr: new FakeTerminal(80),
      stdoutIsTTY: false,
      stderrIsTTY: true,
    });
    expect(pipedStdout.spinnerEnabled()).toBe(false);
  });

  it('iostreams - TERM=dumb: no colour on a terminal; NO_COLOR still wins and FORCE_COLOR still forces', () => {
    expect(terminalIo(new FakeTerminal(80)).colorEnabled('stderr')).toBe(true);
    expect(terminalIo(new FakeTerminal(80), { TERM: 'dumb' }).colorEnabled('stderr')).toBe(false);
    expect(terminalIo(new FakeTerminal(80), { TERM: 'dumb' }).colorEnabled('stdout')).toBe(false);
    expect(terminalIo(new FakeTerminal(80), { TERM: 'dumb', FORCE_COLOR: '1' }).colorEnabled('stdout')).toBe(true);
    expect(terminalIo(new FakeTerminal(80), { TERM: 'dumb', FORCE_COLOR: '1', NO_COLOR: '1' }).colorEnabled('stdout')).toBe(false);
  });
});

describe('spinner - drawing', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spinner - one bounded line per frame, never wider than the terminal, erased at stop', () => {
    const term = new FakeTerminal(40);
    const s = new Spinner(terminalIo(term), true);
    s.start('asking the node for its status, which is a rather long sentence');
    vi.advanceTimersByTime(200);
    expect(term.writes).toEqual([]); // not before the delay: fast replies never flicker
    vi.advanceTimersByTime(80 * 20);
    expect(term.writes.length).toBeGreaterThan(10);
    for (const w of term.writes) {
      expect(w).toMatch(/^\r\x1b\[36m.\x1b\[39m [^\n]*\x1b\[K$/u);
      // Without its escape codes the line is under the width: it can never wrap.
      const visible = w.replace(/\x1b\[[0-9;]*[mK]/g, '').replace('\r', '');
      expect([...visible].length).toBeLessThan(40);
    }
    expect(term.writes[0]).toContain('…');
    const before = term.writes.length;
    s.stop();
    expect(term.writes.slice(before)).toEqual(['\r\x1b[K']);
    vi.advanceTimersByTime(1000);
    expect(term.writes.length).toBe(before + 1);
  });

  it('spinner - regression (issue 11): a terminal reporting 0 columns gets nothing, however long it spins', () => {
    const term = new FakeTerminal(0);
    // Forced on, as if the width changed after the check: the spinner itself must not draw.
    const s = new Spinner(terminalIo(term), true);
    s.start('asking the node for its status');
    vi.advanceTimersByTime(30_000);
    s.stop();
    expect(term.text()).toBe('');
  });

  it('spinner - a window narrowed to 0 columns mid-spin: the line is erased once and nothing more is drawn', () => {
    const term = new FakeTerminal(80);
    const s = new Spinner(terminalIo(term), true);
    s.start('waiting');
    vi.advanceTimersByTime(250 + 80 * 3);
    const drawn = term.writes.length;
    expect(drawn).toBeGreaterThan(0);
    term.columns = 0;
    vi.advanceTimersByTime(80 * 100);
    expect(term.writes.slice(drawn)).toEqual(['\r\x1b[K']);
    term.columns = 80; // widened again: drawing resumes
    vi.advanceTimersByTime(80 * 2);
    expect(term.writes.length).toBeGreaterThan(drawn + 1);
    s.stop();
  });

  it('spinner - frames are skipped while the terminal has not drained (memory stays flat)', () => {
    const term = new FakeTerminal(80);
    term.accepting = false;
    const s = new Spinner(terminalIo(term), true);
    s.start('waiting');
    vi.advanceTimersByTime(250 + 80 * 100);
    expect(term.writes.length).toBe(1);
    term.accepting = true;
    term.emit('drain');
    vi.advanceTimersByTime(80 * 3);
    expect(term.writes.length).toBe(4);
    s.stop();
  });

  it('spinner - disabled: writes nothing at all', () => {
    const term = new FakeTerminal(80);
    const s = new Spinner(terminalIo(term, { TERM: 'dumb' }));
    s.start('waiting');
    vi.advanceTimersByTime(5_000);
    s.stop();
    expect(term.text()).toBe('');
  });

  it('spinner - its text is made printable (a unit id typed with an escape sequence)', () => {
    const term = new FakeTerminal(80);
    const s = new Spinner(terminalIo(term), true);
    s.start('cancel a\x1b[2Jb');
    vi.advanceTimersByTime(300);
    s.stop();
    expect(term.writes[0]).toContain('a\\x1b[2Jb');
    expect(term.writes[0]).not.toContain('\x1b[2J');
  });
});

describe('spinner - fitLine', () => {
  it('spinner - fitLine keeps text that fits and cuts the rest with an ellipsis', () => {
    expect(fitLine('hello', 10)).toBe('hello');
    expect(fitLine('hello', 5)).toBe('hello');
    expect(fitLine('hello world', 5)).toBe('hell…');
    expect(fitLine('hello', 1)).toBe('…');
    expect(fitLine('hello', 0)).toBe('');
  });

  it('spinner - fitLine counts characters outside ASCII as two columns, so wide ones never wrap', () => {
    expect(fitLine('日本語のテキスト', 7)).toBe('日本語…');
    expect(fitLine('ab日', 4)).toBe('ab日');
    expect(fitLine('ab日c', 4)).toBe('ab…');
  });
});
