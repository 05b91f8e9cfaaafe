// --not-before / --not-after values: RFC 3339 times, as Receptor's cert commands take them
// (pkg/certificates/cli.go parses them with time.RFC3339).
import { UsageError } from '../../errors.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseTime(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = RFC3339.test(value) ? Date.parse(value.toUpperCase()) : NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`invalid ${flag} '${value}': not an RFC 3339 time`, { hint: 'e.g. 2030-01-31T00:00:00Z or 2030-01-31T09:00:00+02:00' });
  }
  return new Date(ms);
}

/** RFC 3339 in UTC without milliseconds: 2030-01-31T00:00:00Z. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function parseBits(value: string | number | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n)) throw new UsageError(`invalid ${flag} '${value}'`, { hint: 'a number of bits, e.g. 2048' });
  return n;
}
