import { describe, expect, it } from 'vitest';
import { parseTimeout } from '../../../src/cmdutil/timeout.js';
import { UsageError } from '../../../src/errors.js';

describe('timeout', () => {
  it('timeout - Go durations and bare seconds', () => {
    expect(parseTimeout('5s')).toBe(5000);
    expect(parseTimeout('250ms')).toBe(250);
    expect(parseTimeout('1m30s')).toBe(90_000);
    expect(parseTimeout('2')).toBe(2000);
    expect(parseTimeout('0.5')).toBe(500);
    expect(parseTimeout('0')).toBe(0);
  });

  it('timeout - a bad value is a usage error quoting it', () => {
    expect(() => parseTimeout('5x')).toThrow(UsageError);
    expect(() => parseTimeout('5x')).toThrow(/invalid --timeout '5x'/);
    expect(() => parseTimeout('-1s')).toThrow(/negative/);
  });
});
