// Go's strings functions where JavaScript's differ in a way that shows on the wire.

/**
 * strings.SplitN(s, sep, n) for n > 0: at most n substrings, the last one the unsplit remainder.
 * (JavaScript's `s.split(sep, n)` drops the remainder instead.) Linear in the length of the first n-1
 * fields, not of `s`: a control command's huge last field (a submit's params) is never split into tokens.
 * `sep` must not be empty.
 */
export function goSplitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let from = 0;
  while (out.length < n - 1) {
    const at = s.indexOf(sep, from);
    if (at === -1) break;
    out.push(s.slice(from, at));
    from = at + sep.length;
  }
  out.push(s.slice(from));
  return out;
}
