// Expected strings below were produced by Go 1.26 encoding/json (json.Marshal / json.Unmarshal into a
// map[string]interface{}), the library Receptor answers with.
import { describe, expect, it } from 'vitest';
import { GoJsonSyntaxError, goFormatS, goMarshal, goQuote, goStruct, goUnmarshal } from '../../../src/protocol/go-json.js';

describe('go-json encoding', () => {
  it('go-json - escapes strings like json.Marshal', () => {
    expect(goQuote('plain')).toBe('"plain"');
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('<tag>&amp;')).toBe('"\\u003ctag\\u003e\\u0026amp;"');
    expect(goQuote('\u2028\u2029')).toBe('"\\u2028\\u2029"');
    expect(goQuote('\x00\x01\x08\x0c\n\r\t\x1f\x7f')).toBe('"\\u0000\\u0001\\b\\f\\n\\r\\t\\u001f\x7f"');
    expect(goQuote('µs é 😀')).toBe('"µs é 😀"');
    expect(goQuote('/slash')).toBe('"/slash"');
  });

  it('go-json - replaces lone surrogates (invalid UTF-8 for Go) with \\ufffd', () => {
    expect(goQuote('a\ud800b')).toBe('"a\\ufffdb"');
    expect(goQuote('\udc00')).toBe('"\\ufffd"');
  });

  it('go-json - sorts map keys by bytes and formats numbers like Go', () => {
    const m = {
      b: 1,
      a: [1.5, 'x', null, true],
      B: { z: 1e21, y: 1e-7, x: 0 },
      'é': 1,
      z: 0.000001,
      ab: 123456789012,
    };
    expect(goMarshal(m)).toBe(
      '{"B":{"x":0,"y":1e-7,"z":1e+21},"a":[1.5,"x",null,true],"ab":123456789012,"b":1,"z":0.000001,"é":1}',
    );
  });

  it('go-json - keeps struct field order and sorts Maps', () => {
    expect(goMarshal(goStruct({ State: 1, Detail: 'x', ExtraData: null }))).toBe('{"State":1,"Detail":"x","ExtraData":null}');
    expect(goMarshal(new Map([['z', 1], ['a', 2]]))).toBe('{"a":2,"z":1}');
    expect(goMarshal(undefined)).toBe('null');
    expect(goMarshal(12345678901234567890n)).toBe('12345678901234567890');
  });

  it('go-json - rejects NaN and Infinity like Go (UnsupportedValueError)', () => {
    expect(() => goMarshal(Number.NaN)).toThrow(/unsupported value/);
    expect(() => goMarshal({ a: Infinity })).toThrow(/unsupported value/);
  });
});

describe('go-json decoding errors', () => {
  const cases: [string, string | null][] = [
    ['{bad', "invalid character 'b' looking for beginning of object key string"],
    ['{"a"}', "invalid character '}' after object key"],
    ['{"a":}', "invalid character '}' looking for beginning of value"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['{"a":1 "b":2}', 'invalid character \'"\' after object key:value pair'],
    ['{"a":[1 2]}', "invalid character '2' after array element"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a":nul', "invalid character ' ' in literal null (expecting 'l')"],
    ['{"a":-}', "invalid character '}' in numeric literal"],
    ['{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a":1e}', "invalid character '}' in exponent of numeric literal"],
    ['{"a":01}', "invalid character '1' after object key:value pair"],
    ['{"a":"\\x"}', "invalid character 'x' in string escape code"],
    ['{"a":"\\u12g4"}', "invalid character 'g' in \\u hexadecimal character escape"],
    ['{"a":"\x01"}', "invalid character '\\x01' in string literal"],
    ['{"a":1}x', "invalid character 'x' after top-level value"],
    ['{"a":1} {}', "invalid character '{' after top-level value"],
    ['{', 'unexpected end of JSON input'],
    ['{"a', 'unexpected end of JSON input'],
    ['{"a":"b', 'unexpected end of JSON input'],
    ['{"a":1', 'unexpected end of JSON input'],
    ['{"a":[', 'unexpected end of JSON input'],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['{"a":1}}', "invalid character '}' after top-level value"],
    ['{"a":é}', "invalid character 'Ã' looking for beginning of value"],
    ['{"a":+1}', "invalid character '+' looking for beginning of value"],
    ['{"a":.5}', "invalid character '.' looking for beginning of value"],
    ['{"a":"ok"}   ', null],
    ['{"a":falsy}', "invalid character 'y' in literal false (expecting 'e')"],
    ['{"a":[1,]}', "invalid character ']' looking for beginning of value"],
    ['{"a":{"b":}}', "invalid character '}' looking for beginning of value"],
    ['{"a":\t1}', null],
    ['{"a":Nan}', "invalid character 'N' looking for beginning of value"],
    ['{"a":1E+}', "invalid character '}' in exponent of numeric literal"],
    ['{"a":-01}', "invalid character '1' after object key:value pair"],
  ];
  for (const [input, expected] of cases) {
    it(`go-json - ${JSON.stringify(input)} gives Go's error`, () => {
      if (expected === null) {
        expect(() => goUnmarshal(input)).not.toThrow();
        return;
      }
      let err: unknown;
      try {
        goUnmarshal(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GoJsonSyntaxError);
      expect((err as Error).message).toBe(expected);
    });
  }

  it('go-json - decodes valid input to plain values', () => {
    expect(goUnmarshal('{"command":"work","startpos":5.7,"x":[true,null]}')).toEqual({
      command: 'work',
      startpos: 5.7,
      x: [true, null],
    });
  });

  it('go-json - formats values as fmt %s does in Receptor errors', () => {
    expect(goFormatS(true)).toBe('%!s(bool=true)');
    expect(goFormatS(null)).toBe('%!s(<nil>)');
    expect(goFormatS(1)).toBe('%!s(float64=1)');
    expect(goFormatS(1234567)).toBe('%!s(float64=1.234567e+06)');
    expect(goFormatS(1e-5)).toBe('%!s(float64=1e-05)');
    expect(goFormatS(0.0001)).toBe('%!s(float64=0.0001)');
    expect(goFormatS([1, 'a', true, null])).toBe('[%!s(float64=1) a %!s(bool=true) %!s(<nil>)]');
    expect(goFormatS({ b: 1, a: 'x' })).toBe('map[a:x b:%!s(float64=1)]');
  });
});
