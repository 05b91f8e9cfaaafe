// time.Time as Go's encoding/json writes it (RFC 3339 with up to nine fractional digits, trailing zeros
// dropped, `Z` for UTC or the local offset), for the `Time` of advertisements in `status`.

/** Now as nanoseconds since the epoch (wall clock with the monotonic clock's sub-millisecond part). */
function nowNs(): bigint {
  const origin = BigInt(Math.round(performance.timeOrigin * 1e6));
  return origin + BigInt(Math.round(performance.now() * 1e6));
}

/** The parts Go prints of a time in the local zone: date, clock with Go's fraction, and the offset in minutes. */
export function goLocalParts(ns: bigint): { date: string; clock: string; offMin: number; pad: (n: number, w?: number) => string; at: Date } {
  const ms = Number(ns / 1_000_000n);
  const at = new Date(ms);
  const offMin = -at.getTimezoneOffset();
  const local = new Date(ms + offMin * 60_000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  // Go's layouts use .999999999: trailing zeros of the fraction are dropped.
  let frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  if (frac !== '') frac = '.' + frac;
  return {
    date: `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`,
    clock: `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${frac}`,
    offMin,
    pad,
    at,
  };
}

export function goTimeString(ns: bigint = nowNs()): string {
  const { date, clock, offMin, pad } = goLocalParts(ns);
  const base = `${date}T${clock}`;
  if (offMin === 0) return base + 'Z';
  const sign = offMin > 0 ? '+' : '-';
  const abs = Math.abs(offMin);
  return `${base}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
