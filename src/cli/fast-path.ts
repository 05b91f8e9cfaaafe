// The command lines the fast path runs without commander (src/cli/fast.ts; issue 13: `--version`, `status` and
// `work list` within 1.15× `node -e 0`). Only the plainest shapes are recognised; anything else, a bad word
// included, is left to the whole CLI (src/cli/main.ts), which owns the command line, its help and its errors:
//
//     meshctl --version | -V                      (alone)
//     meshctl [SOCKET...] status [SOCKET | --json]...
//     meshctl [SOCKET...] work list|ls [SOCKET | --json]...
//
// where SOCKET is `-s ADDRESS`, `--socket ADDRESS` or `--socket=ADDRESS`, ADDRESS not empty and not starting with
// `-`. For these the result is what commander's tree gives the verb (src/cli/define/mesh.ts and work.ts, resolved
// by src/cli/global-options.ts resolveGlobals): a socket after the verb overrides one before it, the last one
// given wins. test/unit/cli/fast-path.test.ts parses a list of lines both ways and compares.
import type { GlobalOptions } from '../cmdutil/globals.js';
import type { StructuredFlags } from '../cmdutil/output.js';
import type { StatusOptions } from '../commands/status.js';
import type { WorkListOptions } from '../commands/work/list.js';

export type FastLine =
  | { kind: 'version' }
  | { kind: 'status'; globals: GlobalOptions; output: StructuredFlags; opts: StatusOptions }
  | { kind: 'work list'; globals: GlobalOptions; output: StructuredFlags; opts: WorkListOptions };

/** The fast path's reading of argv, or undefined when the whole CLI must parse it. */
export function fastLine(argv: readonly string[]): FastLine | undefined {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return { kind: 'version' };
  let i = 0;
  let socket: string | undefined;
  // Global options before the command name: the root's.
  for (let s = socketAt(argv, i); s; s = socketAt(argv, i)) {
    socket = s.value;
    i += s.words;
  }
  let kind: 'status' | 'work list';
  if (argv[i] === 'status') {
    kind = 'status';
    i += 1;
  } else if (argv[i] === 'work' && (argv[i + 1] === 'list' || argv[i + 1] === 'ls')) {
    kind = 'work list';
    i += 2;
  } else {
    return undefined;
  }
  let json: true | undefined;
  while (i < argv.length) {
    if (argv[i] === '--json') {
      json = true;
      i += 1;
      continue;
    }
    const s = socketAt(argv, i);
    if (!s) return undefined;
    socket = s.value;
    i += s.words;
  }
  const globals: GlobalOptions = {
    context: undefined,
    socket,
    config: undefined,
    tlsClient: undefined,
    rootcas: undefined,
    cert: undefined,
    key: undefined,
    insecureskipverify: false,
    timeout: undefined,
    debug: false,
    color: true,
  };
  const output: StructuredFlags = json ? { json } : {};
  const structured = { json, yaml: undefined, query: undefined, wide: undefined };
  if (kind === 'status') return { kind, globals, output, opts: structured };
  const opts: WorkListOptions = {
    node: undefined,
    unitId: undefined,
    tlsClient: undefined,
    quiet: false,
    allNodes: false,
    state: undefined,
    workType: undefined,
    concurrency: 8, // --concurrency's default (src/cli/define/work.ts)
    ...structured,
  };
  return { kind, globals, output, opts };
}

/** `-s ADDRESS`, `--socket ADDRESS` or `--socket=ADDRESS` at argv[i]: the address and the words it took. */
function socketAt(argv: readonly string[], i: number): { value: string; words: number } | undefined {
  const a = argv[i];
  if (a === '-s' || a === '--socket') {
    const v = argv[i + 1];
    return plainValue(v) ? { value: v, words: 2 } : undefined;
  }
  if (a?.startsWith('--socket=')) {
    const v = a.slice('--socket='.length);
    return plainValue(v) ? { value: v, words: 1 } : undefined;
  }
  return undefined;
}

/** A value commander would take as given (an empty or dash-led one is its business, with its own message). */
function plainValue(v: string | undefined): v is string {
  return v !== undefined && v !== '' && !v.startsWith('-');
}
