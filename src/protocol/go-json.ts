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

/** Characters goQuote escapes: controls, `"`, `\\`, `<`, `>`, `&`, U+2028/9 and surrogates (lone ones). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

/** A JS string as a Go JSON string literal (with the quotes). */
export function goQuote(s: string): string {
  // The regular expression finds the first character to escape in native code: a long string without
  // any (a submit's params, a unit's Detail) is not walked character by character here.
  const first = s.search(NEEDS_ESCAPE);
  if (first === -1) return '"' + s + '"';
  let out = '"';
  let start = 0;
  for (let i = first; i < s.length; i++) {
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

/**
 * Go's order of map keys: by their UTF-8 bytes. Outside the surrogates, UTF-16 code units order as code points
 * and so as UTF-8 bytes: the first differing unit decides, without encoding either string (two Buffers per
 * comparison made sorting a 10k-unit `work list` reply's keys most of its cost, bench/units-scale.js). A
 * surrogate there (a pair, or a lone one that UTF-8 turns into U+FFFD) takes the encoded comparison.
 */
export function byteCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  if ((x & 0xf800) === 0xd800 || (y & 0xf800) === 0xd800) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return x - y;
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
  // Iterative (a work list of values and literal text): a decoded value may be nested 10000 deep.
  const out: string[] = [];
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v instanceof Raw) {
      out.push(v.text);
      continue;
    }
    if (v === null || v === undefined) {
      out.push('null');
      continue;
    }
    switch (typeof v) {
      case 'string':
        out.push(goQuote(v));
        continue;
      case 'number':
        out.push(encodeNumber(v));
        continue;
      case 'bigint':
        out.push(v.toString());
        continue;
      case 'boolean':
        out.push(v ? 'true' : 'false');
        continue;
      default:
        break;
    }
    if (Array.isArray(v)) {
      out.push('[');
      todo.push(CLOSE_BRACKET);
      for (let k = v.length - 1; k >= 0; k--) {
        todo.push(v[k]);
        if (k > 0) todo.push(COMMA);
      }
      continue;
    }
    if (v instanceof Date) {
      out.push(goQuote(v.toISOString()));
      continue;
    }
    let entries: [string, unknown][];
    if (v instanceof GoStruct) {
      entries = Object.entries(v.fields);
    } else {
      entries = v instanceof Map ? [...v.entries()].map(([k, x]) => [String(k), x]) : Object.entries(v);
      entries.sort((a, b) => byteCompare(a[0], b[0]));
    }
    out.push('{');
    todo.push(CLOSE_BRACE);
    for (let k = entries.length - 1; k >= 0; k--) {
      todo.push(entries[k]![1], new Raw(goQuote(entries[k]![0]) + ':'));
      if (k > 0) todo.push(COMMA);
    }
  }
  return out.join('');
}

/** Literal text in the work lists of goMarshal and goFormatS. */
class Raw {
  constructor(readonly text: string) {}
}
const CLOSE_BRACKET = new Raw(']');
const CLOSE_BRACE = new Raw('}');
const COMMA = new Raw(',');
const SPACE = new Raw(' ');

// ---------------------------------------------------------------------------------------------------
// Decoding: json.Unmarshal into a map[string]interface{}, as Receptor decodes a JSON command line
// (pkg/controlsvc/controlsvc.go RunControlSession), with Go's error texts.
//
// Go first checks the whole input with its scanner (src/encoding/json/scanner.go, checkValid) and only
// then decodes (decode.go), so any syntax error wins over a decoding error, and the first syntax error in
// byte order is the one reported. The decoder below is one pass of a state machine modelled on that
// scanner, building the value as it goes:
// - iterative, with an explicit stack: nesting deeper than Go's maxNestingDepth (10000) is refused with
//   Go's text (`invalid character '[' exceeded max depth`) instead of overflowing the JS stack;
// - resumable: step(n) advances through at most about n bytes and returns, so a caller can run a large
//   line in slices and let other clients be served in between (src/node/control/session.ts);
// - linear in the input: long strings, numbers and runs of blanks are scanned by tight loops and decoded
//   in pieces at UTF-8 character boundaries;
// - objects inherit nothing (their prototype is an empty object without a prototype), so client-chosen
//   keys such as `__proto__`, `constructor` or `toString` are ordinary own keys, and looking a name up
//   in a decoded object never finds something the client did not send;
// - strings are decoded as Go's unquote does: invalid UTF-8 becomes one U+FFFD per bad byte, a `\u`
//   escape of a lone surrogate becomes U+FFFD;
// - numbers are float64; one that does not fit (1e400) is Go's UnmarshalTypeError
//   (`json: cannot unmarshal number 1e400 into Go value of type float64`), reported only when the whole
//   input is syntactically valid, as Go does.

/** An error from json.Unmarshal: `message` is exactly Go's Error() text. */
export class GoJsonError extends Error {
  override name = 'GoJsonError';
  constructor(
    message: string,
    /** Byte offset where Go's scanner stopped (syntax) or the value began (type error). */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A Go json.SyntaxError. */
export class GoJsonSyntaxError extends GoJsonError {
  override name = 'GoJsonSyntaxError';
}

/** A Go json.UnmarshalTypeError (a number out of float64 range). */
export class GoJsonTypeError extends GoJsonError {
  override name = 'GoJsonTypeError';
}

/** Go's encoding/json maxNestingDepth: the deepest nesting of objects and arrays it accepts. */
export const GO_JSON_MAX_DEPTH = 10000;

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

// Contexts whose state rejects the blank Go's scanner feeds at the end of input (scanner.eof): these
// report `invalid character ' ' ...`; every other state gives `unexpected end of JSON input`.
const IN_LITERAL = 'in literal';
const SPACE_FAILS = ['in literal', 'numeric literal', 'in string escape code', 'hexadecimal character escape'];

const enum St {
  /** Expecting a value (top level, after `:`, after `,` in an array). */
  BeginValue,
  /** After `[`: a value or `]`. */
  BeginValueOrEmpty,
  /** After `{`: a key or `}`. */
  BeginKeyOrEmpty,
  /** After `,` in an object: a key. */
  BeginKey,
  /** After a key: `:`. */
  EndKey,
  /** After a value inside an object or array: `,` or the closing bracket. */
  EndValue,
  /** After the top-level value: only blanks. */
  EndTop,
  /** Inside a string (a key when `strIsKey`). */
  InString,
  /** Inside a number (sub-state in `num`). */
  InNumber,
}

const enum Num {
  /** After `-`. */
  Neg,
  /** In the digits of the integer part (after 1-9). */
  Int,
  /** After the integer part (`0`, or the digits ended): `.`, `e` or the end. */
  AfterInt,
  /** After `.`. */
  Dot,
  /** In the fraction's digits. */
  Frac,
  /** After `e`/`E`. */
  E,
  /** After the exponent's sign. */
  ESign,
  /** In the exponent's digits. */
  Exp,
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

type Container = unknown[] | Record<string, unknown>;

/**
 * The prototype of decoded objects: itself without a prototype and without properties. Objects made with
 * Object.create(JSON_OBJECT) stay in V8's fast mode (Object.create(null) objects do not, and cost about
 * 2.5 times as much to build), and nothing is inherited: `obj.constructor` is undefined unless the client
 * sent that key, and assigning `obj['__proto__']` makes an own key.
 */
const JSON_OBJECT: object = Object.create(null) as object;

/**
 * Heap bytes counted for each decoded value on top of its text (see GoJsonDecoder.values): about what V8
 * spends on a small object, a number in an array or a short key.
 */
export const GO_JSON_VALUE_COST = 48;

/** A string's decoded pieces are joined every this many, so no single join is large. */
const PARTS_PER_JOIN = 4096;

/**
 * json.Unmarshal into interface{}, one slice at a time:
 *
 *   const d = new GoJsonDecoder(bytes);
 *   while (!d.step(1 << 20)) await yieldToOthers();
 *   const value = d.result();   // or throws a GoJsonError
 */
export class GoJsonDecoder {
  private readonly b: Buffer;
  private i = 0;
  private st = St.BeginValue;
  private done = false;
  private error: GoJsonError | undefined;
  /** First UnmarshalTypeError; reported at the end if no syntax error follows (Go: d.savedError). */
  private typeError: GoJsonTypeError | undefined;
  private value: unknown;
  private count = 0;
  // Open containers, innermost last; for objects, the key whose value is being read.
  private readonly stack: Container[] = [];
  private readonly keys: string[] = [];
  private readonly isArray: boolean[] = [];
  // Current string.
  private strIsKey = false;
  private strStart = 0;
  private strSeg = 0;
  private strHigh = false;
  private strParts: string[] = [];
  private strGroups: string[] = [];
  // Current number.
  private num = Num.Neg;
  private numStart = 0;

  constructor(input: Uint8Array) {
    this.b = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.i;
  }

  /**
   * Values decoded so far (object keys included). Holding them costs about GO_JSON_VALUE_COST bytes each
   * on top of their text: a line of small values (`[{},{},...]`) takes far more memory than its length.
   */
  get values(): number {
    return this.count;
  }

  /**
   * Advances through at most about `budget` bytes (a token is never split; a long string, number or run of
   * blanks is). Returns true once the input is fully decoded or an error was found.
   */
  step(budget: number): boolean {
    if (this.done) return true;
    try {
      this.run(Math.min(this.b.length, this.i + Math.max(1, budget)));
    } catch (err) {
      if (!(err instanceof GoJsonError)) throw err;
      this.error = err;
      this.done = true;
    }
    return this.done;
  }

  /** The decoded value; throws the GoJsonError Go would return. Call once step() returned true. */
  result(): unknown {
    if (!this.done) throw new Error('GoJsonDecoder.result() before the input was decoded');
    if (this.error) throw this.error;
    if (this.typeError) throw this.typeError;
    return this.value;
  }

  private fail(context: string): never {
    if (this.i >= this.b.length) {
      // At the end Go's scanner feeds one blank (scanner.eof): states that reject it report it.
      if (!SPACE_FAILS.some((p) => context.includes(p))) throw new GoJsonSyntaxError('unexpected end of JSON input', this.i);
      throw new GoJsonSyntaxError(`invalid character ' ' ${context}`, this.i);
    }
    throw new GoJsonSyntaxError(`invalid character ${quoteChar(this.b[this.i]!)} ${context}`, this.i);
  }

  private run(lim: number): void {
    const b = this.b;
    const len = b.length;
    while (this.i < lim) {
      switch (this.st) {
        case St.BeginValue:
        case St.BeginValueOrEmpty:
        case St.BeginKeyOrEmpty:
        case St.BeginKey:
        case St.EndKey:
        case St.EndValue:
        case St.EndTop: {
          let i = this.i;
          while (i < lim && isBlank(b[i]!)) i++;
          this.i = i;
          if (i >= lim) break;
          this.token(b[i]!);
          break;
        }
        case St.InString:
          this.string(lim);
          break;
        case St.InNumber:
          this.number(lim);
          break;
      }
    }
    if (this.i >= len) this.end();
  }

  /** One non-blank byte in a between-tokens state. */
  private token(c: number): void {
    switch (this.st) {
      case St.BeginValueOrEmpty:
        if (c === 0x5d) {
          this.i++;
          this.close();
          return;
        }
        this.beginValue(c);
        return;
      case St.BeginValue:
        this.beginValue(c);
        return;
      case St.BeginKeyOrEmpty:
        if (c === 0x7d) {
          this.i++;
          this.close();
          return;
        }
        this.beginKey(c);
        return;
      case St.BeginKey:
        this.beginKey(c);
        return;
      case St.EndKey:
        if (c !== 0x3a) this.fail('after object key');
        this.i++;
        this.st = St.BeginValue;
        return;
      case St.EndValue:
        if (this.isArray[this.isArray.length - 1]) {
          if (c === 0x2c) {
            this.i++;
            this.st = St.BeginValue;
            return;
          }
          if (c === 0x5d) {
            this.i++;
            this.close();
            return;
          }
          this.fail('after array element');
        }
        if (c === 0x2c) {
          this.i++;
          this.st = St.BeginKey;
          return;
        }
        if (c === 0x7d) {
          this.i++;
          this.close();
          return;
        }
        this.fail('after object key:value pair');
      case St.EndTop:
        this.fail('after top-level value');
      default:
        throw new Error(`GoJsonDecoder: token() in state ${this.st}`);
    }
  }

  private beginKey(c: number): void {
    if (c !== 0x22) this.fail('looking for beginning of object key string');
    this.beginString(true);
  }

  private beginValue(c: number): void {
    switch (c) {
      case 0x7b: // {
      case 0x5b: {
        // Go pushes the parse state, then refuses a stack deeper than maxNestingDepth (pushParseState).
        if (this.stack.length + 1 > GO_JSON_MAX_DEPTH) this.fail('exceeded max depth');
        const arr = c === 0x5b;
        this.stack.push(arr ? [] : (Object.create(JSON_OBJECT) as Record<string, unknown>));
        this.isArray.push(arr);
        this.keys.push('');
        this.i++;
        this.st = arr ? St.BeginValueOrEmpty : St.BeginKeyOrEmpty;
        return;
      }
      case 0x22:
        this.beginString(false);
        return;
      case 0x74:
        this.literal('true', true);
        return;
      case 0x66:
        this.literal('false', false);
        return;
      case 0x6e:
        this.literal('null', null);
        return;
      default:
        if (c === 0x2d || isDigit(c)) {
          this.numStart = this.i;
          this.num = c === 0x2d ? Num.Neg : c === 0x30 ? Num.AfterInt : Num.Int;
          this.i++;
          this.st = St.InNumber;
          return;
        }
        this.fail('looking for beginning of value');
    }
  }

  /** A value is complete: store it in its container, or it is the top-level value. */
  private put(v: unknown): void {
    this.count++;
    const n = this.stack.length;
    if (n === 0) {
      this.value = v;
      this.st = St.EndTop;
      return;
    }
    const top = this.stack[n - 1]!;
    if (this.isArray[n - 1]) (top as unknown[]).push(v);
    // No prototype: `__proto__` and friends are plain keys; a repeated key keeps its last value (Go maps).
    else (top as Record<string, unknown>)[this.keys[n - 1]!] = v;
    this.st = St.EndValue;
  }

  private close(): void {
    const v = this.stack.pop();
    this.isArray.pop();
    this.keys.pop();
    this.put(v);
  }

  private literal(word: string, v: unknown): void {
    // Tokens are short: read past the slice limit rather than keep a sub-state.
    for (let k = 1; k < word.length; k++) {
      this.i++;
      if (this.b[this.i] !== word.charCodeAt(k)) this.fail(`${IN_LITERAL} ${word} (expecting '${word[k]}')`);
    }
    this.i++;
    this.put(v);
  }

  private beginString(isKey: boolean): void {
    this.i++;
    this.strIsKey = isKey;
    this.strStart = this.i;
    this.strSeg = this.i;
    this.strHigh = false;
    this.strParts = [];
    this.strGroups = [];
    this.st = St.InString;
  }

  private pushPart(part: string): void {
    this.strParts.push(part);
    if (this.strParts.length >= PARTS_PER_JOIN) {
      this.strGroups.push(this.strParts.join(''));
      this.strParts = [];
    }
  }

  /** Decodes b[strSeg, end) into the string's parts. */
  private flushSegment(end: number): void {
    if (end > this.strSeg) this.pushPart(decodeUtf8(this.b, this.strSeg, end, this.strHigh));
    this.strSeg = end;
    this.strHigh = false;
  }

  private string(lim: number): void {
    const b = this.b;
    let i = this.i;
    let high = this.strHigh;
    for (;;) {
      // Plain bytes: the hot loop.
      while (i < lim) {
        const c = b[i]!;
        if (c === 0x22 || c === 0x5c || c < 0x20) break;
        if (c >= 0x80) high = true;
        i++;
      }
      this.strHigh = high;
      if (i >= lim) {
        this.i = i;
        if (i < b.length && i - this.strSeg >= 1 << 16) {
          // Pausing in a long run: decode what was scanned up to a character boundary, so the end of a
          // long string is not one big decode and the pieces never split a UTF-8 sequence.
          let cut = i;
          if (high) while (cut > this.strSeg && cut > i - 4 && (b[cut]! & 0xc0) === 0x80) cut--;
          this.flushSegment(cut);
          this.strHigh = high = cut < i;
        }
        return;
      }
      const c = b[i]!;
      if (c === 0x22) {
        this.flushSegment(i);
        let s: string;
        if (this.strGroups.length > 0) {
          this.strGroups.push(this.strParts.join(''));
          s = this.strGroups.join('');
        } else {
          s = this.strParts.length === 1 ? this.strParts[0]! : this.strParts.join('');
        }
        this.strParts = [];
        this.strGroups = [];
        this.i = i + 1;
        if (this.strIsKey) {
          // A key costs a value too: it is a string and a slot in the object's hash table.
          this.count++;
          this.keys[this.keys.length - 1] = s;
          this.st = St.EndKey;
        } else {
          this.put(s);
        }
        return;
      }
      if (c < 0x20) {
        this.i = i;
        this.fail('in string literal');
      }
      // A backslash escape (short: decoded whole even past the slice limit).
      this.flushSegment(i);
      high = false;
      this.i = i + 1;
      const e = b[this.i];
      let out: string;
      switch (e) {
        case 0x22:
          out = '"';
          break;
        case 0x5c:
          out = '\\';
          break;
        case 0x2f:
          out = '/';
          break;
        case 0x62:
          out = '\b';
          break;
        case 0x66:
          out = '\f';
          break;
        case 0x6e:
          out = '\n';
          break;
        case 0x72:
          out = '\r';
          break;
        case 0x74:
          out = '\t';
          break;
        case 0x75: {
          const r = this.hex4();
          if (r >= 0xd800 && r <= 0xdfff) {
            // Go's unquote: a surrogate pair written as two escapes is one rune; a lone one is U+FFFD.
            const j = this.i;
            const r2 = b[j] === 0x5c && b[j + 1] === 0x75 ? peekHex4(b, j + 2) : -1;
            if (r <= 0xdbff && r2 >= 0xdc00 && r2 <= 0xdfff) {
              // The second escape is checked by the scanner loop as it goes; it is valid here.
              this.i = j + 6;
              out = String.fromCharCode(r, r2);
            } else {
              out = '\ufffd';
            }
          } else {
            out = String.fromCharCode(r);
          }
          i = this.i;
          this.pushPart(out);
          this.strSeg = i;
          continue;
        }
        default:
          this.fail('in string escape code');
      }
      this.i = i = this.i + 1;
      this.pushPart(out);
      this.strSeg = i;
    }
  }

  /** The 4 hex digits after `\u` (this.i at the `u`); leaves this.i after them. */
  private hex4(): number {
    let r = 0;
    for (let k = 0; k < 4; k++) {
      this.i++;
      const h = hexValue(this.b[this.i]);
      if (h < 0) this.fail('in \\u hexadecimal character escape');
      r = (r << 4) | h;
    }
    this.i++;
    return r;
  }

  private number(lim: number): void {
    const b = this.b;
    let i = this.i;
    for (;;) {
      switch (this.num) {
        case Num.Neg: {
          const c = b[i];
          if (c === 0x30) this.num = Num.AfterInt;
          else if (isDigit(c)) this.num = Num.Int;
          else {
            this.i = i;
            this.fail('in numeric literal');
          }
          i++;
          break;
        }
        case Num.Int:
        case Num.Frac:
        case Num.Exp: {
          while (i < lim && isDigit(b[i])) i++;
          if (i >= lim && i < b.length) {
            this.i = i;
            return;
          }
          if (this.num === Num.Exp) return this.endNumber(i);
          if (this.num === Num.Int) {
            this.num = Num.AfterInt;
            break;
          }
          // Frac: an exponent may follow.
          if (b[i] === 0x65 || b[i] === 0x45) {
            this.num = Num.E;
            i++;
            break;
          }
          return this.endNumber(i);
        }
        case Num.AfterInt: {
          const c = b[i];
          if (c === 0x2e) {
            this.num = Num.Dot;
            i++;
            break;
          }
          if (c === 0x65 || c === 0x45) {
            this.num = Num.E;
            i++;
            break;
          }
          return this.endNumber(i);
        }
        case Num.Dot:
          if (!isDigit(b[i])) {
            this.i = i;
            this.fail('after decimal point in numeric literal');
          }
          this.num = Num.Frac;
          i++;
          break;
        case Num.E: {
          const c = b[i];
          this.num = Num.ESign;
          if (c === 0x2b || c === 0x2d) i++;
          break;
        }
        case Num.ESign:
          if (!isDigit(b[i])) {
            this.i = i;
            this.fail('in exponent of numeric literal');
          }
          this.num = Num.Exp;
          i++;
          break;
      }
    }
  }

  private endNumber(end: number): void {
    this.i = end;
    const b = this.b;
    // Short integers (most numbers in a request) without the string round trip.
    let k = this.numStart;
    const neg = b[k] === 0x2d;
    if (neg) k++;
    if (end - k <= 15) {
      let n = 0;
      while (k < end && isDigit(b[k])) n = n * 10 + (b[k++]! - 0x30);
      if (k === end) {
        this.put(neg ? -n : n);
        return;
      }
    }
    const text = b.toString('latin1', this.numStart, end);
    const n = Number(text);
    // strconv.ParseFloat: out of range is an error (d.convertNumber → UnmarshalTypeError); underflow is 0.
    if (!Number.isFinite(n)) {
      this.typeError ??= new GoJsonTypeError(`json: cannot unmarshal number ${text} into Go value of type float64`, this.numStart);
    }
    this.put(Number.isFinite(n) ? n : null);
  }

  /** At the end of the input. */
  private end(): void {
    if (this.st === St.InNumber) {
      // A number ends at the end of input, unless its state rejects the blank Go feeds there.
      if (this.num === Num.Int || this.num === Num.AfterInt || this.num === Num.Frac || this.num === Num.Exp) {
        this.endNumber(this.i);
      } else {
        this.fail(this.num === Num.Neg ? 'in numeric literal' : this.num === Num.Dot ? 'after decimal point in numeric literal' : 'in exponent of numeric literal');
      }
    }
    if (this.st !== St.EndTop) this.fail('looking for beginning of value');
    this.done = true;
  }
}

function peekHex4(b: Buffer, at: number): number {
  let r = 0;
  for (let k = 0; k < 4; k++) {
    const h = hexValue(b[at + k]);
    if (h < 0) return -1;
    r = (r << 4) | h;
  }
  return r;
}

/**
 * b[start, end) as Go's unquote turns bytes into a string: valid UTF-8 as is, each byte of an invalid
 * sequence as U+FFFD (utf8.DecodeRune returns size 1). Node's decoder replaces a whole truncated sequence
 * with one U+FFFD (WHATWG), so it is used only when it found nothing to replace.
 */
function decodeUtf8(b: Buffer, start: number, end: number, high: boolean): string {
  if (!high) {
    // Short ASCII strings (keys, most values) are cheaper built here than through a call into Buffer.
    if (end - start <= 12) {
      let s = '';
      for (let k = start; k < end; k++) s += String.fromCharCode(b[k]!);
      return s;
    }
    return b.toString('latin1', start, end);
  }
  const s = b.toString('utf8', start, end);
  if (!s.includes('\ufffd')) return s;
  const out: string[] = [];
  let runStart = start;
  let i = start;
  const flush = (to: number): void => {
    if (to > runStart) out.push(b.toString('utf8', runStart, to));
  };
  while (i < end) {
    const n = validSequenceLength(b, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    flush(i);
    out.push('\ufffd');
    i++;
    runStart = i;
  }
  flush(end);
  return out.join('');
}

/** Length of the valid UTF-8 sequence at b[i] (Go's utf8.DecodeRune acceptance ranges), or 0. */
function validSequenceLength(b: Buffer, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0;
    else if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90;
    else if (c === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > end) return 0;
  const c1 = b[i + 1]!;
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  return n;
}

/**
 * json.Unmarshal into interface{} in one go: the value, or the GoJsonError Go returns. Objects have no
 * prototype; numbers are float64.
 */
export function goUnmarshal(input: string | Uint8Array): unknown {
  const d = new GoJsonDecoder(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  d.step(Infinity);
  return d.result();
}

/**
 * fmt.Sprintf("%s", v) for a value decoded from JSON, as Receptor's error messages print it
 * (`%!s(bool=true)`, `%!s(<nil>)`, `%!s(float64=1.5)`, `[a b]`, `map[k:v]` with sorted keys). Iterative:
 * the value may be nested as deep as the decoder allows.
 */
export function goFormatS(v: unknown): string {
  const out: string[] = [];
  const todo: unknown[] = [v];
  while (todo.length > 0) {
    const x = todo.pop();
    if (x instanceof Raw) {
      out.push(x.text);
      continue;
    }
    if (x === null || x === undefined) out.push('%!s(<nil>)');
    else if (typeof x === 'string') out.push(x);
    else if (typeof x === 'boolean') out.push(`%!s(bool=${x})`);
    else if (typeof x === 'number') out.push(`%!s(float64=${goFormatG(x)})`);
    else if (Array.isArray(x)) {
      todo.push(CLOSE_BRACKET);
      for (let k = x.length - 1; k >= 0; k--) {
        todo.push(x[k]);
        if (k > 0) todo.push(SPACE);
      }
      out.push('[');
    } else {
      const entries = Object.entries(x as Record<string, unknown>).sort((a, b) => byteCompare(a[0], b[0]));
      todo.push(CLOSE_BRACKET);
      for (let k = entries.length - 1; k >= 0; k--) {
        todo.push(entries[k]![1], new Raw(`${entries[k]![0]}:`));
        if (k > 0) todo.push(SPACE);
      }
      out.push('map[');
    }
  }
  return out.join('');
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
