// Flag parsing of every command: the tree is built with a recording invoke, so nothing runs and nothing is
// imported but commander (gh's first kind of command test).
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { firstOperand, normaliseArgv } from '../../../src/cli/argv.js';
import { classify } from '../../../src/cmdutil/errors.js';
import { GLOBAL_OPTIONS_WITH_VALUE, resolveGlobals, type GlobalOptions } from '../../../src/cli/global-options.js';
import { buildProgram, scopeFor, TOP_LEVEL_COMMANDS, type ProgramContext } from '../../../src/cli/program.js';
import { fakeIo } from '../cmdutil/fake-io.js';

interface Call {
  path: string;
  opts: Record<string, unknown>;
  globals: GlobalOptions;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

async function parse(argv: string[]): Promise<{ call?: Call; exit?: number; message?: string; hint?: string; out: string; err: string }> {
  const f = fakeIo();
  const calls: Call[] = [];
  const ctx: ProgramContext = {
    io: f.io,
    invoke: async (cmd, opts) => {
      calls.push({ path: commandPath(cmd), opts: opts as Record<string, unknown>, globals: resolveGlobals(cmd) });
    },
  };
  try {
    // As main builds it: only the command argv names (see scopeFor).
    const args = normaliseArgv(argv);
    await buildProgram(ctx, scopeFor(args, firstOperand(args, GLOBAL_OPTIONS_WITH_VALUE))).parseAsync(args, { from: 'user' });
    return { call: calls[0], out: f.stdout(), err: f.stderr() };
  } catch (err) {
    const v = classify(err);
    return { exit: v.exit, message: v.message, hint: v.hint, out: f.stdout(), err: f.stderr() };
  }
}

describe('program - global options', () => {
  it('program - --socket before the command and after it both reach the command', async () => {
    expect((await parse(['-s', '/a.sock', 'status'])).call?.globals.socket).toBe('/a.sock');
    expect((await parse(['status', '--socket', '/b.sock'])).call?.globals.socket).toBe('/b.sock');
  });

  it('program - an option after the command overrides the same option before it', async () => {
    const r = await parse(['-s', '/a.sock', '--timeout', '1s', 'status', '-s', '/b.sock']);
    expect(r.call?.globals).toMatchObject({ socket: '/b.sock', timeout: '1s' });
  });

  it('program - the global --tls-client and a command --tls-client stay apart', async () => {
    const r = await parse(['--config', 'r.yaml', '--tls-client', 'ours', 'work', 'submit', 'echo', '-n', '--tls-client', 'theirs']);
    expect(r.call?.globals).toMatchObject({ config: 'r.yaml', tlsClient: 'ours' });
    expect(r.call?.opts.tlsClient).toBe('theirs');
  });

  it("program - receptorctl's valued --insecureskipverify is accepted", async () => {
    expect((await parse(['--insecureskipverify', 'true', 'status'])).call?.globals.insecureskipverify).toBe(true);
    expect((await parse(['--insecureskipverify', 'false', 'status'])).call?.globals.insecureskipverify).toBe(false);
    expect((await parse(['--insecureskipverify=yes', 'status'])).call?.globals.insecureskipverify).toBe(true);
    expect((await parse(['--insecureskipverify', 'status'])).call?.globals.insecureskipverify).toBe(true);
  });

  it('program - --no-color and --debug are read on the command too', async () => {
    const r = await parse(['status', '--no-color', '--debug']);
    expect(r.call?.globals).toMatchObject({ color: false, debug: true });
    expect((await parse(['status'])).call?.globals).toMatchObject({ color: true, debug: false });
  });
});

describe('program - commands', () => {
  it('program - status takes --json and --yaml', async () => {
    const r = await parse(['status', '--json']);
    expect(r.call).toMatchObject({ path: 'status', opts: { json: true } });
    expect((await parse(['status', '--yaml'])).call?.opts).toMatchObject({ yaml: true });
  });

  it('program - ping defaults to 4 pings 1 s apart and validates both numbers', async () => {
    expect((await parse(['ping', 'n1'])).call?.opts).toEqual({ node: 'n1', count: 4, delay: 1, json: undefined, yaml: undefined });
    expect((await parse(['ping', 'n1', '--count', '2', '--delay', '0.5'])).call?.opts).toMatchObject({ count: 2, delay: 0.5 });
    const bad = await parse(['ping', 'n1', '--count', '0']);
    expect(bad.exit).toBe(2);
    expect(bad.message).toContain("'0'");
    expect((await parse(['ping', 'n1', '--delay', 'soon'])).message).toContain("'soon'");
  });

  it('program - ping without a node is a usage error naming the argument', async () => {
    const r = await parse(['ping']);
    expect(r.exit).toBe(2);
    expect(r.message).toContain("missing required argument 'node'");
  });

  it('program - traceroute, reload and version parse', async () => {
    expect((await parse(['traceroute', 'n2'])).call).toMatchObject({ path: 'traceroute', opts: { node: 'n2' } });
    expect((await parse(['reload'])).call?.path).toBe('reload');
    expect((await parse(['version', '--json'])).call).toMatchObject({ path: 'version', opts: { json: true } });
  });

  it('program - connect takes node, service, --tls-client and --raw', async () => {
    const r = await parse(['connect', 'n1', 'echo', '--tls-client', 'tc', '-r']);
    expect(r.call).toMatchObject({ path: 'connect', opts: { node: 'n1', service: 'echo', tlsClient: 'tc', raw: true } });
  });

  it('program - work submit collects payload options, params and command parameters', async () => {
    const r = await parse([
      'work', 'submit', 'echo', 'a', 'b', '-p', 'in.txt', '-a', 'x=1', '--param', 'y=@f', '--node', 'n2',
      '--ttl', '10s', '--signwork', '-f', '--rm',
    ]);
    expect(r.call?.path).toBe('work submit');
    expect(r.call?.opts).toMatchObject({
      workType: 'echo',
      cmdParams: ['a', 'b'],
      payload: 'in.txt',
      payloadLiteral: undefined,
      noPayload: false,
      node: 'n2',
      param: ['x=1', 'y=@f'],
      ttl: '10s',
      signwork: true,
      follow: true,
      rm: true,
    });
  });

  it('program - work submit keeps -p and -n apart (commander would fold --no-payload into --payload)', async () => {
    const r = await parse(['work', 'submit', 'echo', '-p', 'in.txt', '-n']);
    expect(r.call?.opts).toMatchObject({ payload: 'in.txt', noPayload: true });
    expect((await parse(['work', 'submit', 'echo', '-l', 'hi'])).call?.opts).toMatchObject({ payloadLiteral: 'hi', noPayload: false });
  });

  it("program - work list takes --unit-id and receptorctl's --unit_id", async () => {
    expect((await parse(['work', 'list', '--unit-id', 'u1', '-q'])).call?.opts).toMatchObject({ unitId: 'u1', quiet: true });
    expect((await parse(['work', 'list', '--unit_id', 'u2'])).call?.opts).toMatchObject({ unitId: 'u2', quiet: false });
    expect((await parse(['work', 'list', '--node', 'n3', '--tls-client', 't'])).call?.opts).toMatchObject({ node: 'n3', tlsClient: 't' });
  });

  it('program - work results takes --start-pos as a non-negative integer', async () => {
    expect((await parse(['work', 'results', 'u1', '--start-pos', '42'])).call?.opts).toEqual({ unitId: 'u1', startPos: 42 });
    expect((await parse(['work', 'results', 'u1'])).call?.opts).toEqual({ unitId: 'u1', startPos: undefined });
    const bad = await parse(['work', 'results', 'u1', '--start-pos', '-1']);
    expect(bad.exit).toBe(2);
  });

  it('program - work status, cancel and release take their ids', async () => {
    expect((await parse(['work', 'status', 'u1', '--yaml'])).call?.opts).toEqual({
      unitIds: ['u1'],
      wait: false,
      waitTimeout: undefined,
      for: undefined,
      json: undefined,
      yaml: true,
    });
    expect((await parse(['work', 'cancel', 'u1', 'u2'])).call?.opts).toMatchObject({ unitIds: ['u1', 'u2'] });
    expect((await parse(['work', 'cancel'])).exit).toBe(2);
    expect((await parse(['work', 'release', '--all', '--force'])).call?.opts).toMatchObject({ unitIds: [], all: true, force: true });
  });

  it('program - node -c FILE runs the node with that config', async () => {
    const r = await parse(['node', '-c', 'node.yaml']);
    expect(r.exit).toBeUndefined();
    expect(r.call).toMatchObject({ path: 'node', opts: { config: 'node.yaml' } });
    expect((await parse(['node'])).exit).toBe(2);
  });

  it('program - demo takes --keep', async () => {
    expect((await parse(['demo'])).call).toMatchObject({ path: 'demo', opts: { keep: false } });
    expect((await parse(['demo', '--keep'])).call?.opts).toEqual({ keep: true });
  });

  it("program - cert verbs take flags and Receptor's key=value words, through the same invoke as every verb", async () => {
    const init = await parse(['cert', 'init', '--common-name', 'My CA', 'outcert=ca.crt', '--out-key', 'ca.key']);
    expect(init.call).toMatchObject({ path: 'cert init', opts: { commonName: 'My CA', outKey: 'ca.key', params: ['outcert=ca.crt'] } });
    const mk = await parse(['cert', 'makereq', '--dns-name', 'a', '--dns-name', 'b', '--node-id', 'n1']);
    expect(mk.call).toMatchObject({ path: 'cert makereq', opts: { dnsName: ['a', 'b'], nodeId: ['n1'], params: [] } });
    expect((await parse(['cert', 'signreq', '-y', 'req=x.csr'])).call).toMatchObject({ path: 'cert signreq', opts: { yes: true, params: ['req=x.csr'] } });
    expect((await parse(['cert', 'inspect', 'a.crt', 'b.csr', '--json'])).call).toMatchObject({ path: 'cert inspect', opts: { files: ['a.crt', 'b.csr'], json: true } });
    expect((await parse(['cert', 'inspect'])).exit).toBe(2);
  });
});

describe('program - only the command argv names is built', () => {
  const ctx = (): ProgramContext => {
    const f = fakeIo();
    return { io: f.io, invoke: async () => undefined };
  };
  // help and the hidden __complete (the completion scripts' entry) are built with the full tree, and are not in the list.
  const names = (c: Command): string[] => c.commands.map((x) => x.name()).filter((n) => n !== 'help' && n !== '__complete');

  it('program - TOP_LEVEL_COMMANDS is the full tree, in order', () => {
    expect(names(buildProgram(ctx()))).toEqual([...TOP_LEVEL_COMMANDS]);
  });

  it('program - a command builds only itself; help, unknown words and no command build everything', () => {
    for (const name of TOP_LEVEL_COMMANDS) expect(names(buildProgram(ctx(), scopeFor([name], name)))).toEqual([name]);
    expect(names(buildProgram(ctx(), scopeFor(['help', 'status'], 'help')))).toEqual([...TOP_LEVEL_COMMANDS]);
    expect(names(buildProgram(ctx(), scopeFor(['stauts'], 'stauts')))).toEqual([...TOP_LEVEL_COMMANDS]);
    expect(names(buildProgram(ctx(), scopeFor(['--help'], undefined)))).toEqual([...TOP_LEVEL_COMMANDS]);
    expect(names(buildProgram(ctx(), scopeFor([], undefined)))).toEqual([...TOP_LEVEL_COMMANDS]);
    expect(names(buildProgram(ctx(), scopeFor(['--version'], undefined)))).toEqual([]);
    expect(names(buildProgram(ctx(), scopeFor(['--version', '--help'], undefined)))).toEqual([...TOP_LEVEL_COMMANDS]);
  });

  it('program - help of a command and of the root read the same with the partial tree', async () => {
    const whole = fakeIo();
    const part = fakeIo();
    const run = async (io: ReturnType<typeof fakeIo>, scope: Parameters<typeof buildProgram>[1]) =>
      buildProgram({ ...ctx(), io: io.io }, scope).parseAsync(['work', 'submit', '--help'], { from: 'user' }).catch(() => undefined);
    await run(whole, {});
    await run(part, { only: 'work' });
    expect(part.stdout()).toBe(whole.stdout());
    expect(part.stdout()).toContain('--payload-literal');
    const root = await parse(['--help']);
    for (const name of TOP_LEVEL_COMMANDS) expect(root.out).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });
});

describe('program - errors and help', () => {
  it('program - an unknown command is a usage error with the suggestion as hint', async () => {
    const r = await parse(['stauts']);
    expect(r).toMatchObject({ exit: 2, message: "unknown command 'stauts'", hint: 'did you mean status?' });
  });

  it('program - an unknown option is a usage error quoting it', async () => {
    const r = await parse(['status', '--jsn']);
    expect(r.exit).toBe(2);
    expect(r.message).toContain("'--jsn'");
  });

  it('program - --version prints the version on stdout and exits 0', async () => {
    const r = await parse(['--version']);
    expect(r.exit).toBe(0);
    expect(r.out).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('program - --help goes to stdout; no command at all prints help on stdout too, exit 0 (as gh and kubectl)', async () => {
    const h = await parse(['work', 'submit', '--help']);
    expect(h.exit).toBe(0);
    expect(h.out).toContain('--payload-literal');
    expect(h.out).toContain('Global Options:');
    const none = await parse([]);
    expect(none.exit).toBe(0);
    expect(none.out).toContain('Usage: meshctl');
    expect(none.err).toBe('');
  });
});
