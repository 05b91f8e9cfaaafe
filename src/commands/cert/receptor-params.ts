// Receptor's own spelling of the certificate commands: `receptor --cert-makereq bits=2048
// commonname=x dnsname=a dnsname=b outreq=... outkey=...`. meshctl accepts the same key=value words as
// positional arguments and folds them into the flag options. Matching follows ghjm/cmdline (Receptor's
// parser, cmdline.go setValue/betterParseBool): keys are case-insensitive, a repeated key appends to a list,
// a list value may also be a JSON array (`dnsname=["a","b"]`), booleans take Go's spellings.
import { UsageError } from '../../errors.js';

export type ParamKind = 'string' | 'bool' | 'list';

export interface ParamSpec {
  /** Receptor's key, lower case: 'commonname'. */
  key: string;
  /** Property in the options object: 'commonName'. */
  option: string;
  /** The equivalent flag, for messages: '--common-name'. */
  flag: string;
  kind: ParamKind;
}

const TRUE = new Set(['1', 't', 'y', 'true', 'yes']);
const FALSE = new Set(['0', 'f', 'n', 'false', 'no']);

export function parseGoBool(value: string, what: string): boolean {
  const v = value.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new UsageError(`invalid boolean '${value}' for ${what}`, { hint: 'use yes/no, true/false or 1/0' });
}

function listValues(value: string, key: string): string[] {
  if (!value.startsWith('[')) return [value];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`invalid list '${value}' for ${key}=`, { hint: `repeat the key (${key}=a ${key}=b) or give a JSON array` });
  }
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
    throw new UsageError(`invalid list '${value}' for ${key}=`, { hint: 'a JSON array of strings, e.g. ["a","b"]' });
  }
  return parsed;
}

/**
 * Folds `key=value` words into `options` (which already holds the flags). A key given both ways with
 * different values is an error; list keys add to the flag's list.
 */
export function applyReceptorParams(
  command: string,
  params: readonly string[] | undefined,
  specs: readonly ParamSpec[],
  options: Record<string, unknown>,
): void {
  const valid = specs.map((s) => `${s.key}=`).join(' ');
  const fromParams = new Set<string>();
  for (const param of params ?? []) {
    const eq = param.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(`unexpected argument '${param}'`, { hint: `use flags (see --help) or Receptor's key=value words: ${valid}` });
    }
    const key = param.slice(0, eq).toLowerCase();
    const value = param.slice(eq + 1);
    const spec = specs.find((s) => s.key === key);
    if (!spec) {
      throw new UsageError(`unknown parameter '${param.slice(0, eq)}' for cert ${command}`, { hint: `valid parameters: ${valid}` });
    }
    if (spec.kind === 'list') {
      const prev = (options[spec.option] as string[] | undefined) ?? [];
      options[spec.option] = [...prev, ...listValues(value, key)];
      continue;
    }
    const parsed = spec.kind === 'bool' ? parseGoBool(value, `${key}=`) : value;
    const prev = options[spec.option];
    if (prev !== undefined && prev !== parsed) {
      const other = fromParams.has(spec.key) ? `${key}=${String(prev)}` : `${spec.flag} ${String(prev)}`;
      throw new UsageError(`conflicting values for ${key}: '${value}' and ${other}`, { hint: 'give each parameter once' });
    }
    options[spec.option] = parsed;
    fromParams.add(spec.key);
  }
}

/**
 * True when the command line uses Receptor's key=value spelling (any key=value word). Then meshctl does what
 * `receptor --cert-*` does, so scripts written for it run unchanged, also on their second run:
 * - outputs are overwritten: Receptor writes them with os.WriteFile (pkg/certificates/ca.go, OsWrapper.WriteFile
 *   via SaveToPEMFile), which truncates an existing file;
 * - signreq without verify=yes reads its answer from stdin whatever stdin is (cli.go SignReq: fmt.Scanln), so
 *   `echo yes | ...` signs.
 * The flag spelling keeps meshctl's own rules: --force to overwrite, a terminal (or --yes) to sign.
 */
export function receptorSpelling(params: readonly string[] | undefined): boolean {
  return (params?.length ?? 0) > 0;
}
