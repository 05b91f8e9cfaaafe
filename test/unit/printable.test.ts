// printable(): peer text (unit IDs, node IDs, Detail texts) with terminal control characters shown as Go-style
// escapes. Regression for issue 10: unit IDs carrying ESC sequences were printed raw by `work list` and in the
// node's log. Expected strings are written out by hand here, never produced by the code under test.
import { describe, expect, it } from 'vitest';
import { escapeBeyondC0, hasUnsafeBeyondC0, printable } from '../../src/printable.js';

// What a terminal acts on, written independently of src/printable.ts: C0, DEL, C1, bidi controls, U+2028/9.
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

describe('printable', () => {
  it('printable - named escapes for BEL, BS, TAB, LF, VT, FF, CR (as Go %q)', () => {
    expect(printable('a\u0007b\bc\td\ne\vf\fg\rh')).toBe('a\\ab\\bc\\td\\ne\\vf\\fg\\rh');
  });

  it('printable - other C0 controls and DEL as \\xHH, ESC sequences made inert', () => {
    expect(printable('\u0000')).toBe('\\x00');
    expect(printable('\u001b[31mred\u001b[0m')).toBe('\\x1b[31mred\\x1b[0m');
    expect(printable('title\u001b]0;pwned\u0007')).toBe('title\\x1b]0;pwned\\a');
    expect(printable('\u001f\u007f')).toBe('\\x1f\\x7f');
  });

  it('printable - C1 controls (CSI 0x9b, NEL 0x85) as \\u00HH', () => {
    expect(printable('\u009b2J')).toBe('\\u009b2J');
    expect(printable('a\u0085b\u0080\u009f')).toBe('a\\u0085b\\u0080\\u009f');
  });

  it('printable - bidirectional controls and line/paragraph separators as \\uHHHH', () => {
    expect(printable('abc\u202egnp.exe')).toBe('abc\\u202egnp.exe');
    expect(printable('\u061c\u200e\u200f\u202a\u2066\u2069')).toBe('\\u061c\\u200e\\u200f\\u202a\\u2066\\u2069');
    expect(printable('x\u2028y\u2029z')).toBe('x\\u2028y\\u2029z');
  });

  it('printable - printable text is left as it is, backslashes and non-ASCII included', () => {
    for (const s of ['', 'node1abcdEFGH', 'exit status 0', 'C:\\temp\\x1b', 'héllo wörld ✓ 日本 🎉', 'a b~!@#$%^&*()']) {
      expect(printable(s)).toBe(s);
    }
  });

  it('printable - no code point of the BMP comes out raw if a terminal would act on it', () => {
    const leaked: string[] = [];
    const changed: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCharCode(cp);
      const out = printable(`<${ch}>`);
      if (RAW_CONTROL.test(out)) leaked.push(cp.toString(16));
      if (!RAW_CONTROL.test(ch) && out !== `<${ch}>`) changed.push(cp.toString(16));
    }
    expect(leaked).toEqual([]);
    expect(changed).toEqual([]);
  });

  it('printable - escapes read back through JavaScript string syntax (except \\a, which JS lacks)', () => {
    const input = 'id\u001b[2J\r\n\t\u0000\u007f\u009b\u202e.';
    const escaped = printable(input);
    expect(new Function(`return "${escaped}";`)()).toBe(input);
  });

  it('printable - escapeBeyondC0 writes DEL, C1 and bidi controls as JSON \\u escapes and leaves C0 alone', () => {
    expect(hasUnsafeBeyondC0('a\u009bb')).toBe(true);
    expect(hasUnsafeBeyondC0('a\u001bb\n')).toBe(false);
    expect(escapeBeyondC0('{\n  "a\u009b": "\u007f\u202e"\n}')).toBe('{\n  "a\\u009b": "\\u007f\\u202e"\n}');
    expect(JSON.parse(escapeBeyondC0(JSON.stringify({ 'k\u0085': 'v\u2028\u009b' })))).toEqual({ 'k\u0085': 'v\u2028\u009b' });
  });
});
