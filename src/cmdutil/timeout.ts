// Duration options (`--timeout`, `--reconnect-timeout`): a Go duration (5s, 500ms, 1m30s) or a bare number of
// seconds. 0 turns the limit off.
import { UsageError } from '../errors.js';
import { parseGoDurationMs } from '../protocol/duration.js';

export function parseDurationOption(flag: string, text: string): number {
  const hint = 'give a duration such as 5s, 500ms or 1m30s (a bare number is seconds)';
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text) * 1000);
  let ms: number;
  try {
    ms = parseGoDurationMs(text.trim());
  } catch (err) {
    throw new UsageError(`invalid ${flag} '${text}': ${(err as Error).message}`, { hint, cause: err });
  }
  if (ms < 0) throw new UsageError(`invalid ${flag} '${text}': negative`, { hint });
  return Math.ceil(ms);
}

export function parseTimeout(text: string): number {
  return parseDurationOption('--timeout', text);
}
