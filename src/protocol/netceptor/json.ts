// Decoding the JSON bodies of netceptor messages as receptor's json.Unmarshal into a struct would, without
// losing integers: UpdateEpoch is a uint64 near 2^54 (netceptor.go NewWithConsts: unix seconds × 2^24 plus
// a random 24-bit number), beyond what a JS number holds exactly. So numbers stay as their source text
// until a field's type says what they are.
//
// Go rules kept (encoding/json decode.go): a key matches a struct field exactly or, failing that, without
// regard to case; unknown keys are ignored; a repeated key's last value wins; `null` leaves a field at its
// zero value. Not kept: Go's exact error texts (these errors go to a log line, not to a client).

/** A JSON number, kept as its text. */
export class JsonNumber {
  constructor(readonly raw: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

/** A netceptor message body that does not decode. */
export class NetceptorDecodeError extends Error {
  override name = 'NetceptorDecodeError';
  readonly code = 'NETCEPTOR_DECODE';
}

/** Parses JSON text (one value, blanks around it) keeping numbers as JsonNumber and objects prototype-free. */
export function parseJsonLossless(text: string): JsonValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new NetceptorDecodeError(`invalid JSON at offset ${i}: ${what}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (depth: number): JsonValue => {
    if (depth > 1000) fail('nested too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = Object.create(null) as Record<string, JsonValue>;
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key string');
        const k = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        obj[k] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    for (const [lit, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
    i += m[0].length;
    return new JsonNumber(m[0]);
  };
  const str = (): string => {
    const start = i;
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in string');
      i += c === 0x5c ? 2 : 1;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('bad escape in string');
    }
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('data after the value');
  return v;
}

/** The value of struct field `field` in a decoded object, matched as Go does (exact, else case-folded; last wins). */
export function goField(obj: Record<string, JsonValue>, field: string): JsonValue | undefined {
  let found: JsonValue | undefined;
  const folded = field.toLowerCase();
  for (const k of Object.keys(obj)) {
    if (k === field || k.toLowerCase() === folded) found = obj[k];
  }
  return found;
}

export function asObject(v: JsonValue | undefined, what: string): Record<string, JsonValue> {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || v instanceof JsonNumber) {
    throw new NetceptorDecodeError(`${what}: expected a JSON object, got ${describe(v)}`);
  }
  return v;
}

export function asString(v: JsonValue | undefined, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new NetceptorDecodeError(`${what}: expected a string, got ${describe(v)}`);
  return v;
}

export function asBool(v: JsonValue | undefined, what: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new NetceptorDecodeError(`${what}: expected a boolean, got ${describe(v)}`);
  return v;
}

/** A Go uint64 field: an integer literal in 0..2^64-1 (Go refuses 1.0, -1 and 1e3 here). */
export function asUint64(v: JsonValue | undefined, what: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (!(v instanceof JsonNumber) || !/^(0|[1-9]\d*)$/.test(v.raw)) throw new NetceptorDecodeError(`${what}: expected a uint64, got ${describe(v)}`);
  const n = BigInt(v.raw);
  if (n >= 1n << 64n) throw new NetceptorDecodeError(`${what}: ${v.raw} overflows uint64`);
  return n;
}

/** A Go byte (uint8) field. */
export function asByte(v: JsonValue | undefined, what: string): number {
  const n = asUint64(v, what);
  if (n > 255n) throw new NetceptorDecodeError(`${what}: ${n} overflows uint8`);
  return Number(n);
}

/** A Go float64 field. */
export function asFloat(v: JsonValue | undefined, what: string): number {
  if (v === undefined || v === null) return 0;
  if (!(v instanceof JsonNumber)) throw new NetceptorDecodeError(`${what}: expected a number, got ${describe(v)}`);
  const n = Number(v.raw);
  if (!Number.isFinite(n)) throw new NetceptorDecodeError(`${what}: ${v.raw} overflows float64`);
  return n;
}

function describe(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (v instanceof JsonNumber) return `number ${v.raw}`;
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}
