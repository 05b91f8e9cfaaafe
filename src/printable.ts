// Text from peers (unit IDs, node IDs, work types, Detail texts, error replies) made safe for a terminal and for
// log lines. A node chooses these strings, and so can whoever submits work to it (a JSON submit may ask for any
// workUnitID): raw ESC, CSI (C1 0x9b), BEL or CR in them would move the cursor, recolour or retitle the terminal,
// hide text or forge log lines. Human output and the node's log show them as visible escapes instead; --json and
// --yaml keep the exact data, escaped the way those formats escape (src/render/structured.ts).
//
// The escapes are Go's strconv.Quote ones (`%q` without the quotes), which bash's $'...' and JavaScript string
// literals also read back: \a \b \t \n \v \f \r, \x1b for the other C0 controls and DEL, \u009b for the C1
// controls, \u202e for the bidirectional-text controls (they reorder what is shown, "Trojan Source") and the
// Unicode line/paragraph separators. Printable text, backslashes included, is shown as it is. (gh's
// asciisanitizer turns C0/C1 controls into caret notation, ^[, which cannot tell ESC from CSI; kubectl's
// EscapeTerminal escapes only ESC and CR.)
//
// A pure module at the bottom of the tree, like errors.ts: render/, cli/ and node/ (its logger) all use it.

// The characters escaped: C0 controls, then DEL, C1 controls, the bidirectional controls (ALM, LRM, RLM,
// LRE..RLO, LRI..PDI) and U+2028/U+2029.
const C0 = '\\u0000-\\u001f';
const BEYOND_C0 = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[${C0}${BEYOND_C0}]`);
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
// JSON.stringify and the yaml package escape C0 themselves (or keep tab and newline as layout); these they write raw.
const UNSAFE_NOT_C0 = new RegExp(`[${BEYOND_C0}]`);
const UNSAFE_NOT_C0_ALL = new RegExp(UNSAFE_NOT_C0.source, 'g');

const NAMED: Readonly<Record<string, string>> = {
  '\u0007': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
};

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** The visible escape of one unsafe character: `\x1b`, `\r`, `\u009b`, `\u202e`. */
function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code < 0x80 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
}

/** `text` with every terminal control character shown as a visible escape (`a\x1b[31mb` for a, ESC, [31mb, ...). */
export function printable(text: string): string {
  // Almost every string is clean: test before building a new one.
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeChar) : text;
}

/** True when `text` holds an unsafe character that JSON.stringify and YAML writers leave raw (DEL, C1, bidi...). */
export function hasUnsafeBeyondC0(text: string): boolean {
  return UNSAFE_NOT_C0.test(text);
}

/**
 * Serialised JSON (or YAML double-quoted) text with the unsafe characters the serialiser left raw written as
 * `\u009b` escapes: the same data once parsed. Only for text where they can occur inside quoted strings alone.
 */
export function escapeBeyondC0(serialised: string): string {
  return UNSAFE_NOT_C0.test(serialised) ? serialised.replace(UNSAFE_NOT_C0_ALL, (ch) => `\\u${hex(ch.charCodeAt(0), 4)}`) : serialised;
}
