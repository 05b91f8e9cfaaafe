// Output formats every data command shares: `--json`, `--yaml`, or the human rendering (table on a terminal,
// tab-separated lines when piped). The flags are defined once (src/cli/define/common.ts `leaf`, `structured`);
// the choice is made here, so every command refuses the same combinations with the same words.
import { UsageError } from '../errors.js';
import type { OutputFormat } from '../render/structured.js';

export type { OutputFormat } from '../render/structured.js';

export interface StructuredFlags {
  json?: boolean;
  yaml?: boolean;
}

/** --json / --yaml / neither. Both at once is a usage error. */
export function outputFormat(flags: StructuredFlags): OutputFormat {
  if (flags.json && flags.yaml) throw new UsageError('--json and --yaml cannot be used together');
  return flags.json ? 'json' : flags.yaml ? 'yaml' : 'human';
}
