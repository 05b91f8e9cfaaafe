// `--query EXPRESSION`: a JMESPath expression applied to a command's data before it is printed, for picking
// fields out of it (az and aws have --query with JMESPath, gh has --jq). The library,
// @jmespath-community/jmespath (typed, no dependencies, the community edition of the JMESPath spec), is imported
// only when --query is given: no other run pays for it.
//
// The expression is checked before the command does anything (src/cli/define/common.ts runs checkQuery in a
// preAction hook), so a typo never costs a round trip, and never leaves a unit submitted behind a failed print.
import { UsageError } from '../errors.js';

type Jmespath = typeof import('@jmespath-community/jmespath');
let lib: Promise<Jmespath> | undefined;
function jmespath(): Promise<Jmespath> {
  lib ??= import('@jmespath-community/jmespath');
  return lib;
}

const HINT = 'JMESPath syntax: https://jmespath.site; --query @ prints the whole document the expression sees';

function invalid(expression: string, err: unknown): UsageError {
  const why = err instanceof Error ? err.message : String(err);
  // The library's messages start "Syntax error: ..." or "Invalid type: ...": lowercase, as every meshctl error.
  return new UsageError(`invalid --query expression '${expression}': ${why.charAt(0).toLowerCase()}${why.slice(1)}`, {
    hint: HINT,
    cause: err,
  });
}

/** Function names the expression calls, at any depth of its syntax tree. */
function functionNames(node: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(node)) for (const n of node) functionNames(n, out);
  else if (node && typeof node === 'object') {
    const n = node as { type?: unknown; name?: unknown };
    if (n.type === 'Literal') return out; // its value is data, whatever keys it has
    if (n.type === 'Function' && typeof n.name === 'string') out.add(n.name);
    for (const v of Object.values(node)) if (v && typeof v === 'object') functionNames(v, out);
  }
  return out;
}

/**
 * Throws a UsageError (exit 2) naming the expression when it does not parse or calls a function JMESPath does
 * not have (the library only finds those when it evaluates, which is too late for `work submit`).
 */
export async function checkQuery(expression: string): Promise<void> {
  const j = await jmespath();
  let ast: unknown;
  try {
    ast = j.compile(expression);
  } catch (err) {
    throw invalid(expression, err);
  }
  for (const name of functionNames(ast)) {
    if (!j.isRegistered(name)) throw invalid(expression, new Error(`unknown function: ${name}()`));
  }
}

/**
 * The expression applied to `data` (JSON values only: it goes through JSON first, as --json would print it).
 * A type error met while evaluating (`length(5)`) is the expression's fault too: a UsageError.
 */
export async function applyQuery(expression: string, data: unknown): Promise<unknown> {
  const j = await jmespath();
  const json = data === undefined ? null : (JSON.parse(JSON.stringify(data)) as Parameters<Jmespath['search']>[0]);
  try {
    return j.search(json, expression);
  } catch (err) {
    throw invalid(expression, err);
  }
}
