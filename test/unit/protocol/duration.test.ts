// Expected values were produced by Go 1.26's time package (Duration.String and time.ParseDuration).
import { describe, expect, it } from 'vitest';
import { GoDurationError, formatGoDuration, parseGoDuration, parseGoDurationMs } from '../../../src/protocol/duration.js';

describe('duration format', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [999n, '999ns'],
    [1000n, '1µs'],
    [1001n, '1.001µs'],
    [38612n, '38.612µs'],
    [1200000n, '1.2ms'],
    [10000100000n, '10.0001s'],
    [3600000000000n, '1h0m0s'],
    [-1500n, '-1.5µs'],
    [9223372036854775807n, '2562047h47m16.854775807s'],
    [-9223372036854775808n, '-2562047h47m16.854775808s'],
    [61000000000n, '1m1s'],
    [90061001000000n, '25h1m1.001s'],
  ];
  for (const [ns, text] of cases) {
    it(`duration - ${ns}ns formats as ${text}`, () => {
      expect(formatGoDuration(ns)).toBe(text);
    });
  }

  it('duration - uses U+00B5 for micro', () => {
    expect(formatGoDuration(279171)).toBe('279.171\u00b5s');
  });
});

describe('duration parse', () => {
  const ok: [string, bigint][] = [
    ['0', 0n],
    ['-0', 0n],
    ['+0', 0n],
    ['1s', 1000000000n],
    ['1.5h', 5400000000000n],
    ['-1.5h', -5400000000000n],
    ['.5s', 500000000n],
    ['5.s', 5000000000n],
    ['1µs', 1000n],
    ['1μs', 1000n],
    ['1us', 1000n],
    ['3h2m1.5s', 10921500000000n],
    ['9223372036854775807ns', 9223372036854775807n],
    ['-9223372036854775808ns', -9223372036854775808n],
    ['2562047h47m16.854775807s', 9223372036854775807n],
    ['1.0000000000000000000001s', 1000000000n],
    ['0.1ns', 0n],
  ];
  for (const [text, ns] of ok) {
    it(`duration - parses ${JSON.stringify(text)}`, () => {
      expect(parseGoDuration(text)).toBe(ns);
    });
  }

  const bad: [string, string][] = [
    ['', 'time: invalid duration ""'],
    ['1', 'time: missing unit in duration "1"'],
    ['.s', 'time: invalid duration ".s"'],
    ['1x', 'time: unknown unit "x" in duration "1x"'],
    ['1sm', 'time: unknown unit "sm" in duration "1sm"'],
    ['x', 'time: invalid duration "x"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['2562048h', 'time: invalid duration "2562048h"'],
    ['"é', 'time: invalid duration "\\"\\xc3\\xa9"'],
  ];
  for (const [text, message] of bad) {
    it(`duration - rejects ${JSON.stringify(text)} with Go's message`, () => {
      expect(() => parseGoDuration(text)).toThrow(GoDurationError);
      expect(() => parseGoDuration(text)).toThrow(message);
    });
  }

  it('duration - converts to milliseconds', () => {
    expect(parseGoDurationMs('1m30s')).toBe(90000);
    expect(parseGoDurationMs('1.5ms')).toBe(1.5);
  });
});
