// Value coercion as ghjm/cmdline's setValue does it for Receptor's YAML (cmdline.go): YAML scalars of
// another type are converted when Go's reflect allows it, strings are parsed for numbers and booleans
// (ints with strconv.ParseInt base 0, so "0600" is octal and "0x1f" hex), lists and maps may be written as
// JSON strings. Each function returns the value or throws a CoerceError whose message is Go's text.
import type { FieldType } from './schema.js';

export class CoerceError extends Error {
  override name = 'CoerceError';
}

const quote = (s: string): string => JSON.stringify(s);

/** strconv.ParseInt(s, 0, 64). */
export function parseGoInt(s: string): number {
  const syntax = (): never => {
    throw new CoerceError(`strconv.ParseInt: parsing ${quote(s)}: invalid syntax`);
  };
  let rest = s;
  let neg = false;
  if (rest.startsWith('+') || rest.startsWith('-')) {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  let base = 10;
  let prefixed = false;
  if (/^0[xX]/.test(rest)) {
    base = 16;
    rest = rest.slice(2);
    prefixed = true;
  } else if (/^0[oO]/.test(rest)) {
    base = 8;
    rest = rest.slice(2);
    prefixed = true;
  } else if (/^0[bB]/.test(rest)) {
    base = 2;
    rest = rest.slice(2);
    prefixed = true;
  } else if (rest.length > 1 && rest[0] === '0') {
    base = 8;
    rest = rest.slice(1);
    prefixed = true;
  }
  // Base 0 allows underscores between digits and right after a prefix (strconv underscoreOK).
  const digit = { 2: '[01]', 8: '[0-7]', 10: '[0-9]', 16: '[0-9a-fA-F]' }[base as 2 | 8 | 10 | 16];
  const re = new RegExp(`^${prefixed ? '_?' : ''}${digit}+(_${digit}+)*$`);
  if (rest === '' || !re.test(rest)) syntax();
  const value = BigInt(
    (base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '') + rest.replace(/_/g, '').replace(/^_/, ''),
  );
  const signed = neg ? -value : value;
  if (signed > 9223372036854775807n || signed < -9223372036854775808n) {
    throw new CoerceError(`strconv.ParseInt: parsing ${quote(s)}: value out of range`);
  }
  return Number(signed);
}

/** strconv.ParseFloat(s, 64) for the forms people write (decimal, exponent, inf, nan). */
export function parseGoFloat(s: string): number {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return Number.NaN;
  if (/^[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d+)?$/.test(s)) return Number(s.replace(/_/g, ''));
  throw new CoerceError(`strconv.ParseFloat: parsing ${quote(s)}: invalid syntax`);
}

/** cmdline's betterParseBool. */
export function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'Y', 'true', 'TRUE', 'True', 'yes', 'Yes', 'YES'].includes(s)) return true;
  if (['0', 'f', 'F', 'N', 'false', 'FALSE', 'False', 'no', 'No', 'NO'].includes(s)) return false;
  throw new CoerceError(`could not parse ${s} as boolean`);
}

const GO_TYPE: Record<FieldType, string> = {
  string: 'string',
  int: 'int',
  float: 'float64',
  bool: 'bool',
  stringList: '[]string',
  floatMap: 'map[string]float64',
  stringMap: 'map[string]string',
  mapList: '[]netceptor.FirewallRuleData',
};

function typeError(type: FieldType): never {
  throw new CoerceError(`type error (expected ${GO_TYPE[type]})`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Coerces one YAML value (as the `yaml` package gives it with the YAML 1.1 schema, like Go's yaml.v2) to a
 * field type. `existing` is the field's current value: a plain string appended to a list field adds one item.
 */
export function coerceValue(type: FieldType, value: unknown, existing?: unknown): unknown {
  if (value === null || value === undefined) {
    if (type === 'stringList' || type === 'floatMap' || type === 'stringMap' || type === 'mapList') return undefined;
    throw new CoerceError('value cannot be nil');
  }
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(6);
      if (typeof value === 'boolean') return String(value);
      return typeError(type);
    case 'int':
      if (typeof value === 'number') return Math.trunc(value);
      if (typeof value === 'string') return parseGoInt(value);
      return typeError(type);
    case 'float':
      if (typeof value === 'number') return value;
      if (typeof value === 'string') return parseGoFloat(value);
      return typeError(type);
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') return parseGoBool(value);
      return typeError(type);
    case 'stringList': {
      let list: unknown = value;
      if (typeof value === 'string' && value.startsWith('[')) list = parseJson(value);
      if (Array.isArray(list)) {
        return list.map((item) => {
          if (typeof item !== 'string') throw new CoerceError(`invalid value ${String(item)}: must be type string`);
          return item;
        });
      }
      if (typeof value === 'string') return [...((existing as string[] | undefined) ?? []), value];
      return typeError(type);
    }
    case 'floatMap': {
      let map: unknown = value;
      if (typeof value === 'string' && value.startsWith('{')) map = parseJson(value);
      if (!isPlainObject(map)) return typeError(type);
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(map)) {
        if (typeof v !== 'number') throw new CoerceError(`invalid value ${String(v)}: must be type float64`);
        out[k] = v;
      }
      return out;
    }
    case 'stringMap': {
      // pyroscope-client's tags and httpheaders (map[string]string).
      let map: unknown = value;
      if (typeof value === 'string' && value.startsWith('{')) map = parseJson(value);
      if (!isPlainObject(map)) return typeError(type);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(map)) {
        if (typeof v !== 'string') throw new CoerceError(`invalid value ${String(v)}: must be type string`);
        out[k] = v;
      }
      return out;
    }
    case 'mapList': {
      // node firewallrules ([]netceptor.FirewallRuleData). cmdline converts each item with a type assertion: a
      // YAML map passes, anything else fails, and so does every map of a JSON string (the command-line form),
      // which decodes as map[string]interface{}: receptor 1.6.5 cannot take firewall rules on its command line.
      let list: unknown = value;
      const fromJson = typeof value === 'string' && value.startsWith('[');
      if (fromJson) list = parseJson(value);
      if (!Array.isArray(list)) return typeError(type);
      return list.map((item) => {
        if (!isPlainObject(item) || fromJson) throw new CoerceError(`invalid value ${goPercentS(item)}: must be type ${GO_TYPE.mapList.slice(2)}`);
        return item;
      });
    }
  }
}

/** fmt's %s of a decoded JSON value, as cmdline's "invalid value %s" shows it (`map[action:foo]`). */
function goPercentS(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return `%!s(float64=${v})`;
  if (typeof v === 'boolean') return `%!s(bool=${v})`;
  if (v === null) return '%!s(<nil>)';
  if (Array.isArray(v)) return `[${v.map(goPercentS).join(' ')}]`;
  if (isPlainObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goPercentS(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CoerceError((err as Error).message);
  }
}
