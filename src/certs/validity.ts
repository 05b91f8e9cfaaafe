// Validity periods. Receptor (pkg/certificates/ca.go) starts certificates "now" and ends a CA after 10
// years (CreateCA) and an issued certificate after 1 year (SignCertReq), adding calendar years.
import { UsageError } from '../errors.js';

export const CA_VALIDITY_YEARS = 10;
export const CERT_VALIDITY_YEARS = 1;

/** Certificates carry whole seconds: drop milliseconds so what we return equals what is encoded. */
function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function addYears(d: Date, years: number): Date {
  const out = new Date(d.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

export function validity(
  notBefore: Date | undefined,
  notAfter: Date | undefined,
  defaultYears: number,
  now: Date = new Date(),
): { notBefore: Date; notAfter: Date } {
  // As Receptor, a default end is counted from now, not from an explicit start.
  const start = wholeSeconds(notBefore ?? now);
  const end = wholeSeconds(notAfter ?? addYears(now, defaultYears));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw new UsageError('invalid validity date');
  if (end.getTime() <= start.getTime()) {
    throw new UsageError(`not-after '${end.toISOString()}' is not later than not-before '${start.toISOString()}'`, {
      hint: 'pick an end date after the start date',
    });
  }
  return { notBefore: start, notAfter: end };
}
