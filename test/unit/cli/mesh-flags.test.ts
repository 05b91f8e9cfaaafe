// Flag parsing of issue 14's commands (the tree with a recording invoke, nothing runs): `mesh status` with
// --concurrency, --tls-client and --watch [interval], the global --timeout by position, and `work list --all-nodes`
// with --state / --work-type.
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

describe('mesh flags', () => {
  it('mesh flags - mesh status defaults: concurrency 8, no watch, no tls-client', async () => {
    const r = await parse(['mesh', 'status']);
    expect(r.opts).toEqual({ concurrency: 8, tlsClient: undefined, watch: undefined, json: undefined, yaml: undefined, query: undefined, wide: undefined });
  });

  it('mesh flags - --watch alone, --watch with an interval, and --timeout after the verb is the per-node (global) timeout', async () => {
    expect((await parse(['mesh', 'status', '--watch'])).opts).toMatchObject({ watch: true });
    const r = await parse(['mesh', 'status', '--watch', '5s', '--concurrency', '3', '--tls-client', 'ctl', '--timeout', '2s']);
    expect(r.opts).toMatchObject({ watch: '5s', concurrency: 3, tlsClient: 'ctl' });
    expect(r.globals?.timeout).toBe('2s');
  });

  it('mesh flags - a bad --concurrency is a usage error naming the value', async () => {
    for (const bad of ['0', 'x', '-1']) {
      const r = await parse(['mesh', 'status', '--concurrency', bad]);
      expect(r.exit, bad).toBe(2);
      expect(r.message).toMatch(/--concurrency/);
    }
  });

  it('mesh flags - `mesh` alone shows its help with the status verb (a group, not a command)', async () => {
    const f = fakeIo();
    const ctx: ProgramContext = { io: f.io, invoke: async () => undefined };
    const r = await buildProgram(ctx, { only: 'mesh' })
      .parseAsync(['mesh', '--help'], { from: 'user' })
      .catch((e: unknown) => e);
    expect(r).toBeDefined();
    expect(f.stdout()).toMatch(/^ {2}status +/m);
  });

  it('mesh flags - work list --all-nodes with repeated --state and --work-type', async () => {
    const r = await parse(['work', 'list', '--all-nodes', '--state', 'failed,canceled', '--state', 'running', '--work-type', 'cat', '--work-type', 'echo', '--tls-client', 'ctl']);
    expect(r.opts).toMatchObject({ allNodes: true, state: ['failed,canceled', 'running'], workType: ['cat', 'echo'], tlsClient: 'ctl', concurrency: 8 });
    expect((await parse(['work', 'list'])).opts).toMatchObject({ allNodes: false, state: undefined, workType: undefined });
  });
});
