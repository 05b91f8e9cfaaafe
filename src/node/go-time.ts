// time.Time as Go's encoding/json writes it (RFC 3339 with up to nine fractional digits, trailing zeros
// dropped, `Z` for UTC or the local offset), for the `Time` of advertisements in `status`.

/** Now as nanoseconds since the epoch (wall clock with the monotonic clock's sub-millisecond part). */
function nowNs(): bigint {
  const origin = BigInt(Math.round(performance.timeOrigin * 1e6));
  return origin + BigInt(Math.round(performance.now() * 1e6));
}

export function goTimeString(ns: bigint = nowNs()): string {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const offMin = -d.getTimezoneOffset();
  const local = new Date(ms + offMin * 60_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  let frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  if (frac !== '') frac = '.' + frac;
  const base =
    `${p(local.getUTCFullYear(), 4)}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())}` +
    `T${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())}${frac}`;
  if (offMin === 0) return base + 'Z';
  const sign = offMin > 0 ? '+' : '-';
  const abs = Math.abs(offMin);
  return `${base}${sign}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}
