// Flag parsing for issue 11's confirmations (gh's first kind of command test: the tree with a recording invoke,
// nothing runs): `work release --all` takes -y/--yes; the cert verbs hand Receptor's key=value words over as
// params, which is what switches them to receptor --cert-* behaviour (overwrite, piped answer).
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { firstOperand, normaliseArgv } from '../../../src/cli/argv.js';
import { GLOBAL_OPTIONS_WITH_VALUE } from '../../../src/cli/global-options.js';
import { buildProgram, scopeFor, type ProgramContext } from '../../../src/cli/program.js';
import { classify } from '../../../src/cmdutil/errors.js';
import { receptorSpelling } from '../../../src/commands/cert/receptor-params.js';
import { fakeIo } from '../cmdutil/fake-io.js';

async function parse(argv: string[]): Promise<{ path?: string; opts?: Record<string, unknown>; exit?: number; message?: string }> {
  const f = fakeIo();
  let got: { path: string; opts: Record<string, unknown> } | undefined;
  const ctx: ProgramContext = {
    io: f.io,
    invoke: async (cmd: Command, opts) => {
      const names: string[] = [];
      for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
      got = { path: names.join(' '), opts: opts as Record<string, unknown> };
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

describe('confirm flags', () => {
  it('confirm flags - work release takes -y and --yes; without them yes is false', async () => {
    expect((await parse(['work', 'release', '--all'])).opts).toMatchObject({ all: true, yes: false });
    expect((await parse(['work', 'release', '--all', '--yes'])).opts).toMatchObject({ all: true, yes: true });
    expect((await parse(['work', 'release', '--all', '-y', '--force'])).opts).toMatchObject({ all: true, yes: true, force: true });
    expect((await parse(['work', 'release', 'a', 'b'])).opts).toMatchObject({ unitIds: ['a', 'b'], yes: false });
  });

  it('confirm flags - work cancel has no --yes (it asks nothing)', async () => {
    const r = await parse(['work', 'cancel', 'a', '--yes']);
    expect(r.exit).toBe(2);
    expect(r.message).toBe("unknown option '--yes'");
  });

  it("confirm flags - cert verbs pass key=value words as params: Receptor's spelling, and only then", async () => {
    const words = await parse(['cert', 'makereq', 'bits=2048', 'commonname=n', 'outreq=n.csr', 'outkey=n.key']);
    expect(words.path).toBe('cert makereq');
    expect(words.opts?.params).toEqual(['bits=2048', 'commonname=n', 'outreq=n.csr', 'outkey=n.key']);
    expect(receptorSpelling(words.opts?.params as string[])).toBe(true);
    const flags = await parse(['cert', 'signreq', '--req', 'n.csr', '--ca-cert', 'ca.crt', '--ca-key', 'ca.key', '--out-cert', 'n.crt']);
    expect(flags.opts?.params).toEqual([]);
    expect(receptorSpelling(flags.opts?.params as string[])).toBe(false);
    expect((await parse(['cert', 'signreq', 'req=n.csr', 'verify=yes'])).opts?.params).toEqual(['req=n.csr', 'verify=yes']);
  });
});
