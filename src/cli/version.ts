// meshctl's own version, read from package.json next to dist/ (and src/, under the test runner).
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function meshctlVersion(): string {
  if (cached === undefined) {
    try {
      const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
      cached = String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown');
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
