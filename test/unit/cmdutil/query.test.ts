// --query (issue 11: field selection beside --json/--yaml) and the output-flag rules around it.
import { describe, expect, it } from 'vitest';
import { outputFormat, rawQueryString } from '../../../src/cmdutil/output.js';
import { applyQuery, checkQuery } from '../../../src/cmdutil/query.js';
import { UsageError } from '../../../src/errors.js';

async function usageError(p: Promise<unknown>): Promise<UsageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
}

describe('query - checking an expression', () => {
  it('query - a valid expression passes', async () => {
    await checkQuery("[?StateName=='Failed'].id");
    await checkQuery('Advertisements[].{node: NodeID, service: Service}');
    await checkQuery('length(@)');
    await checkQuery('@');
  });

  it('query - a syntax error is a one-line usage error (exit 2) naming the expression', async () => {
    const err = await usageError(checkQuery('[?State=='));
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^invalid --query expression '\[\?State==': syntax error: /);
    expect(err.message).not.toContain('\n');
    expect(err.hint).toContain('jmespath');
  });

  it('query - an unknown function is refused before anything runs (the library finds it only when evaluating)', async () => {
    const err = await usageError(checkQuery('sort_by(@, &id) | nosuch(@)'));
    expect(err.message).toBe("invalid --query expression 'sort_by(@, &id) | nosuch(@)': unknown function: nosuch()");
  });

  it('query - a literal that looks like a function call is data, not a call', async () => {
    await checkQuery('`{"type": "Function", "name": "nosuch", "children": []}`');
  });
});

describe('query - applying an expression', () => {
  const units = [
    { id: 'a1', StateName: 'Failed', StdoutSize: 3 },
    { id: 'b2', StateName: 'Succeeded', StdoutSize: 10 },
  ];

  it('query - filters, projections and functions', async () => {
    expect(await applyQuery("[?StateName=='Failed'].id", units)).toEqual(['a1']);
    expect(await applyQuery('[0].id', units)).toBe('a1');
    expect(await applyQuery('sum([].StdoutSize)', units)).toBe(13);
    expect(await applyQuery('[].{unit: id}', units)).toEqual([{ unit: 'a1' }, { unit: 'b2' }]);
    expect(await applyQuery('nothing.here', units)).toBeNull();
  });

  it('query - sees the data as JSON (what --json prints), not JavaScript objects', async () => {
    const withUndefined = { a: undefined, b: 1, when: new Date(0) };
    expect(await applyQuery('@', withUndefined)).toEqual({ b: 1, when: '1970-01-01T00:00:00.000Z' });
  });

  it('query - a type error while evaluating is a usage error naming the expression', async () => {
    const err = await usageError(applyQuery('length(StdoutSize)', units[0]));
    expect(err.message).toMatch(/^invalid --query expression 'length\(StdoutSize\)': invalid type: length\(\) expected/);
  });
});

describe('query - output flags', () => {
  it('query - --query means JSON, --yaml --query YAML, --json --query JSON', () => {
    expect(outputFormat({ query: 'a' })).toBe('json');
    expect(outputFormat({ query: 'a', yaml: true })).toBe('yaml');
    expect(outputFormat({ query: 'a', json: true })).toBe('json');
    expect(outputFormat({})).toBe('human');
  });

  it('query - --wide only with table output', () => {
    expect(outputFormat({ wide: true })).toBe('human');
    expect(() => outputFormat({ wide: true, json: true })).toThrow('--wide only applies to tables, not to --json output');
    expect(() => outputFormat({ wide: true, yaml: true })).toThrow('--wide only applies to tables, not to --yaml output');
    expect(() => outputFormat({ wide: true, query: '@' })).toThrow('--wide only applies to tables, not to --query output');
  });

  it('query - a lone string result is printed raw unless --json or --yaml asks for a document', () => {
    expect(rawQueryString({ query: 'a' }, 'x')).toBe(true);
    expect(rawQueryString({ query: 'a', json: true }, 'x')).toBe(false);
    expect(rawQueryString({ query: 'a', yaml: true }, 'x')).toBe(false);
    expect(rawQueryString({ query: 'a' }, ['x'])).toBe(false);
    expect(rawQueryString({ query: 'a' }, 3)).toBe(false);
  });
});
