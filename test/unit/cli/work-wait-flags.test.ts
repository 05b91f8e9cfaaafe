// Flag parsing for issue 11's work items (the tree with a recording invoke, nothing runs): `work status --wait`
// takes several ids, --for and, after the verb, --timeout as the wait's bound (kubectl wait's --timeout) while the
// connect/reply --timeout typed before `work` stays global; `work release` takes --state, --older-than, --dry-run.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { firstOperand, normaliseArgv } from '../../../src/cli/argv.js';
import { GLOBAL_OPTIONS_WITH_VALUE, resolveGlobals, type GlobalOptions } from '../../../src/cli/global-options.js';
import { buildProgram, scopeFor, type ProgramContext } from '../../../src/cli/program.js';
import { classify } from '../../../src/cmdutil/errors.js';
import { fakeIo } from '../cmdutil/fake-io.js';

async function parse(argv: string[]): Promise<{ opts?: Record<string, unknown>; globals?: GlobalOptions; exit?: number; message?: string }> {
  const f = fakeIo();
  let got: { opts: Record<string, unknown>; globals: GlobalOptions } | undefined;
  const ctx: ProgramContext = {
    io: f.io,
    invoke: async (cmd: Command, opts) => {
      got = { opts: opts as Record<string, unknown>, globals: resolveGlobals(cmd) };
    },
  };
  try {
    const args = normaliseArgv(argv);
    await buildProgram(ctx, scopeFor(args, firstOperand(args, GLOBAL_OPTIONS_WITH_VALUE))).parseAsync(args, { from: 'user' });
    return { ...got };
  } catch (err) {
    const v = classify(err);
    return { exit: v.exit, message: v.message };
  }
}

describe('work wait flags', () => {
  it('work wait flags - --wait takes several ids and repeated --for values', async () => {
    const r = await parse(['work', 'status', '--wait', 'a', 'b', '--for', 'failed,canceled', '--for', 'succeeded', '--json']);
    expect(r.opts).toEqual({ unitIds: ['a', 'b'], wait: true, waitTimeout: undefined, for: ['failed,canceled', 'succeeded'], json: true, yaml: undefined });
    expect((await parse(['work', 'status'])).exit).toBe(2);
  });

  it('work wait flags - with --wait, --timeout after the verb bounds the wait and is not the connect/reply timeout', async () => {
    const r = await parse(['work', 'status', 'a', '--wait', '--timeout', '5m']);
    expect(r.opts).toMatchObject({ waitTimeout: '5m' });
    expect(r.globals?.timeout).toBeUndefined();
    const both = await parse(['--timeout', '5s', 'work', 'status', 'a', '--timeout', '1h30m', '--wait']);
    expect(both.opts).toMatchObject({ waitTimeout: '1h30m' });
    expect(both.globals?.timeout).toBe('5s');
  });

  it('work wait flags - without --wait, --timeout after the verb stays the global connect/reply timeout', async () => {
    const r = await parse(['work', 'status', 'a', '--timeout', '5s']);
    expect(r.opts).toMatchObject({ wait: false, waitTimeout: undefined });
    expect(r.globals?.timeout).toBe('5s');
    const before = await parse(['--timeout', '2s', 'work', 'status', 'a', '--wait']);
    expect(before.opts).toMatchObject({ wait: true, waitTimeout: undefined });
    expect(before.globals?.timeout).toBe('2s');
  });

  it('work wait flags - work release takes repeated --state, --older-than and --dry-run', async () => {
    const r = await parse(['work', 'release', '--state', 'failed', '--state', 'Canceled,succeeded', '--dry-run', '--older-than', '7d']);
    expect(r.opts).toMatchObject({ unitIds: [], all: false, state: ['failed', 'Canceled,succeeded'], dryRun: true, olderThan: '7d', yes: false });
    expect((await parse(['work', 'release', 'x'])).opts).toMatchObject({ unitIds: ['x'], state: undefined, dryRun: false, olderThan: undefined });
    expect((await parse(['work', 'release', '--state'])).exit).toBe(2);
  });
});
