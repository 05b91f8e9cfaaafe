// Completion, first level: what the words typed so far lead to, read off the real command tree (no node, nothing
// run): subcommands, flags, fixed choices, files, or which data to ask the node for; and the connection flags
// typed on the line end up where the completed command would read them (resolveGlobals), so the node asked is the
// one the user is typing a command for. Also `completion SHELL` parsing.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { planCompletion } from '../../../src/cli/complete.js';
import { commandPath } from '../../../src/cli/define/examples.js';
import { resolveGlobals } from '../../../src/cli/global-options.js';
import { buildProgram, TOP_LEVEL_COMMANDS, type ProgramContext } from '../../../src/cli/program.js';
import { classify } from '../../../src/cmdutil/errors.js';
import { fakeIo } from '../cmdutil/fake-io.js';

function plan(...words: string[]) {
  const program = buildProgram({ io: fakeIo().io, invoke: async () => undefined });
  const p = planCompletion(program, words);
  const values = p.items.map((i) => i.value).filter((v) => v.startsWith(p.prefix));
  return { ...p, values, path: commandPath(p.command), globals: resolveGlobals(p.command) };
}

describe('complete - commands and flags', () => {
  it('complete - the first word: every visible top-level command and help, not the hidden __complete', () => {
    const p = plan('');
    expect(p.values).toEqual([...TOP_LEVEL_COMMANDS, 'help']);
    expect(p.items.find((i) => i.value === 'status')?.description).toContain('connections');
    expect(p.fetch).toBeUndefined();
    expect(p.files).toBe(false);
    expect(plan('tr').values).toEqual(['traceroute']);
  });

  it('complete - a group: its subcommands, after global options too', () => {
    expect(plan('work', '').values).toEqual(['submit', 'list', 'status', 'results', 'cancel', 'release']);
    expect(plan('-s', '/x.sock', '--timeout', '3s', 'work', 're').values).toEqual(['results', 'release']);
    expect(plan('cert', '').values).toEqual(['init', 'makereq', 'signreq', 'inspect']);
    // An alias leads where its command does.
    expect(plan('work', 'ls', '--').path).toBe('work list');
  });

  it('complete - a dash: the flags of the command the line is in (hidden ones left out)', () => {
    const list = plan('work', 'list', '--');
    expect(list.values).toEqual(expect.arrayContaining(['--node', '--unit-id', '--quiet', '--json', '--socket', '--help']));
    expect(list.values).not.toContain('--unit_id'); // receptorctl's spelling, hidden
    expect(plan('work', 'list', '-').values).toEqual(expect.arrayContaining(['-q', '-s', '-h', '--quiet']));
    expect(plan('status', '--j').values).toEqual(['--json']);
    // Before the command name: the root's options.
    expect(plan('--ti').values).toEqual(['--timeout']);
    expect(plan('-').values).toEqual(expect.arrayContaining(['-V', '--version', '--config', '--tls-client']));
  });

  it('complete - fixed choices: completion SHELL, and help PATH walks the tree', () => {
    expect(plan('completion', '').values).toEqual(['bash', 'zsh', 'fish']);
    expect(plan('completion', 'z').values).toEqual(['zsh']);
    expect(plan('completion', 'bash', '').values).toEqual([]);
    expect(plan('help', '').values).toEqual([...TOP_LEVEL_COMMANDS, 'help']);
    expect(plan('help', 'work', 's').values).toEqual(['submit', 'status']);
    expect(plan('help', 'status', '').values).toEqual([]);
  });

  it('complete - file names for file options, addresses and cert inspect', () => {
    for (const words of [['-s', ''], ['--rootcas', 'c'], ['-c', ''], ['work', 'submit', 'cat', '-p', 'da'], ['node', '-c', ''], ['cert', 'inspect', ''], ['cert', 'inspect', 'a.crt', '']]) {
      const p = plan(...words);
      expect({ words, files: p.files, items: p.items }).toEqual({ words, files: true, items: [] });
    }
    expect(plan('-s', '/tm').prefix).toBe('/tm');
    // A value that is neither: nothing at all (not even files).
    for (const words of [['--timeout', ''], ['work', 'results', 'u1', '--start-pos', '']]) {
      const p = plan(...words);
      expect({ files: p.files, items: p.items, fetch: p.fetch }).toEqual({ files: false, items: [], fetch: undefined });
    }
  });
});

describe('complete - what to ask the node', () => {
  it('complete - unit IDs for work status, results, cancel and release; the ones already typed are left out', () => {
    for (const verb of ['status', 'results', 'cancel', 'release']) expect(plan('work', verb, '').fetch).toEqual({ kind: 'units', exclude: [] });
    expect(plan('work', 'release', 'u1', 'u2', '').fetch).toEqual({ kind: 'units', exclude: ['u1', 'u2'] });
    expect(plan('work', 'release', '--force', 'u1', 'ab').fetch).toMatchObject({ kind: 'units', exclude: ['u1'] });
    expect(plan('work', 'release', 'u1', 'ab').prefix).toBe('ab');
    // results takes one unit: nothing after it.
    expect(plan('work', 'results', 'u1', '').fetch).toBeUndefined();
  });

  it('complete - node names for ping, traceroute, connect and --node', () => {
    for (const words of [['ping', ''], ['traceroute', 'b'], ['connect', ''], ['work', 'submit', 'cat', '--node', ''], ['work', 'list', '--node', 'ex']]) {
      expect(plan(...words).fetch, words.join(' ')).toEqual({ kind: 'nodes' });
    }
    // --node=VALUE in one word (zsh, fish, bash with bash-completion): candidates keep the --node= part.
    const eq = plan('work', 'list', '--node=ex');
    expect(eq).toMatchObject({ fetch: { kind: 'nodes' }, prefix: 'ex', insert: '--node=' });
  });

  it('complete - work types of the node the unit will run on, services of the node connected to', () => {
    expect(plan('work', 'submit', '').fetch).toEqual({ kind: 'worktypes', node: undefined });
    expect(plan('work', 'submit', '--node', 'beta', '').fetch).toEqual({ kind: 'worktypes', node: 'beta' });
    expect(plan('work', 'submit', '--node=beta', 'c').fetch).toEqual({ kind: 'worktypes', node: 'beta' });
    expect(plan('work', 'submit', 'cat', '').fetch).toBeUndefined(); // CMDPARAMS: the user's own words
    expect(plan('connect', 'beta', '').fetch).toEqual({ kind: 'services', node: 'beta' });
  });

  it('complete - the connection flags typed on the line reach the completed command, as if it ran', () => {
    expect(plan('-s', '/a.sock', 'work', 'status', '').globals.socket).toBe('/a.sock');
    expect(plan('work', 'status', '--socket', '/b.sock', '').globals.socket).toBe('/b.sock');
    expect(plan('-s', '/a.sock', 'work', 'status', '--socket=/c.sock', '').globals.socket).toBe('/c.sock');
    expect(plan('work', 'status', '-s/d.sock', '').globals.socket).toBe('/d.sock');
    const tls = plan('-s', 'tls://h:1', '--rootcas', 'ca.pem', '--insecureskipverify', 'true', '--timeout', '1s', 'ping', '');
    expect(tls.globals).toMatchObject({ socket: 'tls://h:1', rootcas: 'ca.pem', insecureskipverify: true, timeout: '1s' });
    expect(plan('--config', 'r.yaml', '--tls-client', 'ctl', 'work', 'list', '--tls-client', 'mesh', '--node', '').globals).toMatchObject({
      config: 'r.yaml',
      tlsClient: 'ctl',
    });
    // Nothing typed: nothing set (the environment then decides, in the Factory).
    expect(plan('work', 'status', '').globals.socket).toBeUndefined();
  });

  it('complete - after --, every word is an operand', () => {
    expect(plan('work', 'release', '--', '-x', '').fetch).toEqual({ kind: 'units', exclude: ['-x'] });
    expect(plan('work', 'release', '--', '--a').fetch).toMatchObject({ kind: 'units' });
    expect(plan('work', 'release', '--', '--a').items).toEqual([]);
  });
});

describe('complete - the completion command parses', () => {
  async function parse(argv: string[]) {
    const f = fakeIo();
    let call: { path: string; opts: unknown } | undefined;
    const ctx: ProgramContext = {
      io: f.io,
      invoke: async (cmd: Command, opts) => {
        call = { path: commandPath(cmd), opts };
      },
    };
    try {
      await buildProgram(ctx, { only: argv[0] }).parseAsync(argv, { from: 'user' });
      return { call, exit: 0 };
    } catch (err) {
      return { call, ...classify(err) };
    }
  }

  it('complete - completion takes bash, zsh or fish, and names a wrong shell', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) expect((await parse(['completion', shell])).call).toEqual({ path: 'completion', opts: { shell } });
    expect(await parse(['completion', 'pwsh'])).toMatchObject({ exit: 2, message: expect.stringContaining("'pwsh'") });
    expect(await parse(['completion'])).toMatchObject({ exit: 2, message: "missing required argument 'shell'" });
  });

  it('complete - __complete takes the words after --, options and empty words included', async () => {
    const r = await parse(['__complete', '--', '-s', '/x.sock', 'work', 'status', '']);
    expect(r.exit).toBe(0);
    expect(r.call).toMatchObject({ path: 'work status', opts: { fetch: { kind: 'units', exclude: [] }, prefix: '', insert: '', files: false } });
  });
});
