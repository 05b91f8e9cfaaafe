// Small rewrites of argv before commander sees it.

const BOOL_WORDS: Record<string, boolean> = { true: true, yes: true, on: true, false: false, no: false, off: false };

/**
 * receptorctl's `--insecureskipverify` takes a value (`--insecureskipverify true`, click BOOL). meshctl's is a flag;
 * accept receptorctl's spellings so scripts carry over: `--insecureskipverify=V` and `--insecureskipverify V`
 * (V a boolean word) become the bare flag (true) or nothing (false). Any other following word is left alone, so
 * `meshctl --insecureskipverify status` still works.
 */
export function normaliseArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--insecureskipverify=')) {
      const v = a.slice('--insecureskipverify='.length).toLowerCase();
      const b = v === '1' ? true : v === '0' ? false : BOOL_WORDS[v];
      if (b === undefined) {
        out.push(a); // commander reports it as an unknown option, quoting it
      } else if (b) {
        out.push('--insecureskipverify');
      }
      continue;
    }
    if (a === '--insecureskipverify') {
      const next = argv[i + 1]?.toLowerCase();
      if (next !== undefined && next in BOOL_WORDS) {
        if (BOOL_WORDS[next]) out.push(a);
        i++;
        continue;
      }
    }
    out.push(a);
  }
  return out;
}

/**
 * The first operand (the command name), skipping global options and their values. Used to decide whether to
 * load a command group's registration (`cert`) before parsing, so `meshctl status` never loads it.
 */
export function firstOperand(argv: readonly string[], optionsWithValue: ReadonlySet<string>): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (!a.startsWith('-') || a === '-') return a;
    if (a.includes('=')) continue;
    if (optionsWithValue.has(a)) i++;
  }
  return undefined;
}
