// The fast path's argv reader (src/cli/fast-path.ts, issue 13): for every line it takes, the verb, the global
// options, the output flags and the verb's options are exactly what commander's tree hands the same verb (read
// with a recording invoke); every other line, bad ones included, is left to the whole CLI. The outputs of both
// paths, run as processes, are compared in test/e2e/fast-path.test.ts.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { firstOperand, normaliseArgv } from '../../../src/cli/argv.js';
import { outputFlags } from '../../../src/cli/define/common.js';
import { fastLine } from '../../../src/cli/fast-path.js';
import { GLOBAL_OPTIONS_WITH_VALUE, resolveGlobals } from '../../../src/cli/global-options.js';
import { buildProgram, scopeFor, type ProgramContext } from '../../../src/cli/program.js';
import { classify } from '../../../src/cmdutil/errors.js';
import { meshctlVersion } from '../../../src/cmdutil/version.js';
import { fakeIo } from '../cmdutil/fake-io.js';

/** What commander's tree makes of argv: the verb's path and what invoke got, or the version it printed. */
async function viaCommander(argv: string[]): Promise<Record<string, unknown>> {
  const f = fakeIo();
  let call: Record<string, unknown> | undefined;
  const ctx: ProgramContext = {
    io: f.io,
    invoke: async (cmd: Command, opts) => {
      const kind = cmd.parent?.parent ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name();
      call = { kind, globals: resolveGlobals(cmd), output: outputFlags(cmd), opts };
    },
  };
  const args = normaliseArgv(argv);
  try {
    await buildProgram(ctx, scopeFor(args, firstOperand(args, GLOBAL_OPTIONS_WITH_VALUE))).parseAsync(args, { from: 'user' });
  } catch (err) {
    const v = classify(err);
    if (v.exit === 0 && call === undefined) return { kind: 'version', printed: f.stdout() };
    return { error: v.message, exit: v.exit };
  }
  return call ?? { kind: 'nothing' };
}

const TAKEN: string[][] = [
  ['--version'],
  ['-V'],
  ['status'],
  ['status', '--json'],
  ['-s', '/tmp/a.sock', 'status'],
  ['--socket', 'unix:/tmp/a.sock', 'status', '--json'],
  ['--socket=tcp://127.0.0.1:2222', 'status'],
  ['status', '-s', '/tmp/a.sock'],
  ['status', '--json', '--socket=/tmp/b.sock', '--json'],
  ['-s', '/tmp/a.sock', 'status', '-s', '/tmp/b.sock'],
  ['-s', '/tmp/a.sock', '--socket', '/tmp/b.sock', 'status'],
  ['work', 'list'],
  ['work', 'ls'],
  ['work', 'list', '--json'],
  ['-s', '/tmp/a.sock', 'work', 'list', '--json'],
  ['work', 'list', '-s', 'tls://node.example:443'],
  ['--socket=/tmp/a.sock', 'work', 'ls', '--json', '-s', '/tmp/c.sock'],
];

// Left to the whole CLI: other flags, stray words, bad or missing values, `--`, other commands.
const LEFT: string[][] = [
  [],
  ['--version', 'status'],
  ['status', '--version'],
  ['-V', '-V'],
  ['version'],
  ['status', '--jsn'],
  ['status', 'extra'],
  ['status', '--yaml'],
  ['status', '--wide'],
  ['status', '--query', 'NodeID'],
  ['status', '--debug'],
  ['status', '--no-color'],
  ['status', '--timeout', '5s'],
  ['status', '-h'],
  ['status', '--help'],
  ['-s'],
  ['status', '-s'],
  ['status', '--socket'],
  ['status', '-s', ''],
  ['status', '--socket='],
  ['status', '-s', '--json'],
  ['-s/tmp/a.sock', 'status'],
  ['--json', 'status'],
  ['status', '--', '--json'],
  ['--', 'status'],
  ['work'],
  ['work', 'list', '-q'],
  ['work', 'list', '--node', 'n2'],
  ['work', 'list', '--all-nodes'],
  ['work', 'list', 'extra'],
  ['work', '-s', '/tmp/a.sock', 'list'],
  ['work', 'status', 'u1'],
  ['--context', 'prod', 'status'],
  ['--insecureskipverify', 'true', 'status'],
  ['stauts'],
  ['node', '-c', 'x.yaml'],
];

describe('fast path - argv', () => {
  for (const argv of TAKEN) {
    it(`fast path - meshctl ${argv.join(' ')} is read as commander reads it`, async () => {
      const fast = fastLine(argv);
      expect(fast).toBeDefined();
      const full = await viaCommander(argv);
      if (fast!.kind === 'version') {
        expect(full).toStrictEqual({ kind: 'version', printed: `${meshctlVersion()}\n` });
      } else {
        expect(full).toStrictEqual({ kind: fast!.kind, globals: fast!.globals, output: fast!.output, opts: fast!.opts });
      }
    });
  }

  for (const argv of LEFT) {
    it(`fast path - meshctl ${argv.join(' ') || '(nothing)'} is left to the whole CLI`, () => {
      expect(fastLine(argv)).toBeUndefined();
    });
  }
});
