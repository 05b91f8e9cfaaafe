// Go encoding/json compatibility: Receptor answers with Go's json.Marshal output and reports Go's
// json.Unmarshal syntax errors verbatim (`ERROR: invalid character 'b' looking for beginning of object key
// string`), so the embedded node must produce byte-identical text.
//
// Encoding rules followed (Go src/encoding/json/encode.go, appendString and floatEncoder):
// - strings: `"` and `\` escaped; \b \f \n \r \t short escapes; other bytes < 0x20 as \u00XX; `<`, `>`, `&`
//   as \u003c, \u003e, \u0026 (HTML-safe escaping is on in json.Marshal); U+2028 and U+2029 as \u2028 and
//   \u2029; invalid UTF-8 (lone surrogates here) as \ufffd.
// - maps: keys sorted by their UTF-8 bytes; structs: fields in declaration order. A plain JS object or Map
//   encodes as a Go map; wrap an object with goStruct() to keep its insertion order.
// - numbers: integers print plainly; floats use the shortest round-trip form, with an exponent only when
//   |x| < 1e-6 or |x| >= 1e21 (which is exactly what JS Number#toString does; Go also writes 1e-07 as 1e-7).

/** An object whose fields encode in insertion order, as a Go struct does. */
export class GoStruct {
  constructor(readonly fields: Readonly<Record<string, unknown>>) {}
}

/** Marks `fields` as a Go struct: encoded in insertion order rather than sorted. */
export function goStruct(fields: Record<string, unknown>): GoStruct {
  return new GoStruct(fields);
}

const HEX = '0123456789abcdef';

/** A JS string as a Go JSON string literal (with the quotes). */
export function goQuote(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      switch (c) {
        case 0x08:
          esc = '\\b';
          break;
        case 0x0c:
          esc = '\\f';
          break;
        case 0x0a:
          esc = '\\n';
          break;
        case 0x0d:
          esc = '\\r';
          break;
        case 0x09:
          esc = '\\t';
          break;
        default:
          esc = '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
      }
    } else if (c === 0x22) {
      esc = '\\"';
    } else if (c === 0x5c) {
      esc = '\\\\';
    } else if (c === 0x3c) {
      esc = '\\u003c';
    } else if (c === 0x3e) {
      esc = '\\u003e';
    } else if (c === 0x26) {
      esc = '\\u0026';
    } else if (c === 0x2028 || c === 0x2029) {
      esc = c === 0x2028 ? '\\u2028' : '\\u2029';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A valid surrogate pair is one code point: keep it. A lone surrogate is invalid UTF-8 for Go.
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      esc = '\\ufffd';
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encodeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`json: unsupported value: ${n}`);
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

/**
 * json.Marshal as Go does it. Plain objects and Maps are Go maps (keys sorted), GoStruct keeps field order,
 * arrays are slices, undefined and null are null, bigint is an integer, Buffers are not supported (Go would
 * base64 them; Receptor never sends any).
 */
export function goMarshal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return goQuote(value);
    case 'number':
      return encodeNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      break;
  }
  if (Array.isArray(value)) return '[' + value.map((v) => goMarshal(v)).join(',') + ']';
  if (value instanceof GoStruct) {
    return (
      '{' +
      Object.entries(value.fields)
        .map(([k, v]) => goQuote(k) + ':' + goMarshal(v))
        .join(',') +
      '}'
    );
  }
  if (value instanceof Date) return goQuote(value.toISOString());
  const entries: [string, unknown][] =
    value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v]) : Object.entries(value);
  entries.sort((a, b) => byteCompare(a[0], b[0]));
  return '{' + entries.map(([k, v]) => goQuote(k) + ':' + goMarshal(v)).join(',') + '}';
}

// ---------------------------------------------------------------------------------------------------
// Decoding with Go's syntax error messages (src/encoding/json/scanner.go).

/** A Go json.SyntaxError: `message` is exactly Go's Error() text. */
export class GoJsonSyntaxError extends Error {
  override name = 'GoJsonSyntaxError';
  constructor(
    message: string,
    /** Byte offset where Go's scanner stopped. */
    readonly offset: number,
  ) {
    super(message);
  }
}

// strconv.Quote of the rune with the byte's value (Go's scanner quotes single bytes, so the first byte of
// a multi-byte UTF-8 sequence shows as the Latin-1 character with that value), between single quotes.
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return '\'"\'';
  let body: string;
  switch (c) {
    case 0x07:
      body = '\\a';
      break;
    case 0x08:
      body = '\\b';
      break;
    case 0x0c:
      body = '\\f';
      break;
    case 0x0a:
      body = '\\n';
      break;
    case 0x0d:
      body = '\\r';
      break;
    case 0x09:
      body = '\\t';
      break;
    case 0x0b:
      body = '\\v';
      break;
    case 0x5c:
      body = '\\\\';
      break;
    default:
      if (c < 0x20 || c === 0x7f) body = '\\x' + HEX[c >> 4] + HEX[c & 0xf];
      else if ((c >= 0x80 && c <= 0xa0) || c === 0xad) body = '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
      else body = String.fromCharCode(c);
  }
  return "'" + body + "'";
}

class Scanner {
  private i = 0;
  constructor(private readonly b: Uint8Array) {}

  private fail(context: string): never {
    if (this.i >= this.b.length) {
      // At the end Go's scanner feeds one space (scanner.eof): states that reject a space report it,
      // the others give "unexpected end".
      const spaceFails = /^in literal|numeric literal|string escape code|hexadecimal character escape/.test(context);
      if (!spaceFails) throw new GoJsonSyntaxError('unexpected end of JSON input', this.i);
      throw new GoJsonSyntaxError(`invalid character ' ' ${context}`, this.i);
    }
    throw new GoJsonSyntaxError(`invalid character ${quoteChar(this.b[this.i]!)} ${context}`, this.i);
  }

  private ws(): void {
    while (this.i < this.b.length) {
      const c = this.b[this.i]!;
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  private isDigit(c: number | undefined): boolean {
    return c !== undefined && c >= 0x30 && c <= 0x39;
  }

  run(): void {
    this.ws();
    this.value();
    this.ws();
    if (this.i < this.b.length) this.fail('after top-level value');
  }

  private value(): void {
    const c = this.b[this.i];
    if (c === undefined) this.fail('looking for beginning of value');
    switch (c) {
      case 0x7b: // {
        this.i++;
        this.ws();
        if (this.b[this.i] === 0x7d) {
          this.i++;
          return;
        }
        for (;;) {
          if (this.b[this.i] !== 0x22) this.fail('looking for beginning of object key string');
          this.string();
          this.ws();
          if (this.b[this.i] !== 0x3a) this.fail('after object key');
          this.i++;
          this.ws();
          this.value();
          this.ws();
          const n = this.b[this.i];
          if (n === 0x2c) {
            this.i++;
            this.ws();
            continue;
          }
          if (n === 0x7d) {
            this.i++;
            return;
          }
          this.fail('after object key:value pair');
        }
      // eslint-disable-next-line no-fallthrough
      case 0x5b: // [
        this.i++;
        this.ws();
        if (this.b[this.i] === 0x5d) {
          this.i++;
          return;
        }
        for (;;) {
          this.value();
          this.ws();
          const n = this.b[this.i];
          if (n === 0x2c) {
            this.i++;
            this.ws();
            continue;
          }
          if (n === 0x5d) {
            this.i++;
            return;
          }
          this.fail('after array element');
        }
      // eslint-disable-next-line no-fallthrough
      case 0x22:
        this.string();
        return;
      case 0x74:
        this.literal('true');
        return;
      case 0x66:
        this.literal('false');
        return;
      case 0x6e:
        this.literal('null');
        return;
      default:
        if (c === 0x2d || this.isDigit(c)) {
          this.number();
          return;
        }
        this.fail('looking for beginning of value');
    }
  }

  private literal(word: string): void {
    this.i++;
    for (let k = 1; k < word.length; k++) {
      if (this.b[this.i] !== word.charCodeAt(k)) this.fail(`in literal ${word} (expecting '${word[k]}')`);
      this.i++;
    }
  }

  private string(): void {
    this.i++; // opening quote
    for (;;) {
      const c = this.b[this.i];
      if (c === undefined) this.fail('in string literal');
      if (c === 0x22) {
        this.i++;
        return;
      }
      if (c === 0x5c) {
        this.i++;
        const e = this.b[this.i];
        if (e === undefined) this.fail('in string escape code');
        if (e === 0x75) {
          this.i++;
          for (let k = 0; k < 4; k++) {
            const h = this.b[this.i];
            const isHex =
              h !== undefined &&
              ((h >= 0x30 && h <= 0x39) || (h >= 0x61 && h <= 0x66) || (h >= 0x41 && h <= 0x46));
            if (!isHex) this.fail('in \\u hexadecimal character escape');
            this.i++;
          }
          continue;
        }
        if ('"\\/bfnrt'.includes(String.fromCharCode(e))) {
          this.i++;
          continue;
        }
        this.fail('in string escape code');
      }
      if (c < 0x20) this.fail('in string literal');
      this.i++;
    }
  }

  private number(): void {
    if (this.b[this.i] === 0x2d) {
      this.i++;
      if (!this.isDigit(this.b[this.i])) this.fail('in numeric literal');
    }
    if (this.b[this.i] === 0x30) this.i++;
    else while (this.isDigit(this.b[this.i])) this.i++;
    if (this.b[this.i] === 0x2e) {
      this.i++;
      if (!this.isDigit(this.b[this.i])) this.fail('after decimal point in numeric literal');
      while (this.isDigit(this.b[this.i])) this.i++;
    }
    const e = this.b[this.i];
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const s = this.b[this.i];
      if (s === 0x2b || s === 0x2d) this.i++;
      if (!this.isDigit(this.b[this.i])) this.fail('in exponent of numeric literal');
      while (this.isDigit(this.b[this.i])) this.i++;
    }
  }
}

/**
 * json.Unmarshal into interface{}: the value, or a GoJsonSyntaxError whose message is Go's. Numbers become
 * JS numbers (float64, as in Go).
 */
export function goUnmarshal(input: string | Uint8Array): unknown {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  new Scanner(bytes).run();
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

/**
 * fmt.Sprintf("%s", v) for a value decoded from JSON, as Receptor's error messages print it
 * (`%!s(bool=true)`, `%!s(<nil>)`, `%!s(float64=1.5)`).
 */
export function goFormatS(v: unknown): string {
  if (v === null || v === undefined) return '%!s(<nil>)';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return `%!s(bool=${v})`;
  if (typeof v === 'number') return `%!s(float64=${goFormatG(v)})`;
  if (Array.isArray(v)) return '[' + v.map((x) => goFormatS(x)).join(' ') + ']';
  const entries = Object.entries(v as Record<string, unknown>).sort((a, b) => byteCompare(a[0], b[0]));
  return 'map[' + entries.map(([k, x]) => `${k}:${goFormatS(x)}`).join(' ') + ']';
}

/** %v of a float64 (strconv 'g', shortest): exponent form (at least two digits) when exp < -4 or >= 6. */
export function goFormatG(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mant, e] = n.toExponential().split('e') as [string, string];
  const exp = Number.parseInt(e, 10);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}
