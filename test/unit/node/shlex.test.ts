// Expected words and errors were produced by github.com/google/shlex Split (the version Receptor 1.6.5
// uses), run on the same inputs.
import { describe, expect, it } from 'vitest';
import { ShlexError, shlexSplit } from '../../../src/node/work/shlex.js';

const cases: [string, string[], string][] = [
  ['one "two three" four', ['one', 'two three', 'four'], ''],
  ['a"b c"d', ['ab cd'], ''],
  ['\'x y\' "a\\"b" c\\ d', ['x y', 'a"b', 'c d'], ''],
  ['"" \'\'', ['', ''], ''],
  ['#comment\nnext', ['next'], ''],
  ['a#b #c d', ['a#b'], ''],
  ['  lead  trail  ', ['lead', 'trail'], ''],
  ['tab\there\nnl', ['tab', 'here', 'nl'], ''],
  ['"unclosed', [], 'EOF found when expecting closing quote'],
  ["'unclosed", [], 'EOF found when expecting closing quote'],
  ['trail\\', [], 'EOF found after escape character'],
  ['"esc\\', [], 'EOF found after escape character'],
  ["'a\\b'", ['a\\b'], ''],
  ['"a\\b"', ['ab'], ''],
  ['-c "echo start; sleep 100 & sleep 101"', ['-c', 'echo start; sleep 100 & sleep 101'], ''],
  ['--private-data-dir=/tmp/x --delete', ['--private-data-dir=/tmp/x', '--delete'], ''],
  ['é "ü ß"', ['é', 'ü ß'], ''],
  ['', [], ''],
];

describe('shlex', () => {
  for (const [input, words, error] of cases) {
    it(`shlex - ${JSON.stringify(input)}`, () => {
      if (error) {
        expect(() => shlexSplit(input)).toThrow(ShlexError);
        expect(() => shlexSplit(input)).toThrow(error);
      } else {
        expect(shlexSplit(input)).toEqual(words);
      }
    });
  }
});
