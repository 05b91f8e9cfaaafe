// Receptor's command-line form (`--section key=value ...`, ghjm/cmdline's ParseAndRun) → the same NodeConfig the
// YAML reader gives for the same sections, with the same checks and messages labelled by the word.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { loadNodeArgs, splitNodeArgs } from '../../../src/config/argv.js';
import { parseConfig } from '../../../src/config/parse.js';
import type { NodeConfig } from '../../../src/config/types.js';
import { MeshctlError } from '../../../src/errors.js';
import { firstOperand, normaliseArgv } from '../../../src/cli/argv.js';
import { classify } from '../../../src/cmdutil/errors.js';
import { GLOBAL_OPTIONS_WITH_VALUE } from '../../../src/cli/global-options.js';
import { buildProgram, scopeFor, type ProgramContext } from '../../../src/cli/program.js';
import { fakeIo } from '../cmdutil/fake-io.js';

const opts = { hostname: 'testhost' };

/** The config without where-it-came-from, so a command line and a YAML file can be compared. */
function shape(cfg: NodeConfig): unknown {
  return JSON.parse(
    JSON.stringify({ ...cfg, entries: undefined, file: undefined }, (k, v: unknown) => (k === 'source' ? undefined : v)),
  );
}

async function argvError(words: string[]): Promise<MeshctlError> {
  try {
    await loadNodeArgs(words, opts);
  } catch (err) {
    if (err instanceof MeshctlError) return err;
    throw err;
  }
  throw new Error(`no error for ${words.join(' ')}`);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-argv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('config argv', () => {
  it('config argv - every supported section kind reads as its YAML twin', async () => {
    const words = [
      '--node', 'id=foo', 'datadir=/tmp/d', 'maxidleconnectiontimeout=30s',
      '--log-level', 'debug',
      '--trace',
      '--local-only',
      '--control-service', 'filename=/tmp/x.sock', 'permissions=0660',
      '--control-service', 'service=ctl2', 'tcplisten=127.0.0.1:0', 'tcptls=srv',
      '--tls-server', 'name=srv', 'cert=/c.pem', 'key=/k.pem', 'requireclientcert=true', 'clientcas=/ca.pem',
      '--tls-client', 'name=cli', 'cert=/c.pem', 'key=/k.pem', 'insecureskipverify=true', 'mintls13=false',
      '--work-signing', 'privatekey=/priv.pem', 'tokenexpiration=1h',
      '--work-verification', '/pub.pem',
      '--work-command', 'worktype=cat', 'command=cat', 'params=-n a=b', 'allowruntimeparams=true', 'verifysignature=true',
      '--tcp-listener', 'port=0', 'cost=2.5', 'nodecost={"b": 3}', 'tls=srv',
      '--tcp-peer', 'localhost:2222', 'redial=false', 'allowedpeers=a', 'allowedpeers=b',
      '--ws-listener', 'port=0', 'path=/mesh', 'bindaddr=127.0.0.1',
      '--ws-peer', 'address=ws://localhost:1/mesh', 'extraheader=X-A: b', 'tls=cli',
      '--tcp-server', 'port=0', 'remotenode=b', 'remoteservice=svc', 'tlsclient=cli',
      '--tcp-client', 'service=svc', 'address=127.0.0.1:9', 'tlsserver=srv',
    ];
    const yaml = `
- node: {id: foo, datadir: /tmp/d, maxidleconnectiontimeout: 30s}
- log-level: debug
- trace
- local-only
- control-service: {filename: /tmp/x.sock, permissions: 0660}
- control-service: {service: ctl2, tcplisten: "127.0.0.1:0", tcptls: srv}
- tls-server: {name: srv, cert: /c.pem, key: /k.pem, requireclientcert: true, clientcas: /ca.pem}
- tls-client: {name: cli, cert: /c.pem, key: /k.pem, insecureskipverify: true, mintls13: false}
- work-signing: {privatekey: /priv.pem, tokenexpiration: 1h}
- work-verification: /pub.pem
- work-command: {worktype: cat, command: cat, params: "-n a=b", allowruntimeparams: true, verifysignature: true}
- tcp-listener: {port: 0, cost: 2.5, nodecost: {b: 3}, tls: srv}
- tcp-peer: {address: "localhost:2222", redial: false, allowedpeers: [a, b]}
- ws-listener: {port: 0, path: /mesh, bindaddr: 127.0.0.1}
- ws-peer: {address: "ws://localhost:1/mesh", extraheader: "X-A: b", tls: cli}
- tcp-server: {port: 0, remotenode: b, remoteservice: svc, tlsclient: cli}
- tcp-client: {service: svc, address: "127.0.0.1:9", tlsserver: srv}
`;
    const fromArgv = await loadNodeArgs(words, opts);
    expect(shape(fromArgv)).toEqual(shape(parseConfig(yaml, { file: 'x.yaml', ...opts })));
    // Spot checks that the comparison is not vacuous: coerced types and the repeated sections are there.
    expect(fromArgv.controlServices.map((c) => c.permissions)).toEqual([0o660, 0o600]);
    expect(fromArgv.mesh.tcpListeners[0]).toMatchObject({ port: 0, cost: 2.5, nodecost: { b: 3 } });
    expect(fromArgv.mesh.tcpPeers[0]).toMatchObject({ address: 'localhost:2222', redial: false, allowedpeers: ['a', 'b'] });
    expect(fromArgv.workCommands[0]).toMatchObject({ params: '-n a=b', allowruntimeparams: true });
    expect(fromArgv.entries.map((e) => e.label)).toContain('argv: --tcp-peer');
    expect(fromArgv.file).toBeUndefined();
  });

  it('config argv - section names and keys are case-insensitive, a single dash starts a section too', async () => {
    const cfg = await loadNodeArgs(['-Node', 'ID=foo', '--TCP-Listener', 'Port=0', '--control-service', 'FileName=/tmp/s'], opts);
    expect(cfg.node.id).toBe('foo');
    expect(cfg.mesh.tcpListeners).toHaveLength(1);
    expect(cfg.controlServices[0]!.filename).toBe('/tmp/s');
  });

  it('config argv - a bare word fills the barevalue field; the later of two words for one field wins', async () => {
    const cfg = await loadNodeArgs(['--node', 'foo', '--tcp-listener', '2222', '--log-level', 'warning'], opts);
    expect(cfg.node.id).toBe('foo');
    expect(cfg.mesh.tcpListeners[0]!.port).toBe(2222);
    expect(cfg.logLevel).toBe('warning');
    expect((await loadNodeArgs(['--node', 'id=a', 'b'], opts)).node.id).toBe('b');
    expect((await loadNodeArgs(['--node', 'b', 'id=a'], opts)).node.id).toBe('a');
  });

  it('config argv - booleans take Go spellings and refuse others', async () => {
    for (const [word, value] of [['true', true], ['1', true], ['T', true], ['false', false], ['no', false]] as const) {
      const cfg = await loadNodeArgs(['--node', 'id=a', '--tcp-peer', 'address=h:1', `redial=${word}`], opts);
      expect(cfg.mesh.tcpPeers[0]!.redial).toBe(value);
    }
    const e = await argvError(['--node', 'id=a', '--tcp-peer', 'address=h:1', 'redial=maybe']);
    expect(e.code).toBe('EBADCONFIG');
    expect(e.message).toBe("argv: --tcp-peer: bad value for 'redial': could not parse maybe as boolean");
  });

  it('config argv - a word with no section before it is refused', async () => {
    const e = await argvError(['id=x', '--node', 'id=y']);
    expect(e.message).toBe("argv: 'id=x': a parameter before any section");
    expect(e.hint).toContain('--node id=NAME');
  });

  it('config argv - an unknown section or key gets the YAML message and hint, naming the word', async () => {
    const s = await argvError(['--node', 'id=a', '--tcp-listner', 'port=0']);
    expect(s.message).toBe("argv: --tcp-listner: unknown section '--tcp-listner'");
    expect(s.hint).toBe("did you mean '--tcp-listener'?");
    const k = await argvError(['--node', 'id=a', '--tcp-listener', 'prot=0']);
    expect(k.message).toBe("argv: --tcp-listener: unknown key 'prot'");
    expect(k.hint).toMatch(/^did you mean 'port'\?/);
    const b = await argvError(['--node', 'id=a', '--tcp-server', '8080']);
    expect(b.message).toBe("argv: --tcp-server: section 'tcp-server' does not take a bare value ('8080')");
    expect(b.hint).toContain('--tcp-server key=value');
    const t = await argvError(['--node', 'id=a', '--tcp-listener', 'port=http']);
    expect(t.message).toBe('argv: --tcp-listener: bad value for \'port\': strconv.ParseInt: parsing "http": invalid syntax');
    const n = await argvError(['--node', 'id=a', '--trace', 'x=1']);
    expect(n.message).toBe("argv: --trace: unknown key 'x'");
  });

  it('config argv - required parameters, singletons and references are checked as for YAML', async () => {
    expect((await argvError(['--node', 'id=a', '--work-command', 'worktype=cat'])).message).toBe(
      'argv: --work-command: required parameter missing: command',
    );
    expect((await argvError(['--node', 'id=a', '--node', 'id=b'])).message).toBe('argv: --node: only one node directive is allowed');
    const ref = await argvError(['--node', 'id=a', '--tcp-listener', 'port=0', 'tls=nope']);
    expect(ref.message).toBe('argv: --tcp-listener: unknown TLS config nope');
    expect((await argvError(['--node', 'id=a', '--tcp-listener', 'port=0', 'cost=0'])).message).toBe(
      'argv: --tcp-listener: connection cost must be positive',
    );
    expect((await argvError(['--node', 'id=a b', '--local-only'])).message).toBe(
      'argv: --node: node id can only contain a-z, A-Z, 0-9 or special characters . - _ @ : but received: a b',
    );
  });

  it("config argv - sections meshctl node doesn't run stay refused with the YAML error", async () => {
    const e = await argvError(['--node', 'id=a', '--udp-server', 'port=0']);
    expect(e.message).toBe("argv: --udp-server: section 'udp-server' is not supported by the meshctl node");
    expect(e.hint).toBe('remove it, or run real receptor');
  });

  // Receptor's tests/functional/cli TestNegativeCost/--udp-listener: receptor checks a backend's cost in its
  // Prepare, so cost=-1 is refused in those words; a valid cost starts the UDP backend.
  it("config argv - a UDP section with a cost of 0 or less gets receptor's cost error; a positive cost is taken", async () => {
    for (const sec of ['--udp-listener', '--udp-peer']) {
      const e = await argvError(['--node', 'id=a', sec, sec === '--udp-peer' ? 'address=x:1' : 'port=0', 'cost=-1']);
      expect(e.message).toBe(`argv: ${sec}: connection cost must be positive`);
      const cfg = await loadNodeArgs(['--node', 'id=a', sec, sec === '--udp-peer' ? 'address=x:1' : 'port=0', 'cost=2'], opts);
      expect([...(cfg.mesh.udpListeners ?? []), ...(cfg.mesh.udpPeers ?? [])].map((b) => b.cost)).toEqual([2]);
    }
  });

  it('config argv - --config FILE merges the file sections at its place; errors in the file name the file line', async () => {
    const file = path.join(dir, 'base.yaml');
    await writeFile(file, '- node:\n    id: fromfile\n- work-command:\n    worktype: cat\n    command: cat\n');
    const cfg = await loadNodeArgs(['--tcp-listener', 'port=0', '--config', file], opts);
    expect(cfg.node.id).toBe('fromfile');
    expect(cfg.workCommands.map((w) => w.worktype)).toEqual(['cat']);
    expect(cfg.entries.map((e) => e.section)).toEqual(['tcp-listener', 'node', 'work-command']);
    // cmdline's singleton rule: a --node after a file's node is refused, a file's node after --node wins (receptor
    // 1.6.5 started with `--node id=b -c base.yaml` has the file's id), two in one file are refused.
    expect((await argvError(['-c', file, '--node', 'id=b'])).message).toBe('argv: --node: only one node directive is allowed');
    expect((await loadNodeArgs(['--node', 'id=b', '--config', file], opts)).node.id).toBe('fromfile');
    const two = path.join(dir, 'two.yaml');
    await writeFile(two, '- node:\n    id: one\n- node:\n    id: two\n');
    expect((await argvError(['--node', 'id=b', '--config', two])).message).toBe(`${two}:3: entry #2 (node): only one node directive is allowed`);
    // The same work type twice is refused wherever it comes from.

    const dup = await argvError(['-c', file, '--work-command', 'worktype=cat', 'command=cat']);
    expect(dup.message).toBe('argv: --work-command: work type cat already registered');
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, '- node:\n    id: a\n- tcp-listener:\n    prot: 1\n');
    expect((await argvError(['--local-only', '--config', bad])).message).toBe(`${bad}:4: entry #2 (tcp-listener): unknown key 'prot'`);
    expect((await argvError(['--config', path.join(dir, 'missing.yaml')])).code).toBe('EBADFILE');
  });

  it("config argv - --config without a file, no sections at all, and meshctl's own flags after a section are refused", async () => {
    expect((await argvError(['--node', 'id=a', '--config'])).message).toBe('argv: --config: needs a file name');
    expect((await argvError(['-c', '--node', 'id=a'])).message).toBe('argv: -c: needs a file name');
    expect((await argvError([])).message).toBe('argv: no sections given');
    const d = await argvError(['--node', 'id=a', '--debug']);
    expect(d.message).toBe("argv: --debug: '--debug' is meshctl's option, not a receptor section");
    expect(d.hint).toContain('before the first section');
  });

  it('config argv - splitting keeps a value containing = whole and splits at the first =', () => {
    const parts = splitNodeArgs(['--work-command', 'worktype=sh', 'command=sh', 'params=-c x=1']);
    expect(parts).toHaveLength(1);
    const entry = parts[0]!.kind === 'entry' ? parts[0]!.entry : undefined;
    expect(entry?.params).toEqual([
      ['worktype', 'sh', undefined],
      ['command', 'sh', undefined],
      ['params', '-c x=1', undefined],
    ]);
  });
});

async function parseCli(argv: string[]): Promise<{ opts?: unknown; exit?: number; message?: string }> {
  const f = fakeIo();
  let seen: unknown;
  const ctx: ProgramContext = {
    io: f.io,
    invoke: async (_cmd: Command, o) => {
      seen = o;
    },
  };
  try {
    const args = normaliseArgv(argv);
    await buildProgram(ctx, scopeFor(args, firstOperand(args, GLOBAL_OPTIONS_WITH_VALUE))).parseAsync(args, { from: 'user' });
    return { opts: seen };
  } catch (err) {
    const v = classify(err);
    return { exit: v.exit, message: v.message };
  }
}

describe('cli node argv', () => {
  it('cli node argv - receptor words pass through to the node command in order, -c before them kept in place', async () => {
    expect((await parseCli(['node', '--node', 'id=x', '--tcp-listener', 'port=0', 'cost=2', '-c', 'f.yaml'])).opts).toEqual({
      args: ['--node', 'id=x', '--tcp-listener', 'port=0', 'cost=2', '-c', 'f.yaml'],
    });
    expect((await parseCli(['node', '-c', 'a.yaml', '--node', 'id=x'])).opts).toEqual({ args: ['--config', 'a.yaml', '--node', 'id=x'] });
    expect((await parseCli(['node', '-c', 'a.yaml', '-c', 'b.yaml'])).opts).toEqual({ args: ['--config', 'a.yaml', '--config', 'b.yaml'] });
    expect((await parseCli(['node', '-c', 'a.yaml'])).opts).toEqual({ config: 'a.yaml' });
    expect((await parseCli(['node', '--local-only', '--node', 'id=x', '--debug'])).opts).toEqual({
      args: ['--local-only', '--node', 'id=x', '--debug'],
    });
    expect((await parseCli(['node'])).exit).toBe(2);
  });
});
