// The JSON decoder of control command lines (src/protocol/go-json.ts GoJsonDecoder) against answers
// recorded from Go's encoding/json (test/fixtures/protocol/go-json/README.md), decoded in one go and in
// slices of every small size; Go's nesting limit; keys that are Object.prototype members; long strings
// cut at UTF-8 boundaries while paused.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  GO_JSON_MAX_DEPTH,
  GoJsonDecoder,
  GoJsonError,
  GoJsonSyntaxError,
  GoJsonTypeError,
  goFormatS,
  goMarshal,
  goUnmarshal,
} from '../../../src/protocol/go-json.js';

interface GoCase {
  in: string;
  err?: string;
  out?: string;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CASES = JSON.parse(readFileSync(path.join(HERE, '../../fixtures/protocol/go-json/unmarshal.json'), 'utf8')) as GoCase[];

/** What the decoder answers, in Go's terms: the error text, or json.Marshal of the value. */
function answer(input: Buffer, budget = Infinity): { err?: string; out?: string } {
  const d = new GoJsonDecoder(input);
  while (!d.step(budget));
  try {
    return { out: goMarshal(d.result()) };
  } catch (e) {
    if (!(e instanceof GoJsonError)) throw e;
    return { err: e.message };
  }
}

function errorOf(input: string | Buffer): GoJsonError {
  try {
    goUnmarshal(input);
  } catch (e) {
    if (e instanceof GoJsonError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('go-json decoder against Go', () => {
  it(`go-json decoder - answers ${CASES.length} recorded lines exactly as Go's json.Unmarshal`, () => {
    const wrong: string[] = [];
    for (const c of CASES) {
      const got = answer(Buffer.from(c.in, 'base64'));
      const want = c.err !== undefined ? { err: c.err } : { out: c.out };
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${Buffer.from(c.in, 'base64').toString('latin1')}\n  go: ${JSON.stringify(want)}\n  us: ${JSON.stringify(got)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('go-json decoder - gives the same answers when run in slices of 1 to 7 bytes', () => {
    const wrong: string[] = [];
    for (const c of CASES) {
      const want = c.err !== undefined ? { err: c.err } : { out: c.out };
      for (let budget = 1; budget <= 7; budget++) {
        const got = answer(Buffer.from(c.in, 'base64'), budget);
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`budget ${budget}: ${Buffer.from(c.in, 'base64').toString('latin1')}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('go-json decoder nesting', () => {
  // Regression: `{"a":[[[...` 200,000 deep closed the session with no reply (the recursive scanner
  // overflowed the stack). Go refuses depth 10001 (scanner.go maxNestingDepth), naming the bracket.
  it('go-json decoder - refuses nesting 200,000 deep with Go\'s "exceeded max depth"', () => {
    const deep = '{"a":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}';
    const err = errorOf(deep);
    expect(err).toBeInstanceOf(GoJsonSyntaxError);
    expect(err.message).toBe("invalid character '[' exceeded max depth");
    expect(errorOf('{"a":' + '{"b":'.repeat(200_000)).message).toBe("invalid character '{' exceeded max depth");
  });

  it('go-json decoder - accepts exactly 10000 levels (the top-level object is one) and refuses 10001', () => {
    const nested = (levels: number): string => '{"a":' + '['.repeat(levels - 1) + ']'.repeat(levels - 1) + '}';
    expect(GO_JSON_MAX_DEPTH).toBe(10000);
    const v = goUnmarshal(nested(10000)) as Record<string, unknown>;
    let depth = 1;
    for (let x: unknown = v.a; Array.isArray(x); x = x[0]) depth++;
    expect(depth).toBe(10000);
    expect(errorOf(nested(10001)).message).toBe("invalid character '[' exceeded max depth");
  });

  it('go-json decoder - reports the first error in byte order, as Go checks the whole input first', () => {
    // A bad byte before the 10001st bracket wins; a number out of range loses to any syntax error.
    expect(errorOf('{"a":' + '['.repeat(9998) + 'x').message).toBe("invalid character 'x' looking for beginning of value");
    expect(errorOf('{"a":1e400,' + '['.repeat(10_005)).message).toBe("invalid character '[' looking for beginning of object key string");
    expect(errorOf('{"a":1e400,"b":' + '['.repeat(10_005)).message).toBe("invalid character '[' exceeded max depth");
    const e = errorOf('{"a":1e400,"b":-1e999}');
    expect(e).toBeInstanceOf(GoJsonTypeError);
    expect(e.message).toBe('json: cannot unmarshal number 1e400 into Go value of type float64');
  });

  it('go-json decoder - marshals and formats values nested 10000 deep without recursion', () => {
    const v = goUnmarshal('{"a":' + '['.repeat(9999) + '1' + ']'.repeat(9999) + '}');
    expect(goMarshal(v)).toBe('{"a":' + '['.repeat(9999) + '1' + ']'.repeat(9999) + '}');
    expect(goFormatS((v as Record<string, unknown>).a)).toBe('['.repeat(9999) + '%!s(float64=1)' + ']'.repeat(9999));
  });
});

describe('go-json decoder objects', () => {
  // Regression: keys named like Object.prototype members must be plain keys and never found by lookups
  // of names the client did not send (`requested_fields: ["__proto__"]` answered `get is not a function`).
  it('go-json decoder - decodes __proto__, constructor and toString as own keys', () => {
    const v = goUnmarshal('{"__proto__":{"command":"status"},"constructor":1,"toString":"x","hasOwnProperty":null}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ command: 'status' });
    expect(v.command).toBeUndefined();
    expect(v.constructor).toBe(1);
    expect(goMarshal(v)).toBe('{"__proto__":{"command":"status"},"constructor":1,"hasOwnProperty":null,"toString":"x"}');
  });

  it('go-json decoder - objects inherit nothing: no constructor, toString or valueOf the client did not send', () => {
    const v = goUnmarshal('{"command":"status","x":{}}') as Record<string, unknown>;
    for (const o of [v, v.x as Record<string, unknown>]) {
      expect(o.constructor).toBeUndefined();
      expect(o.toString).toBeUndefined();
      expect(o.valueOf).toBeUndefined();
      expect('hasOwnProperty' in o).toBe(false);
    }
  });

  it('go-json decoder - a repeated key keeps its last value (Go map assignment)', () => {
    expect(goUnmarshal('{"command":"a","command":"b"}')).toEqual({ command: 'b' });
  });
});

describe('go-json decoder strings and slices', () => {
  it('go-json decoder - a long string paused at every slice decodes like one read, bad UTF-8 as Go does', () => {
    // 100 KiB runs force the pause-time flush (every 64 KiB); the bytes after each run are cut anywhere.
    const run = 'a'.repeat(100_000);
    const pieces = [Buffer.from(run), Buffer.from([0xe2, 0x82]), Buffer.from('A' + run), Buffer.from('é😀'), Buffer.from(run), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from('\\u00e9' + run)];
    const input = Buffer.concat([Buffer.from('{"command":"'), ...pieces, Buffer.from('"}')]);
    // Go's unquote: each byte of a broken sequence is one U+FFFD (WHATWG decoders give one per sequence).
    const want = run + '\ufffd\ufffd' + 'A' + run + 'é😀' + run + '\ufffd\ufffd\ufffd' + 'é' + run;
    for (const budget of [Infinity, 1, 3, 4096, 65_535, 65_536, 65_537]) {
      const d = new GoJsonDecoder(input);
      while (!d.step(budget));
      expect((d.result() as Record<string, unknown>).command === want, `budget ${budget}`).toBe(true);
    }
  });

  it('go-json decoder - \\u escapes: pairs join, lone surrogates become U+FFFD, as Go unquote does', () => {
    expect(goUnmarshal('{"a":"\\ud83d\\ude00|\\ud800|\\udc00|\\ud800\\u0041|\\ud800\\ud800"}')).toEqual({ a: '😀|\ufffd|\ufffd|\ufffdA|\ufffd\ufffd' });
  });

  it('go-json decoder - counts values as it goes (the control layer charges 48 bytes each)', () => {
    const d = new GoJsonDecoder(Buffer.from('{"a":[1,2,{}],"b":"x"}'));
    while (!d.step(1));
    d.result();
    // keys a, b; values 1, 2, {}, the array, "x", the top-level object
    expect(d.values).toBe(8);
  });

  it('go-json decoder - step() never consumes more than its budget plus one token', () => {
    const input = Buffer.from('{"a":"' + 'x'.repeat(1000) + '","b":[' + '1,'.repeat(500) + '1]}');
    const d = new GoJsonDecoder(input);
    let before = 0;
    while (!d.step(64)) {
      expect(d.offset - before).toBeLessThanOrEqual(64 + 8);
      before = d.offset;
    }
    expect(d.offset).toBe(input.length);
  });
});
