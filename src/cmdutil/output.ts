// Output formats every data command shares: `--json`, `--yaml`, `--query EXPR`, or the human rendering (table on
// a terminal, tab-separated lines when piped; `--wide` keeps tables whole). The flags are defined once
// (src/cli/define/common.ts `leaf`, `structured` and `table`); the choice is made here, so every command refuses
// the same combinations with the same words.
import { UsageError } from '../errors.js';
import type { OutputFormat } from '../render/structured.js';

export type { OutputFormat } from '../render/structured.js';

export interface StructuredFlags {
  json?: boolean;
  yaml?: boolean;
  /** A JMESPath expression applied to the command's data; its result is printed as JSON (or YAML with --yaml). */
  query?: string;
  /** Tables show every column whole instead of fitting the terminal. */
  wide?: boolean;
}

/** --json / --yaml / neither; --query means JSON unless --yaml is given. Both formats at once is a usage error. */
export function outputFormat(flags: StructuredFlags): OutputFormat {
  if (flags.json && flags.yaml) throw new UsageError('--json and --yaml cannot be used together');
  const format = flags.json || (flags.query !== undefined && !flags.yaml) ? 'json' : flags.yaml ? 'yaml' : 'human';
  if (flags.wide && format !== 'human') {
    throw new UsageError(`--wide only applies to tables, not to ${flags.query !== undefined ? '--query' : `--${format}`} output`);
  }
  return format;
}

/**
 * How a --query result is printed. gh's --jq prints a string result raw (jq -r): a lone string (an ID, a state)
 * is written as its text and a newline, so `$(meshctl work list --query '[0].id')` needs no unquoting. Asked for
 * with --json or --yaml, or when the result is anything else, it is one JSON (YAML) document.
 */
export function rawQueryString(flags: StructuredFlags, result: unknown): result is string {
  return typeof result === 'string' && !flags.json && !flags.yaml;
}
