// goSplitN is Go's strings.SplitN, which Receptor's InitFromString uses (via strings.Split and a join of
// the rest): checked against the definition (split everything, join what is past the (n-1)th separator).
import { describe, expect, it } from 'vitest';
import { goSplitN } from '../../../src/protocol/go-strings.js';

function bySplitAndJoin(s: string, n: number): string[] {
  const all = s.split(' ');
  return all.length <= n ? all : [...all.slice(0, n - 1), all.slice(n - 1).join(' ')];
}

describe('go strings', () => {
  it('go-strings - goSplitN keeps the unsplit remainder as its last field', () => {
    expect(goSplitN('submit localhost cat a b  c ', ' ', 4)).toEqual(['submit', 'localhost', 'cat', 'a b  c ']);
    expect(goSplitN('list', ' ', 4)).toEqual(['list']);
    expect(goSplitN('', ' ', 4)).toEqual(['']);
    expect(goSplitN('a  b', ' ', 4)).toEqual(['a', '', 'b']);
    expect(goSplitN('a b', ' ', 1)).toEqual(['a b']);
    expect(goSplitN('a::b::c', '::', 2)).toEqual(['a', 'b::c']);
  });

  it('go-strings - goSplitN equals split-then-join for every string of up to 7 characters of "a", "b" and " "', () => {
    const alphabet = ['a', 'b', ' '];
    let strings = [''];
    const all: string[] = [''];
    for (let len = 1; len <= 7; len++) {
      strings = strings.flatMap((s) => alphabet.map((c) => s + c));
      all.push(...strings);
    }
    for (const s of all) for (let n = 1; n <= 5; n++) expect(goSplitN(s, ' ', n)).toEqual(bySplitAndJoin(s, n));
  });
});
