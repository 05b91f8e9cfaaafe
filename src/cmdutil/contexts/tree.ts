// The contexts file as a small tree of maps and scalars with line numbers, read in one of two ways:
//
// - quickTree: a strict reader of the plain subset of YAML that `meshctl config set-context` writes (block maps,
//   two-space indent, unquoted ASCII words without spaces). It gives up (undefined) on anything else.
// - yamlTree: the `yaml` package, for every file quickTree gives up on (quotes, flow style, anchors, a syntax
//   error, which it reports with its line).
//
// Why two: loading the `yaml` package costs ~22 ms per process (require of its ~60 files, measured on Node 20:
// `meshctl status` 90 → 112 ms, docs/cli.md "Contexts"), a quarter of the start-up of every command that talks to
// a node, and the contexts file is read by all of them. quickTree answers in well under a millisecond for the
// files meshctl writes. It must never disagree with YAML: test/unit/cmdutil/contexts-tree.test.ts compares both
// readers on every fixture and on thousands of generated documents, and quickTree refuses every word whose YAML
// type is not a plain string or a boolean (null, numbers, .inf), every duplicate key and every key left empty.

import { createRequire } from 'node:module';

export type YNode =
  | { kind: 'map'; line: number; entries: Map<string, { line: number; value: YNode }> }
  | { kind: 'scalar'; line: number; value: string | number | boolean | null }
  | { kind: 'other'; line: number; what: string };

/** A syntax error of the file (from the yaml package): 1-based line, message without its position suffix. */
export class YamlSyntaxError extends Error {
  override name = 'YamlSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

// `key:` or `key: word`, an optional ` # comment`. Keys start with a letter or `_` (no number, no indicator);
// words use characters that never start or end a YAML construct, and never contain ': ' or ' #'.
// `{}` is an empty map (what the yaml package writes for a context without settings).
const LINE = /^( *)([A-Za-z_][A-Za-z0-9_.@/-]*):(?: +(\{\}|[A-Za-z0-9_./~][A-Za-z0-9_./~@:+=,%-]*))?(?: +#.*)? *$/;
const BLANK_OR_COMMENT = /^ *(#.*)?$/;
// YAML 1.2 core schema words that are not strings (yaml's default schema): null, booleans, numbers.
const NULL_WORD = /^(~|null|Null|NULL)$/;
const BOOL_WORD = /^(true|True|TRUE|false|False|FALSE)$/;
// Anything made of number characters only (`1e5`, `0x1f`, `0o17`, `1.2`, `3`): left to the yaml package, whatever
// it makes of it. `5s` or `1m30s` have letters outside this set and stay strings, as in YAML.
const NUMBERISH = /^[0-9.][0-9a-fA-FxXoO._+-]*$/;
const SPECIAL_FLOAT = /^\.(inf|Inf|INF|nan|NaN|NAN)$/;

function plainWord(word: string): string | boolean | undefined {
  if (NULL_WORD.test(word) || NUMBERISH.test(word) || SPECIAL_FLOAT.test(word)) return undefined;
  if (BOOL_WORD.test(word)) return word[0]!.toLowerCase() === 't';
  // A word ending in ':' would be read as a nested key.
  if (word.endsWith(':')) return undefined;
  return word;
}

/** The tree of `text` if it lies in the plain subset described above; undefined to let the yaml package read it. */
export function quickTree(text: string): YNode | undefined {
  // Printable ASCII and newlines only: no tabs, CR, BOM or non-ASCII to think about.
  if (!/^[\x20-\x7e\n]*$/.test(text)) return undefined;
  const lines = text.split('\n');
  type Map_ = Extract<YNode, { kind: 'map' }>;
  const root: Map_ = { kind: 'map', line: 1, entries: new Map() };
  const stack: { indent: number; node: Map_ }[] = [{ indent: 0, node: root }];
  let pending: { key: string; line: number; parent: Map_; indent: number } | undefined;
  let first = true;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (BLANK_OR_COMMENT.test(raw)) continue;
    const m = LINE.exec(raw);
    if (!m) return undefined;
    const lineNo = i + 1;
    const indent = m[1]!.length;
    if (first) {
      root.line = lineNo;
      first = false;
    }
    if (pending) {
      // `key:` opens a nested map only if the next line is indented deeper; otherwise its value is null.
      if (indent <= pending.indent) return undefined;
      const child: Map_ = { kind: 'map', line: lineNo, entries: new Map() };
      pending.parent.entries.set(pending.key, { line: pending.line, value: child });
      stack.push({ indent, node: child });
      pending = undefined;
    } else {
      while (stack.length > 1 && indent < stack[stack.length - 1]!.indent) stack.pop();
      if (indent !== stack[stack.length - 1]!.indent) return undefined;
    }
    const top = stack[stack.length - 1]!.node;
    const key = m[2]!;
    if (NULL_WORD.test(key) || BOOL_WORD.test(key) || top.entries.has(key)) return undefined;
    if (m[3] === undefined) {
      pending = { key, line: lineNo, parent: top, indent };
      continue;
    }
    if (m[3] === '{}') {
      top.entries.set(key, { line: lineNo, value: { kind: 'map', line: lineNo, entries: new Map() } });
      continue;
    }
    const value = plainWord(m[3]);
    if (value === undefined) return undefined;
    top.entries.set(key, { line: lineNo, value: { kind: 'scalar', line: lineNo, value } });
  }
  if (pending) return undefined;
  return root;
}

/**
 * The yaml package, loaded on first use with require(): it is CommonJS, and an `import()` of it from the CommonJS
 * bundle would also start Node's ES-module loader (~14 ms more, docs/performance.md).
 */
export function loadYaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

/** The tree of `text` read by the yaml package (loaded here, on first use). Throws YamlSyntaxError. */
export async function yamlTree(text: string): Promise<YNode> {
  const { LineCounter, parseDocument, isMap, isScalar, isSeq, isAlias } = loadYaml();
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = counter.linePos(err.pos[0]).line;
    throw new YamlSyntaxError(lowerFirst(err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')), line);
  }
  const lineOf = (n: { range?: [number, number, number] | null } | null | undefined, fallback: number) =>
    n?.range ? counter.linePos(n.range[0]).line : fallback;
  const convert = (node: unknown, fallback: number): YNode => {
    const line = lineOf(node as { range?: [number, number, number] }, fallback);
    if (node === null || node === undefined) return { kind: 'scalar', line: fallback, value: null };
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', line, value: v };
      return { kind: 'other', line, what: typeof v };
    }
    if (isMap(node)) {
      const entries = new Map<string, { line: number; value: YNode }>();
      for (const pair of node.items) {
        const keyLine = lineOf(pair.key as { range?: [number, number, number] }, line);
        if (!isScalar(pair.key)) throw new YamlSyntaxError('a key must be a plain word', keyLine);
        const k = pair.key.value;
        const key = k === null ? '' : String(k);
        entries.set(key, { line: keyLine, value: convert(pair.value, keyLine) });
      }
      return { kind: 'map', line, entries };
    }
    if (isSeq(node)) return { kind: 'other', line, what: 'a list' };
    if (isAlias(node)) return { kind: 'other', line, what: 'an alias' };
    return { kind: 'other', line, what: 'an unsupported value' };
  };
  if (doc.contents === null) return { kind: 'map', line: 1, entries: new Map() };
  return convert(doc.contents, 1);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
