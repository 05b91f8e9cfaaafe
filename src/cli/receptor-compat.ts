// Receptor mode: `meshctl node --receptor-compat WORDS...`, what the launcher written by `meshctl node
// install-launcher DIR` (src/commands/node/install-launcher.ts) runs when a suite calls `receptor`. The mode is
// explicit (a flag the launcher passes), never guessed from argv[0]. Only the edges follow receptor 1.6.5; the
// node run in between is `meshctl node WORDS...` unchanged:
// - `--version` alone prints `1.6.5` (receptor's version section, exclusive: with any other section it is
//   refused, after the other words have been checked, as cmdline checks every word before running one);
// - no words, `--help` or `-h` anywhere print usage on stdout and exit 0 (cmd/config.go passes
//   cmdline.ShowHelpIfNoArgs; cmd/receptor-cl/receptor.go exits 0 after help);
// - a configuration error is `Error: <message>` on stdout, exit 1 (cmd/config.go: fmt.Printf("Error: %s\n", err);
//   os.Exit(1)), worded as receptor words the same problem where meshctl knows receptor's text (receptorWording).
// Loaded only when main sees the flag, so `meshctl --version` and `status` never pay for it.
import { SECTIONS, type FieldType } from '../config/schema.js';
import { MeshctlError } from '../errors.js';

/** The receptor release whose behaviour the embedded node follows (docs/node.md). */
export const RECEPTOR_VERSION = '1.6.5';

export const RECEPTOR_COMPAT_FLAG = '--receptor-compat';

const TYPE_TEXT: Record<FieldType, string> = {
  string: 'string',
  int: 'int',
  float: 'float64',
  bool: 'bool',
  stringList: '[]string (may be repeated)',
  floatMap: 'JSON dict of string to float64',
  stringMap: 'JSON dict of string to string',
  mapList: 'JSON list of JSON dict of JSON data to JSON data',
};

/** Usage in receptor's layout (`--section` then `key=<type>` lines), listing the sections meshctl node takes. */
export function receptorUsage(): string {
  const lines = [
    'Usage: receptor [--<action> [<param>=<value> ...] ...]',
    '',
    '   (meshctl node in receptor mode: the sections below are the ones the embedded node takes; see docs/node.md)',
    '',
    '   --help: Show this help',
    '',
    '   --config <filename>: Load additional config options from a YAML file',
    '',
    '   --version: Displays the Receptor version.',
    '',
  ];
  for (const sec of SECTIONS) {
    lines.push(`   --${sec.name}${sec.support === 'ignored' ? ': (accepted, has no effect here)' : ''}`);
    for (const f of sec.fields) {
      const notes = [f.required ? '(required)' : '', f.default !== undefined ? `(default: ${f.default})` : ''].filter(Boolean).join(' ');
      lines.push(`      ${f.key}=<${TYPE_TEXT[f.type]}>${notes ? `: ${notes}` : ''}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** What receptor answers before running anything: usage or version text (exit 0), or undefined to run. */
export function immediateAnswer(words: readonly string[]): string | undefined {
  if (words.length === 0 || words.some((w) => w === '--help' || w === '-h')) return receptorUsage();
  if (words.length === 1 && isVersionWord(words[0]!)) return `${RECEPTOR_VERSION}\n`;
  return undefined;
}

/**
 * A first word that is no section is cmdline's "parameter specified before command". Checked here because in
 * receptor mode no plain first word is a meshctl verb (`receptor install-launcher x` is receptor's error).
 */
export function refuseLeadingParameter(words: readonly string[]): void {
  const w = words[0];
  if (w !== undefined && !w.startsWith('-')) throw new MeshctlError('EBADCONFIG', `argv: '${w}': a parameter before any section`);
}

/** cmdline takes `--version` or `-version`, any case (section names are case-insensitive). */
export function isVersionWord(w: string): boolean {
  return /^--?version$/i.test(w);
}

/**
 * `--version` among other sections: receptor checks all the words first (an unknown section is reported before
 * this), then refuses the exclusive section. `check` runs meshctl's own reading of the other words.
 */
export async function refuseVersionWithOthers(words: readonly string[], check: (w: string[]) => Promise<unknown>): Promise<void> {
  if (!words.some(isVersionWord)) return;
  await check(words.filter((w) => !isVersionWord(w)));
  throw new MeshctlError('EBADCONFIG', 'cannot specify any other options with version');
}

/**
 * The message receptor prints for the same problem. A word-form error is `argv: --section: problem` (or
 * `argv: 'word': problem`); receptor's texts come from ghjm/cmdline (the command-line reader receptor 1.6.5 uses)
 * and from receptor's own Prepare checks (pkg/backends/tcp.go: "connection cost must be positive"). Problems
 * meshctl words its own way (a section receptor has and the embedded node lacks) keep meshctl's text, without
 * the `argv: ` location, which receptor never prints.
 */
export function receptorWording(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /^argv: (--?[^:\s]+|'[^']*'): (.*)$/.exec(message);
  if (m === null) return message;
  const [, where, problem] = m as unknown as [string, string, string];
  let r: RegExpExecArray | null;
  if ((r = /^unknown section '-*([^']*)'$/.exec(problem))) return `command error: unknown config type ${r[1]}`;
  if ((r = /^unknown key '([^']*)'$/.exec(problem))) return `config error: unknown field name ${r[1]}`;
  if (/^required parameters? missing: /.test(problem)) return `error in ${where}: ${problem}`;
  if (problem === 'a parameter before any section') return 'parameter specified before command';
  // cmdline's text for a value it cannot convert (src/config/coerce.ts gives the conversion's own words).
  if ((r = /^bad value for '([^']*)': (.*)$/.exec(problem))) return `error setting config value for field ${r[1]}: ${r[2]}`;
  return problem;
}
