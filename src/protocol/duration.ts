// Go time.Duration text: Receptor prints ping/traceroute times with Duration.String() (`38.612µs`, `1.2ms`,
// `10.0001s`, `1h0m0s`) and parses `ttl` / `tokenexpiration` with time.ParseDuration, whose error texts
// (`time: invalid duration "x"`) reach clients verbatim. Both follow Go's src/time/format.go and time.go.
// Durations are int64 nanoseconds in Go: bigint here keeps them exact.

const NS = 1n;
const US = 1000n;
const MS = 1_000_000n;
const S = 1_000_000_000n;
const MIN = 60n * S;
const H = 60n * MIN;
const MAX_U = 1n << 63n;

const UNITS: Record<string, bigint> = {
  ns: NS,
  us: US,
  'µs': US, // U+00B5 micro sign
  'μs': US, // U+03BC Greek mu
  ms: MS,
  s: S,
  m: MIN,
  h: H,
};

/** A time.ParseDuration failure; `message` is Go's error text. */
export class GoDurationError extends Error {
  override name = 'GoDurationError';
}

// time.quote: ASCII printable kept (with `"` and `\` escaped), every other byte as \xNN.
function goTimeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += '\\x' + b.toString(16).padStart(2, '0');
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return out + '"';
}

function fail(message: string, orig: string): never {
  throw new GoDurationError(`time: ${message} ${goTimeQuote(orig)}`);
}

/** time.ParseDuration: nanoseconds as a bigint, or a GoDurationError with Go's message. */
export function parseGoDuration(input: string): bigint {
  const orig = input;
  let s = input;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') fail('invalid duration', orig);
  let d = 0n;
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) fail('invalid duration', orig);
    // [0-9]*
    let i = 0;
    let v = 0n;
    while (i < s.length && isDigit(s[i])) {
      if (v > MAX_U / 10n) fail('invalid duration', orig);
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > MAX_U) fail('invalid duration', orig);
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    // (\.[0-9]*)?
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (j < s.length && isDigit(s[j])) {
        if (!overflow) {
          if (f > (MAX_U - 1n) / 10n) overflow = true;
          else {
            const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
            if (y > MAX_U) overflow = true;
            else {
              f = y;
              scale *= 10;
            }
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) fail('invalid duration', orig);
    // unit: everything up to the next digit or '.'
    let u = 0;
    while (u < s.length && s[u] !== '.' && !isDigit(s[u])) u++;
    if (u === 0) fail('missing unit in duration', orig);
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = UNITS[unitName];
    if (unit === undefined) fail(`unknown unit ${goTimeQuote(unitName)} in duration`, orig);
    if (v > MAX_U / unit) fail('invalid duration', orig);
    v *= unit;
    if (f > 0n) {
      // Go computes this part in float64 (exact to the nanosecond for hours) and truncates.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX_U) fail('invalid duration', orig);
    }
    d += v;
    if (d > MAX_U) fail('invalid duration', orig);
  }
  if (neg) return -d;
  if (d > MAX_U - 1n) fail('invalid duration', orig);
  return d;
}

/** parseGoDuration in milliseconds (a JS number; sub-millisecond parts are kept as fractions). */
export function parseGoDurationMs(input: string): number {
  return Number(parseGoDuration(input)) / 1e6;
}

// fmtFrac: the fraction of v / 10**prec without trailing zeros (no '.' when it is zero); returns the
// text and v / 10**prec.
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let out = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) out = digit.toString() + out;
    v /= 10n;
  }
  if (print) out = '.' + out;
  return [out, v];
}

/** Duration.String(): `0s`, `1ns`, `1.001µs` (µ is U+00B5), `1.2ms`, `10.0001s`, `1h0m0s`. */
export function formatGoDuration(nanoseconds: bigint | number): string {
  let d = typeof nanoseconds === 'bigint' ? nanoseconds : BigInt(Math.trunc(nanoseconds));
  // Go's Duration is an int64: wrap like Go would (only reachable with out-of-range input).
  d = BigInt.asIntN(64, d);
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < S) {
    if (u === 0n) return '0s';
    let prec: number;
    let unit: string;
    if (u < US) {
      prec = 0;
      unit = 'ns';
    } else if (u < MS) {
      prec = 3;
      unit = '\u00b5s';
    } else {
      prec = 6;
      unit = 'ms';
    }
    const [frac, whole] = fmtFrac(u, prec);
    out = whole.toString() + frac + unit;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    u = secs;
    out = (u % 60n).toString() + frac + 's';
    u /= 60n;
    if (u > 0n) {
      out = (u % 60n).toString() + 'm' + out;
      u /= 60n;
      if (u > 0n) out = u.toString() + 'h' + out;
    }
  }
  return neg ? '-' + out : out;
}
