// Receptor's command-line form of its v1 configuration: `receptor --node id=foo --tcp-listener port=0 cost=2
// --control-service filename=/tmp/s.sock -c extra.yaml`. Read the way ghjm/cmdline's ParseAndRun (v0.1.2,
// cmdline.go) reads it for cmd/receptor-cl, so the same words mean the same node:
// - a word starting with `-` or `--` starts a section; its name is matched case-insensitively (ParseAndRun
//   lower-cases the word); sections may repeat unless they are singletons;
// - the words after it are its parameters: `key=value` (split at the first `=`, key case-insensitive, the
//   value a string coerced like YAML strings: `cost=2.5`, `redial=false`, `permissions=0660`, a list as a
//   JSON string or one item per word), or a bare word for the section's "barevalue" field (`--node foo`);
// - `--config FILE` / `-c FILE` reads a YAML file and adds its sections at that point (the file and the
//   command line merge; the same singleton rule holds across both);
// - a parameter before any section is an error ("parameter specified before command").
// The result is the same RawEntry list the YAML reader gives, so parse.ts checks both alike and messages
// name the word instead of a file line: `argv: --tcp-listener: unknown key 'prot'`.
import { MeshctlError } from '../errors.js';
import {
  buildConfig,
  canonicalJson,
  checkEntries,
  configError,
  readConfigEntries,
  type ParseConfigOptions,
  type RawEntry,
} from './parse.js';
import type { NodeConfig } from './types.js';

/** meshctl node's own flags (src/cli/global-options.ts), refused with a hint when they follow a section. */
const MESHCTL_OPTIONS: ReadonlySet<string> = new Set(['--debug', '--no-color']);

/** The source name messages use for command-line entries. */
export const ARGV_SOURCE = 'argv';

/** One step of a command line: YAML entries from a file, or a section written as words. */
export type ArgvPart = { kind: 'file'; file: string } | { kind: 'entry'; entry: RawEntry };

/** Splits receptor-style words into sections and `--config` files, without reading any file. */
export function splitNodeArgs(words: readonly string[]): ArgvPart[] {
  const parts: ArgvPart[] = [];
  let current: RawEntry | undefined;
  let configWord: string | undefined;
  let ordinal = 0;
  const seal = (): void => {
    if (current) current.canonical = canonicalJson({ [current.name]: current.params.map(([k, v]) => [k, v]) });
    current = undefined;
  };
  for (const word of words) {
    if (configWord !== undefined) {
      if (word.startsWith('-')) {
        throw configError({ file: ARGV_SOURCE, label: `${ARGV_SOURCE}: ${configWord}` }, 'needs a file name', `write "${configWord} FILE"`);
      }
      parts.push({ kind: 'file', file: word });
      configWord = undefined;
      continue;
    }
    if (word.startsWith('-')) {
      seal();
      const name = word.toLowerCase().replace(/^--?/, '');
      if (name === 'config' || name === 'c') {
        configWord = word;
        continue;
      }
      if (MESHCTL_OPTIONS.has(word)) {
        // Commander stops reading meshctl's options at the first section (passThroughOptions), so this one
        // arrived here; receptor has no such section.
        throw configError(
          { file: ARGV_SOURCE, label: `${ARGV_SOURCE}: ${word}` },
          `'${word}' is meshctl's option, not a receptor section`,
          `put meshctl's own options before the first section: meshctl node ${word} --node ...`,
        );
      }
      ordinal += 1;
      current = {
        name,
        params: [],
        where: { file: ARGV_SOURCE, index: ordinal, section: name, label: `${ARGV_SOURCE}: ${word}` },
        canonical: '',
        argv: true,
      };
      parts.push({ kind: 'entry', entry: current });
      continue;
    }
    if (!current) {
      throw configError(
        { file: ARGV_SOURCE, label: `${ARGV_SOURCE}: '${word}'` },
        'a parameter before any section',
        'start with a section, e.g. "--node id=NAME"',
      );
    }
    const eq = word.indexOf('=');
    if (eq < 0) current.params.push([null, word, undefined]);
    else current.params.push([word.slice(0, eq), word.slice(eq + 1), undefined]);
  }
  seal();
  if (configWord !== undefined) {
    throw configError({ file: ARGV_SOURCE, label: `${ARGV_SOURCE}: ${configWord}` }, 'needs a file name', `write "${configWord} FILE"`);
  }
  return parts;
}

/**
 * Reads a receptor-style command line (the words after `meshctl node`) into a NodeConfig, with the checks and
 * messages of parseConfig. `--config` files are read in order. Throws MeshctlError EBADCONFIG (or EBADFILE for a
 * file that cannot be read).
 */
export async function loadNodeArgs(words: readonly string[], options: Omit<ParseConfigOptions, 'file'> = {}): Promise<NodeConfig> {
  const parts = splitNodeArgs(words);
  if (parts.length === 0) {
    throw new MeshctlError('EBADCONFIG', `${ARGV_SOURCE}: no sections given`, {
      hint: 'give -c FILE, or receptor-style sections such as "--node id=NAME --control-service filename=SOCK"',
      data: { file: ARGV_SOURCE },
    });
  }
  const entries: RawEntry[] = [];
  for (const part of parts) {
    if (part.kind === 'entry') entries.push(part.entry);
    else entries.push(...(await readConfigEntries(part.file)));
  }
  return buildConfig(checkEntries(entries), { ...options, file: ARGV_SOURCE, argv: true });
}
