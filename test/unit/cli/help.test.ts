// Help and aliases (issue 11: `meshctl help` and `meshctl help status` exited 2, `meshctl help work submit` showed
// the help of `work`, and no command's help had examples but cert's). The whole tree is walked: every command and
// group has examples, each example parses to the command it illustrates, and `meshctl help PATH` prints exactly
// what `meshctl PATH --help` prints. The tree is built with a recording invoke, as main builds it (scopeFor).
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { firstOperand, normaliseArgv } from '../../../src/cli/argv.js';
import { commandPath, EXAMPLES } from '../../../src/cli/define/examples.js';
import { GLOBAL_OPTIONS_WITH_VALUE } from '../../../src/cli/global-options.js';
import { isHidden } from '../../../src/cli/help.js';
import { buildProgram, scopeFor, type ProgramContext } from '../../../src/cli/program.js';
import { classify } from '../../../src/cmdutil/errors.js';
import { fakeIo } from '../cmdutil/fake-io.js';

interface Parsed {
  path?: string;
  opts?: Record<string, unknown>;
  exit: number;
  message?: string;
  hint?: string;
  out: string;
  err: string;
}

async function parse(argv: readonly string[]): Promise<Parsed> {
  const f = fakeIo();
  let call: { path: string; opts: Record<string, unknown> } | undefined;
  const ctx: ProgramContext = {
    io: f.io,
    invoke: async (cmd, opts) => {
      call ??= { path: commandPath(cmd), opts: opts as Record<string, unknown> };
    },
  };
  const args = normaliseArgv(argv);
  try {
    await buildProgram(ctx, scopeFor(args, firstOperand(args, GLOBAL_OPTIONS_WITH_VALUE))).parseAsync(args, { from: 'user' });
    return { ...call, exit: 0, out: f.stdout(), err: f.stderr() };
  } catch (err) {
    const v = classify(err);
    return { ...call, exit: v.exit, message: v.message, hint: v.hint, out: f.stdout(), err: f.stderr() };
  }
}

/** Every visible command of the tree, the root ('') included, by path. */
function allCommands(): { path: string[]; cmd: Command }[] {
  const root = buildProgram({ io: fakeIo().io, invoke: async () => undefined });
  const out: { path: string[]; cmd: Command }[] = [];
  const walk = (cmd: Command, path: string[]) => {
    out.push({ path, cmd });
    for (const c of cmd.commands) if (!isHidden(cmd, c)) walk(c, [...path, c.name()]);
  };
  walk(root, []);
  return out;
}

/**
 * The meshctl invocations in an example line, as argv: the line is split into shell words (quotes removed) and cut
 * at pipes, lists, redirections and substitutions (`$(...)`, `<(...)`), so `id=$(meshctl work submit ...)` and
 * `tar c dir | meshctl ...` yield the meshctl part.
 */
function meshctlInvocations(line: string): string[][] {
  const segments: string[][] = [[]];
  let word: string | undefined;
  const end = () => {
    if (word !== undefined) segments[segments.length - 1]!.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'" || ch === '"') {
      const close = line.indexOf(ch, i + 1);
      expect(close, `unbalanced quote in: ${line}`).toBeGreaterThan(i);
      word = (word ?? '') + line.slice(i + 1, close).replace(ch === '"' ? /\\(["\\$`])/g : /$^/, '$1');
      i = close;
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(ch)) {
      end();
    } else if ('|;&()<>'.includes(ch)) {
      end();
      segments.push([]);
    } else {
      word = (word ?? '') + ch;
    }
  }
  end();
  return segments
    .map((s) => s.slice(s.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)))) // VAR=value meshctl ...
    .filter((s) => s[0] === 'meshctl')
    .map((s) => s.slice(1));
}

describe('help - every command', () => {
  const commands = allCommands();

  it('help - the walk sees the whole tree (groups, leaves, help and completion)', () => {
    const paths = commands.map((c) => c.path.join(' '));
    expect(paths).toEqual(expect.arrayContaining(['', 'status', 'work', 'work submit', 'work list', 'cert', 'cert signreq', 'help', 'completion']));
    expect(paths).not.toContain('__complete');
  });

  it('help - every command and group has an Examples section, from the table in define/examples.ts', async () => {
    const missing = commands.filter(({ path }) => !EXAMPLES[path.join(' ')]?.length).map(({ path }) => path.join(' ') || 'meshctl');
    expect(missing, 'commands without examples in src/cli/define/examples.ts').toEqual([]);
    const unknown = Object.keys(EXAMPLES).filter((p) => !commands.some((c) => c.path.join(' ') === p));
    expect(unknown, 'examples for commands that do not exist').toEqual([]);
    for (const { path } of commands) {
      const r = await parse([...path, '--help']);
      expect(r.out, path.join(' ')).toMatch(/\nExamples:\n {2}# .+\n {2}\$ .*\bmeshctl /);
    }
  });

  it('help - each example line runs the command it illustrates, without a usage error', async () => {
    let checked = 0;
    for (const [where, list] of Object.entries(EXAMPLES)) {
      for (const [, ...lines] of list) {
        for (const line of lines) {
          const runs = meshctlInvocations(line);
          expect(runs.length, `no meshctl command in the example of '${where}': ${line}`).toBeGreaterThan(0);
          for (const argv of runs) {
            const r = await parse(argv);
            expect({ line, exit: r.exit, message: r.message }).toEqual({ line, exit: 0, message: undefined });
            if (where === 'help' || (where === '' && argv[0] === 'help')) {
              expect(r.path).toBeUndefined(); // help runs nothing
              expect(r.out).toMatch(/^Usage: meshctl/);
            } else {
              // The example of `work` may show any work verb; that of `work submit`, only work submit.
              expect(`${r.path} `.startsWith(where ? `${where} ` : ''), `${line} runs '${r.path}', not '${where}'`).toBe(true);
            }
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('help - meshctl help PATH prints what PATH --help prints, on stdout, exit 0, for every command', async () => {
    for (const { path } of commands) {
      const viaHelp = await parse(['help', ...path]);
      const viaFlag = await parse([...path, '--help']);
      expect({ path, exit: viaHelp.exit, err: viaHelp.err }).toEqual({ path, exit: 0, err: '' });
      expect(viaFlag.exit).toBe(0);
      expect(viaHelp.out, path.join(' ')).toBe(viaFlag.out);
      // commander writes an alias beside the name: `Usage: meshctl work list|ls [options]`.
      expect(viaHelp.out).toMatch(new RegExp(`^Usage: meshctl${path.map((w) => ` ${w}`).join('')}(\\|\\S+)?[ \\n]`));
    }
  });
});

describe('help - the help command and bare groups', () => {
  it('help - meshctl help work submit shows work submit, not work (regression: it showed the group)', async () => {
    const r = await parse(['help', 'work', 'submit']);
    expect(r.exit).toBe(0);
    expect(r.out).toMatch(/^Usage: meshctl work submit \[options\] <worktype>/);
    expect(r.out).toContain('--payload-literal');
  });

  it('help - meshctl help and meshctl help status exit 0 (regression: both exited 2)', async () => {
    for (const argv of [['help'], ['help', 'status'], ['-s', '/x.sock', 'help', 'status']]) {
      const r = await parse(argv);
      expect({ argv, exit: r.exit, err: r.err }).toEqual({ argv, exit: 0, err: '' });
      expect(r.out).toMatch(/^Usage: meshctl/);
    }
  });

  it('help - meshctl help cert lists the cert verbs with examples (regression: a stub)', async () => {
    const r = await parse(['help', 'cert']);
    for (const verb of ['init', 'makereq', 'signreq', 'inspect']) expect(r.out).toMatch(new RegExp(`^  ${verb} `, 'm'));
    expect(r.out).toContain('$ meshctl cert signreq --req node1.csr');
  });

  it('help - a bare meshctl and a bare group print their help on stdout and exit 0 (as gh and kubectl)', async () => {
    const root = await parse([]);
    expect(root).toMatchObject({ exit: 0, err: '' });
    expect(root.out).toBe((await parse(['--help'])).out);
    const work = await parse(['work']);
    expect(work).toMatchObject({ exit: 0, err: '' });
    expect(work.out).toBe((await parse(['work', '--help'])).out);
    expect((await parse(['cert'])).out).toMatch(/^Usage: meshctl cert /);
  });

  it('help - an unknown word is one usage error naming it, with a suggestion when one is close', async () => {
    expect(await parse(['help', 'nosuch'])).toMatchObject({ exit: 2, message: "unknown command 'nosuch'", hint: "'meshctl help' lists the commands", out: '' });
    expect(await parse(['help', 'work', 'nosuch'])).toMatchObject({ exit: 2, message: "unknown command 'work nosuch'", hint: "'meshctl help work' lists the commands" });
    expect(await parse(['help', 'stauts'])).toMatchObject({ exit: 2, hint: "did you mean 'meshctl help status'?" });
    expect(await parse(['help', 'work', 'sumbit'])).toMatchObject({ exit: 2, hint: "did you mean 'meshctl help work submit'?" });
    // A leaf has no subcommands.
    expect(await parse(['help', 'status', 'extra'])).toMatchObject({ exit: 2, message: "unknown command 'status extra'" });
    // The hidden completion entry is not a help topic.
    expect(await parse(['help', '__complete'])).toMatchObject({ exit: 2, message: "unknown command '__complete'" });
  });

  it('help - groups have no help subcommand of their own (one help, at the root, as cobra)', async () => {
    const r = await parse(['work', 'help', 'submit']);
    expect(r).toMatchObject({ exit: 2, message: "unknown command 'help'" });
    expect((await parse(['work', '--help'])).out).not.toMatch(/^ {2}help /m);
  });
});

describe('help - aliases', () => {
  it('help - work ls is work list, with the same options', async () => {
    const ls = await parse(['work', 'ls', '-q', '--node', 'beta']);
    const list = await parse(['work', 'list', '-q', '--node', 'beta']);
    expect(ls).toMatchObject({ exit: 0, path: 'work list' });
    expect(ls.opts).toEqual(list.opts);
    expect(ls.opts).toMatchObject({ quiet: true, node: 'beta' });
  });

  it('help - the alias is shown in the help, and help and --help take it', async () => {
    expect((await parse(['work', '--help'])).out).toMatch(/^ {2}list\|ls \[options\]/m);
    const viaHelp = await parse(['help', 'work', 'ls']);
    expect(viaHelp.exit).toBe(0);
    expect(viaHelp.out).toBe((await parse(['work', 'list', '--help'])).out);
    expect((await parse(['work', 'ls', '--help'])).out).toBe(viaHelp.out);
  });

  it('help - release has no rm alias (a terse name for deleting units and their output, which gh does not give delete either)', async () => {
    expect(await parse(['work', 'rm', 'abc'])).toMatchObject({ exit: 2, message: "unknown command 'rm'" });
  });
});
