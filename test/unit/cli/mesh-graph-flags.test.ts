// Flag parsing of `meshctl mesh graph` (the tree is built with a recording invoke; nothing is loaded or dialled),
// then the choice of output the command makes from the flags (graphOutput), refusals included.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { firstOperand, normaliseArgv } from '../../../src/cli/argv.js';
import { outputFlags } from '../../../src/cli/define/common.js';
import { GLOBAL_OPTIONS_WITH_VALUE } from '../../../src/cli/global-options.js';
import { buildProgram, scopeFor, type ProgramContext } from '../../../src/cli/program.js';
import { classify } from '../../../src/cmdutil/errors.js';
import { graphOutput, type MeshGraphOptions } from '../../../src/commands/mesh/graph.js';
import { fakeIo } from '../cmdutil/fake-io.js';

async function parse(argv: string[]): Promise<{ opts?: Record<string, unknown>; exit?: number; message?: string; flags?: unknown }> {
  const f = fakeIo();
  let call: { opts: Record<string, unknown>; flags: unknown } | undefined;
  const ctx: ProgramContext = {
    io: f.io,
    invoke: async (cmd: Command, opts) => {
      call = { opts: opts as Record<string, unknown>, flags: outputFlags(cmd) };
    },
  };
  try {
    const args = normaliseArgv(argv);
    await buildProgram(ctx, scopeFor(args, firstOperand(args, GLOBAL_OPTIONS_WITH_VALUE))).parseAsync(args, { from: 'user' });
    return call ?? {};
  } catch (err) {
    const v = classify(err);
    return { exit: v.exit, message: v.message };
  }
}

describe('mesh graph flags', () => {
  it('mesh graph flags - the default format is tree; --format, --json, --yaml and --query reach the command', async () => {
    expect((await parse(['mesh', 'graph'])).opts).toEqual({ format: 'tree', json: undefined, yaml: undefined, query: undefined });
    expect((await parse(['mesh', 'graph', '--format', 'mermaid'])).opts).toMatchObject({ format: 'mermaid' });
    expect((await parse(['mesh', 'graph', '--json'])).opts).toMatchObject({ format: 'tree', json: true });
    expect((await parse(['mesh', 'graph', '--yaml', '--query', 'root'])).opts).toMatchObject({ yaml: true, query: 'root' });
    // The global options are there too (they come before or after the verb).
    expect((await parse(['-s', '/tmp/x.sock', 'mesh', 'graph', '--format', 'dot'])).opts).toMatchObject({ format: 'dot' });
  });

  it('mesh graph flags - an unknown format or a bad --query is a usage error (exit 2) before anything runs', async () => {
    const bad = await parse(['mesh', 'graph', '--format', 'png']);
    expect(bad.exit).toBe(2);
    expect(bad.message).toContain("'png'");
    expect(bad.message).toMatch(/tree, dot, mermaid, json/);
    expect((await parse(['mesh', 'graph', '--query', '[[['])).exit).toBe(2);
  });

  it('mesh graph flags - graphOutput: pictures alone; json is --json; tree keeps --yaml/--query; conflicts name both flags', () => {
    const out = (o: MeshGraphOptions) => graphOutput(o);
    expect(out({ format: 'tree' })).toEqual({ structured: 'human' });
    expect(out({ format: 'tree', yaml: true })).toEqual({ structured: 'yaml' });
    expect(out({ format: 'tree', query: 'root' })).toEqual({ structured: 'json' });
    expect(out({ format: 'json' })).toEqual({ structured: 'json' });
    expect(out({ format: 'dot' })).toEqual({ picture: 'dot' });
    expect(out({ format: 'mermaid' })).toEqual({ picture: 'mermaid' });
    expect(() => out({ format: 'dot', json: true })).toThrow('--format dot cannot be combined with --json');
    expect(() => out({ format: 'mermaid', query: 'root' })).toThrow('--format mermaid cannot be combined with --query');
    expect(() => out({ format: 'json', yaml: true })).toThrow('--format json and --yaml cannot be used together');
    expect(() => out({ format: 'tree', json: true, yaml: true })).toThrow('--json and --yaml cannot be used together');
    expect(() => out({ format: 'svg' as MeshGraphOptions['format'] })).toThrow("unknown graph format 'svg'");
  });
});
