// `meshctl node` started with receptor's command-line form (issue 12: receptor's own CLI tests start
// `receptor --node id=x --tcp-listener port=0 ...`, which meshctl refused), as the built binary, a real child
// process: it opens its control socket and runs work; a bad word is one stderr line, exit 2.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, ROOT } from './build.js';
import { runCaptured, stopChildren, type Ran } from '../helpers/children.js';

/** Generous bounds for a shared 2-core machine; they only stop a regression from hanging the suite. */
const START_BOUND_MS = 20_000;

const env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-e2e-argv-'));
});

afterAll(async () => {
  await stopChildren(children);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const meshctl = (args: string[]): Promise<Ran> => runCaptured(process.execPath, [BIN, ...args], { cwd: ROOT, env });

async function waitForFile(file: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_BOUND_MS;
  while (!existsSync(file)) {
    if (child.exitCode !== null) throw new Error(`node exited ${child.exitCode}: ${log()}`);
    if (Date.now() > deadline) throw new Error(`no control socket after ${START_BOUND_MS} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('e2e node argv', () => {
  it("e2e node argv - receptor's --section key=value form starts a node that runs work", async () => {
    const sock = path.join(dir, 'x.sock');
    const child = spawn(
      process.execPath,
      [BIN, 'node', '--node', 'id=x', `datadir=${path.join(dir, 'data')}`, '--control-service', `filename=${sock}`, '--work-command', 'worktype=cat', 'command=cat'],
      { cwd: ROOT, env },
    );
    children.push(child);
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitForFile(sock, child, () => log);

    const status = await meshctl(['-s', sock, 'status', '--json']);
    expect(status.code).toBe(0);
    const reply = JSON.parse(status.stdout) as { NodeID: string; Advertisements: { WorkCommands?: { WorkType: string }[] }[] };
    expect(reply.NodeID).toBe('x');
    expect(reply.Advertisements[0]!.WorkCommands!.map((w) => w.WorkType)).toEqual(['cat']);

    const work = await meshctl(['-s', sock, 'work', 'submit', 'cat', '-l', 'hello from argv', '--follow', '--rm']);
    expect(work.stderr).not.toMatch(/meshctl: /);
    expect(work.code).toBe(0);
    expect(work.stdout).toBe('hello from argv\n');

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it('e2e node argv - a misspelt section is one stderr line with a hint, exit 2, nothing started', async () => {
    const sock = path.join(dir, 'bad.sock');
    const r = await meshctl(['node', '--node', 'id=x', '--control-service', `filename=${sock}`, '--tcp-listner', 'port=0']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      "meshctl: argv: --tcp-listner: unknown section '--tcp-listner' (hint: did you mean '--tcp-listener'?)",
    ]);
    expect(existsSync(sock)).toBe(false);
  });
});
