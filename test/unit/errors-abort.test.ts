// The abort errors behind the CLI's signal handling (issue 11: SIGHUP acts like Ctrl-C and SIGTERM): each
// process signal has its own code and the exit status shells report, and abortReason hands the signal's own
// AbortError through (it carries that status) or wraps any other reason.
import { describe, expect, it } from 'vitest';
import { abortReason, AbortError, EXIT } from '../../src/errors.js';

describe('abort errors', () => {
  it('abort errors - SIGINT, SIGTERM and SIGHUP map to EABORTED/130, ETERMINATED/143 and EHANGUP/129', () => {
    expect([new AbortError('x', { signal: 'SIGINT' })].map((e) => [e.code, e.exitCode])).toEqual([['EABORTED', EXIT.INTERRUPTED]]);
    expect([new AbortError('x', { signal: 'SIGTERM' })].map((e) => [e.code, e.exitCode])).toEqual([['ETERMINATED', 143]]);
    expect([new AbortError('x', { signal: 'SIGHUP' })].map((e) => [e.code, e.exitCode])).toEqual([['EHANGUP', 129]]);
    expect(new AbortError().exitCode).toBe(130);
  });

  it("abort errors - abortReason passes the signal's AbortError through and wraps any other reason as its cause", () => {
    const ac = new AbortController();
    const mine = new AbortError('hung up', { signal: 'SIGHUP' });
    ac.abort(mine);
    expect(abortReason(ac.signal)).toBe(mine);
    const other = new AbortController();
    other.abort();
    const wrapped = abortReason(other.signal);
    expect(wrapped).toBeInstanceOf(AbortError);
    expect(wrapped.code).toBe('EABORTED');
    expect((wrapped.cause as Error).name).toBe('AbortError'); // the DOMException Node aborts with
  });
});
