// meshctl's own version. The CLI bundle has it compiled in (scripts/bundle-cli.mjs defines
// __MESHCTL_VERSION__), so start-up reads no file; unbundled (tests, the library) it comes from package.json.
import { readFileSync } from 'node:fs';

declare const __MESHCTL_VERSION__: string | undefined;

let cached: string | undefined;

export function meshctlVersion(): string {
  if (cached === undefined) {
    if (typeof __MESHCTL_VERSION__ === 'string') {
      cached = __MESHCTL_VERSION__;
    } else {
      try {
        const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
        cached = String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown');
      } catch {
        cached = 'unknown';
      }
    }
  }
  return cached;
}
