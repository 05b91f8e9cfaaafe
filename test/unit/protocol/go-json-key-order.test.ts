// Go sorts map keys by their UTF-8 bytes. byteCompare used to encode both strings for every comparison (issue 13:
// most of the time of sorting a 10k-unit `work list`); it now compares UTF-16 units and encodes only when a
// surrogate decides. Its sign must match Buffer.compare of the UTF-8 bytes for every pair, above all where the two
// orders differ: U+E000..U+FFFF against astral characters (surrogate pairs), and lone surrogates (U+FFFD in UTF-8).
import { describe, expect, it } from 'vitest';
import { byteCompare, goMarshal } from '../../../src/protocol/go-json.js';

const utf8Order = (a: string, b: string): number => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

// Units picked around every boundary: ASCII, 2- and 3-byte UTF-8, both surrogate halves, the private use area.
const UNITS = [0x00, 0x41, 0x61, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xd83d, 0xdbff, 0xdc00, 0xde00, 0xdfff, 0xe000, 0xfffd, 0xffc3, 0xffff];

describe('go-json key order', () => {
  it('go-json key order - byteCompare orders as the UTF-8 bytes for every pair of short strings around the boundaries', () => {
    const strings: string[] = [''];
    for (const a of UNITS) {
      strings.push(String.fromCharCode(a));
      for (const b of UNITS) strings.push(String.fromCharCode(a, b), `k${String.fromCharCode(a, b)}z`);
    }
    let pairs = 0;
    for (const a of strings) {
      for (const b of strings) {
        if (Math.sign(byteCompare(a, b)) !== utf8Order(a, b)) throw new Error(`byteCompare(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${byteCompare(a, b)}`);
        pairs++;
      }
    }
    expect(pairs).toBe(strings.length ** 2);
  });

  it('go-json key order - a map whose keys order differently in UTF-16 and UTF-8 is written in UTF-8 order', () => {
    // U+FFC3 is EF BF 83, U+1F600 is F0 9F 98 80: UTF-8 puts U+FFC3 first, UTF-16 (0xFFC3 > 0xD83D) the emoji.
    expect(goMarshal({ '\u{1F600}': 1, '\uffc3': 2, b: 3, a: 4 })).toBe('{"a":4,"b":3,"\uffc3":2,"\u{1F600}":1}');
  });
});
