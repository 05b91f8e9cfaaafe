import { describe, expect, it } from 'vitest';
import { firstOperand, normaliseArgv } from '../../../src/cli/argv.js';
import { GLOBAL_OPTIONS_WITH_VALUE } from '../../../src/cli/global-options.js';

describe('argv', () => {
  it('argv - --insecureskipverify with a boolean word becomes the bare flag or nothing', () => {
    expect(normaliseArgv(['--insecureskipverify', 'true', 'status'])).toEqual(['--insecureskipverify', 'status']);
    expect(normaliseArgv(['--insecureskipverify', 'False', 'status'])).toEqual(['status']);
    expect(normaliseArgv(['--insecureskipverify=1', 'status'])).toEqual(['--insecureskipverify', 'status']);
    expect(normaliseArgv(['--insecureskipverify=no', 'status'])).toEqual(['status']);
  });

  it('argv - a following command name is not taken as the flag value', () => {
    expect(normaliseArgv(['--insecureskipverify', 'status'])).toEqual(['--insecureskipverify', 'status']);
  });

  it('argv - a bad value is left for commander to report; nothing after -- is touched', () => {
    expect(normaliseArgv(['--insecureskipverify=maybe'])).toEqual(['--insecureskipverify=maybe']);
    expect(normaliseArgv(['connect', '--', '--insecureskipverify', 'true'])).toEqual(['connect', '--', '--insecureskipverify', 'true']);
  });

  it('argv - firstOperand skips global options and their values', () => {
    expect(firstOperand(['-s', 'cert', 'cert', 'init'], GLOBAL_OPTIONS_WITH_VALUE)).toBe('cert');
    expect(firstOperand(['--socket', '/x', 'status'], GLOBAL_OPTIONS_WITH_VALUE)).toBe('status');
    expect(firstOperand(['--socket=/x', '--debug', 'work'], GLOBAL_OPTIONS_WITH_VALUE)).toBe('work');
    expect(firstOperand(['--debug'], GLOBAL_OPTIONS_WITH_VALUE)).toBeUndefined();
  });
});
