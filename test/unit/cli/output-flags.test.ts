// Flag parsing of the output flags (issue 11): --query on every command with JSON output, --wide on those that
// print tables, a bad expression refused before the command runs. The tree is built with a recording invoke.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { firstOperand, normaliseArgv } from '../../../src/cli/argv.js';
import { outputFlags } from '../../../src/cli/define/common.js';
import { GLOBAL_OPTIONS_WITH_VALUE } from '../../../src/cli/global-options.js';
import { buildProgram, scopeFor, type ProgramContext } from '../../../src/cli/program.js';
import { classify } from '../../../src/cmdutil/errors.js';
import type { StructuredFlags } from '../../../src/cmdutil/output.js';
import { fakeIo } from '../cmdutil/fake-io.js';

interface Parsed {
  opts?: Record<string, unknown>;
  flags?: StructuredFlags;
  exit?: number;
  message?: string;
}

async function parse(argv: string[]): Promise<Parsed> {
  const f = fakeIo();
  let call: Parsed | undefined;
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
    return { exit: v.exit, message: v.message, ...(call ? { opts: call.opts } : {}) };
  }
}

const DATA_COMMANDS: string[][] = [
  ['status'],
  ['ping', 'n1'],
  ['traceroute', 'n1'],
  ['reload'],
  ['version'],
  ['work', 'submit', 'echo', '-n'],
  ['work', 'list'],
  ['work', 'status', 'u1'],
  ['work', 'cancel', 'u1'],
  ['work', 'release', 'u1'],
  ['cert', 'inspect', 'a.crt'],
];

describe('output flags - --query', () => {
  for (const words of DATA_COMMANDS) {
    it(`output flags - meshctl ${words.join(' ')} --query passes the expression to the command and the factory`, async () => {
      const r = await parse([...words, '--query', 'a.b']);
      expect(r.exit, r.message).toBeUndefined();
      expect(r.opts?.query).toBe('a.b');
      expect(r.flags).toEqual({ query: 'a.b' });
    });
  }

  it('output flags - commands without JSON output have no --query', async () => {
    for (const words of [['work', 'results', 'u1'], ['connect', 'n1', 'control']]) {
      const r = await parse([...words, '--query', '@']);
      expect(r.exit).toBe(2);
      expect(r.message).toContain("unknown option '--query'");
    }
  });

  it('output flags - a bad expression is one usage line (exit 2) naming it, and the command never runs', async () => {
    const r = await parse(['work', 'submit', 'echo', '-n', '--query', '[?State==']);
    expect(r.exit).toBe(2);
    expect(r.message).toMatch(/^invalid --query expression '\[\?State==': syntax error: /);
    expect(r.opts).toBeUndefined();
  });

  it('output flags - --yaml and --json beside --query reach the factory', async () => {
    expect((await parse(['status', '--yaml', '--query', 'NodeID'])).flags).toEqual({ yaml: true, query: 'NodeID' });
    expect((await parse(['version', '--json', '--query', 'meshctl'])).flags).toEqual({ json: true, query: 'meshctl' });
  });
});

describe('output flags - --wide', () => {
  for (const words of [['status'], ['traceroute', 'n1'], ['work', 'list']]) {
    it(`output flags - meshctl ${words.join(' ')} --wide`, async () => {
      const r = await parse([...words, '--wide']);
      expect(r.opts?.wide).toBe(true);
      expect(r.flags).toEqual({ wide: true });
    });
  }

  it('output flags - commands without tables have no --wide', async () => {
    for (const words of [['ping', 'n1'], ['version'], ['work', 'status', 'u1']]) {
      const r = await parse([...words, '--wide']);
      expect(r.exit).toBe(2);
      expect(r.message).toContain("unknown option '--wide'");
    }
  });
});
