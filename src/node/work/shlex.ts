// Splits a command line into words the way github.com/google/shlex Split does (Receptor splits
// work-command `params` with it, pkg/workceptor/command.go commandRunner): no shell is involved.
// - blanks are space, tab, CR, LF; `#` at the start of a word begins a comment up to the next newline;
// - '...' keeps everything literally; "..." allows backslash escapes of any character; a backslash outside
//   quotes escapes the next character; quotes join with adjacent text (a"b c"d → `ab cd`);
// - errors (Go's texts): "EOF found when expecting closing quote", "EOF found after escape character".

export class ShlexError extends Error {
  override name = 'ShlexError';
}

const SPACE = new Set([' ', '\t', '\r', '\n']);

export function shlexSplit(input: string): string[] {
  const words: string[] = [];
  const chars = [...input];
  let i = 0;
  while (i < chars.length) {
    // start state: skip blanks
    const c = chars[i]!;
    if (SPACE.has(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      // comment: up to (and including) the next newline
      while (i < chars.length && chars[i] !== '\n') i++;
      i++;
      continue;
    }
    let word = '';
    let state: 'word' | 'escape' | 'dquote' | 'dquoteEscape' | 'squote' = 'word';
    for (; i < chars.length; i++) {
      const ch = chars[i]!;
      if (state === 'word') {
        if (SPACE.has(ch)) break;
        if (ch === '"') state = 'dquote';
        else if (ch === "'") state = 'squote';
        else if (ch === '\\') state = 'escape';
        else word += ch;
      } else if (state === 'escape') {
        word += ch;
        state = 'word';
      } else if (state === 'dquote') {
        if (ch === '"') state = 'word';
        else if (ch === '\\') state = 'dquoteEscape';
        else word += ch;
      } else if (state === 'dquoteEscape') {
        word += ch;
        state = 'dquote';
      } else if (ch === "'") {
        state = 'word';
      } else {
        word += ch;
      }
    }
    if (state === 'escape' || state === 'dquoteEscape') throw new ShlexError('EOF found after escape character');
    if (state === 'dquote' || state === 'squote') throw new ShlexError('EOF found when expecting closing quote');
    words.push(word);
  }
  return words;
}
