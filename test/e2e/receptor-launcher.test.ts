// `meshctl node install-launcher DIR` (issue 12: a suite that calls `receptor` must run unchanged against
// meshctl node): the built binary writes DIR/receptor, and `receptor` found on PATH behaves as receptor 1.6.5
// does at its edges (version, usage, `Error: ...` on stdout with exit 1, texts checked against the real binary
// in test/interop/receptor-launcher-vs-receptor.test.ts) and runs a working node in between. Needs no receptor.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, ROOT } from './build.js';
import { runCaptured, stopChildren, type Ran } from '../helpers/children.js';

/** Generous bound for a shared 2-core machine; it only stops a regression from hanging the suite. */
const START_BOUND_MS = 20_000;

let dir: string;
let launcherDir: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-e2e-launcher-'));
  launcherDir = path.join(dir, 'bin');
  // The launcher's directory first on PATH, as a suite would set it: `receptor` must be found there.
  env = { PATH: `${launcherDir}${path.delimiter}${process.env.PATH ?? ''}`, HOME: process.env.HOME, LANG: 'C.UTF-8' };
});

afterAll(async () => {
  await stopChildren(children);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (file: string, args: string[]): Promise<Ran> => runCaptured(file, args, { cwd: dir, env });

const meshctl = (args: string[]): Promise<Ran> => run(process.execPath, [BIN, ...args]);
const receptor = (args: string[]): Promise<Ran> => run('receptor', args);

describe('e2e receptor launcher', () => {
  it('e2e receptor launcher - install-launcher writes an executable DIR/receptor naming this node and meshctl', async () => {
    const r = await meshctl(['node', 'install-launcher', launcherDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = path.join(launcherDir, 'receptor');
    expect(r.stdout).toBe(`${file}\n`);
    expect(statSync(file).mode & 0o111).toBe(0o111);
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain(`exec '${process.execPath}' '${BIN}' node --receptor-compat "$@"`);
  });

  it('e2e receptor launcher - install-launcher without a directory is a usage error, exit 2', async () => {
    const r = await meshctl(['node', 'install-launcher']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^meshctl: meshctl node install-launcher takes one directory, got 0 word\(s\) \(hint: .*DIR.*\)\n$/);
  });

  it("e2e receptor launcher - receptor --version prints receptor's version, 1.6.5, exit 0", async () => {
    expect(await receptor(['--version'])).toEqual({ code: 0, stdout: '1.6.5\n', stderr: '' });
  });

  it('e2e receptor launcher - no arguments and --help print receptor-style usage on stdout, exit 0', async () => {
    for (const args of [[], ['--help'], ['--node', 'id=x', '-h']]) {
      const r = await receptor(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n')[0]).toBe('Usage: receptor [--<action> [<param>=<value> ...] ...]');
      expect(r.stdout).toMatch(/^ {3}--tcp-listener$/m);
      expect(r.stdout).toMatch(/^ {6}port=<int>: \(required\)$/m);
    }
  });

  // The texts are receptor 1.6.5's for the same command lines (run by the interop test against the real binary).
  const ERRORS: [string, string[], string][] = [
    ['unknown section', ['--tcp-listner', 'port=0'], 'Error: command error: unknown config type tcp-listner\n'],
    ['bad key', ['--node', 'id=x', '--tcp-listener', 'prot=1'], 'Error: config error: unknown field name prot\n'],
    ['missing required key', ['--node', 'id=x', '--work-command', 'worktype=cat'], 'Error: error in --work-command: required parameter missing: command\n'],
    ['negative cost', ['--node', 'id=x', '--tcp-listener', 'port=0', 'cost=-1'], 'Error: connection cost must be positive\n'],
    ['negative cost on a UDP listener', ['--node', 'id=x', '--udp-listener', 'port=0', 'cost=-1'], 'Error: connection cost must be positive\n'],
    ['parameter before any section', ['id=x'], 'Error: parameter specified before command\n'],
    ['version with another section', ['--node', 'id=x', '--version'], 'Error: cannot specify any other options with version\n'],
  ];
  for (const [what, args, stdout] of ERRORS) {
    it(`e2e receptor launcher - ${what} is receptor's Error line on stdout, nothing on stderr, exit 1`, async () => {
      expect(await receptor(args)).toEqual({ code: 1, stdout, stderr: '' });
    });
  }

  it('e2e receptor launcher - a normal run is meshctl node: it answers status and runs a cat unit', async () => {
    const sock = path.join(dir, 'x.sock');
    const child = spawn(
      'receptor',
      ['--node', 'id=x', `datadir=${path.join(dir, 'data')}`, '--control-service', `filename=${sock}`, '--work-command', 'worktype=cat', 'command=cat'],
      { cwd: dir, env },
    );
    children.push(child);
    let log = '';
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => ((log += d.toString()), (out += d.toString())));
    child.stderr!.on('data', (d: Buffer) => ((log += d.toString()), (err += d.toString())));
    const deadline = Date.now() + START_BOUND_MS;
    while (!existsSync(sock)) {
      if (child.exitCode !== null) throw new Error(`receptor (launcher) exited ${child.exitCode}: ${log}`);
      if (Date.now() > deadline) throw new Error(`no control socket after ${START_BOUND_MS} ms: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const status = await meshctl(['-s', sock, 'status', '--json']);
    expect(status.code).toBe(0);
    const reply = JSON.parse(status.stdout) as { NodeID: string; Advertisements: { WorkCommands?: { WorkType: string }[] }[] };
    expect(reply.NodeID).toBe('x');
    expect(reply.Advertisements[0]!.WorkCommands!.map((w) => w.WorkType)).toEqual(['cat']);

    const work = await meshctl(['-s', sock, 'work', 'submit', 'cat', '-l', 'via the launcher', '--follow', '--rm']);
    expect(work.code).toBe(0);
    expect(work.stdout).toBe('via the launcher\n');

    // The launcher execs node, so the signal reaches meshctl node itself, which removes its socket and exits 0.
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(sock)).toBe(false);
    // Receptor logs to stdout (pkg/logger/logger.go: log.New(os.Stdout, ...)) and prints no `listening on` lines;
    // meshctl node's own form logs to stderr. A suite reading receptor's log from stdout must find it there.
    expect(out).toMatch(/^INFO \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d Running control service control \{"node_id":"x"\}\n/);
    expect(out).toContain(' Initialization complete\n');
    expect(out).not.toContain('listening on');
    expect(err).toBe('');
  });

  it('e2e receptor launcher - receptor -c FILE (the fast path) logs to stdout too, meshctl node -c FILE to stderr', async () => {
    const sock = path.join(dir, 'c.sock');
    const cfg = path.join(dir, 'c.yaml');
    await writeFile(cfg, `- node:\n    id: c\n    datadir: ${path.join(dir, 'data-c')}\n- local-only:\n- control-service:\n    filename: ${sock}\n`);
    for (const [file, args, channel] of [
      ['receptor', ['-c', cfg], 'stdout'],
      [process.execPath, [BIN, 'node', '-c', cfg], 'stderr'],
    ] as const) {
      const child = spawn(file, [...args], { cwd: dir, env });
      children.push(child);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const deadline = Date.now() + START_BOUND_MS;
      while (!(channel === 'stdout' ? out : err).includes('Initialization complete')) {
        if (child.exitCode !== null) throw new Error(`${file} exited ${child.exitCode}: ${out}${err}`);
        if (Date.now() > deadline) throw new Error(`no Initialization complete after ${START_BOUND_MS} ms: ${out}${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const [log, other] = channel === 'stdout' ? [out, err] : [err, out];
      expect(log, file).toContain('Running control service control {"node_id":"c"}');
      expect(other, file).toBe('');
      expect(log.includes('Node c listening on'), file).toBe(channel === 'stderr');
    }
  });
});
