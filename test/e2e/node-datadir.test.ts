// `meshctl node -c FILE` (the built binary, a real child process) with a datadir it cannot use: exit 2 and one
// stderr line naming the datadir and the errno text, long before the bound. Regression for issue 10:
// `datadir: /proc/nope` spun for ever (Node's recursive mkdir loops under /proc) and a read-only datadir exited 70
// asking for a stack trace.
//
// A read-only directory: chmod 0500 does not stop root, and CI runs as root. So as root the test mounts a
// read-only tmpfs (and a read-only bind mount, for a `<datadir>/<nodeid>` that exists but takes no files); as
// another user it uses chmod 0500; as root where mounting is not allowed it falls back to a path under a regular
// file (ENOTDIR). The test names say which one ran.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, ROOT } from './build.js';

/** Generous: the check answers in well under a second; this only stops a regression from hanging the suite. */
const BOUND_MS = 10_000;

const isRoot = process.getuid?.() === 0;

/** Whether this process can mount (root in CI; a container without CAP_SYS_ADMIN cannot): tried once, at collection. */
function canMount(): boolean {
  if (!isRoot) return false;
  const probe = mkdtempSync(path.join(os.tmpdir(), 'meshctl-mountprobe-'));
  try {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    if (m.status !== 0) return false;
    spawnSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const MOUNT = canMount();
const READ_ONLY_METHOD = MOUNT ? 'read-only tmpfs mount' : isRoot ? 'path under a regular file (ENOTDIR): cannot mount here' : 'chmod 0500';

/** A path as a literal inside a RegExp. */
const lit = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

let dir: string;
const mounts: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-e2e-datadir-'));
});

afterAll(async () => {
  for (const m of mounts.reverse()) spawnSync('umount', [m], { stdio: 'ignore' });
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface NodeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  ms: number;
}

/** `meshctl node -c CONFIG` for a node `n1` with this datadir; killed (and failing the test) past the bound. */
async function runNode(name: string, datadir: string): Promise<NodeRun> {
  const sock = path.join(dir, `${name}.sock`);
  const cfg = path.join(dir, `${name}.yaml`);
  await writeFile(cfg, `- node:\n    id: n1\n    datadir: ${JSON.stringify(datadir)}\n- control-service:\n    filename: ${JSON.stringify(sock)}\n`);
  const started = performance.now();
  const r = await new Promise<NodeRun>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'node', '-c', cfg], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stderr, stdout, ms: performance.now() - started });
    });
  });
  expect(existsSync(sock), 'the node must not have started listening').toBe(false);
  return r;
}

/** Exit 2 within the bound, nothing on stdout, exactly one stderr line: `meshctl: ... datadir '<path>' ...`. */
function expectOneError(r: NodeRun, datadir: string, detail: RegExp): string {
  expect(r.signal, `killed after ${BOUND_MS} ms: ${r.stderr}`).toBeNull();
  expect(r.code, r.stderr).toBe(2);
  expect(r.ms).toBeLessThan(BOUND_MS);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^meshctl: /);
  expect(lines[0]).toContain(`datadir '${datadir}' is not usable: `);
  expect(lines[0]).toMatch(detail);
  expect(lines[0]).toMatch(/ \(hint: [^\n]+\)$/);
  expect(lines[0]).not.toContain('report the stack trace');
  return lines[0]!;
}

describe('e2e - node datadir', () => {
  it('e2e - node datadir: /proc/nope exits 2 with one line, no endless mkdir loop', async () => {
    const r = await runNode('proc', '/proc/nope');
    expectOneError(r, '/proc/nope', /: mkdir \/proc\/nope: no such file or directory \(hint: /);
  });

  it('e2e - node datadir: a regular file as datadir exits 2 naming it (ENOTDIR)', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'not a directory\n');
    const r = await runNode('file', file);
    expectOneError(r, file, new RegExp(`: mkdir ${lit(file)}: not a directory \\(hint: a file is in the way`));
  });

  it(`e2e - node datadir: a read-only datadir exits 2 naming it [${READ_ONLY_METHOD}]`, async () => {
    const ro = path.join(dir, 'ro');
    await mkdir(ro);
    if (MOUNT) {
      run('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro]);
      mounts.push(ro);
      const r = await runNode('ro', ro);
      expectOneError(r, ro, new RegExp(`: mkdir ${lit(ro)}/n1: read-only file system \\(hint: that file system is mounted read-only`));
    } else if (!isRoot) {
      await chmod(ro, 0o500);
      const r = await runNode('ro', ro);
      expectOneError(r, ro, new RegExp(`: mkdir ${lit(ro)}/n1: permission denied \\(hint: `));
    } else {
      const file = path.join(dir, 'ro-file');
      await writeFile(file, '');
      const under = path.join(file, 'data');
      const r = await runNode('ro', under);
      expectOneError(r, under, new RegExp(`: mkdir ${lit(file)}: not a directory \\(hint: `));
    }
  });

  it(`e2e - node datadir: an existing <datadir>/<nodeid> that takes no files fails the probe [${MOUNT ? 'read-only bind mount' : isRoot ? 'path under a regular file (ENOTDIR): cannot mount here' : 'chmod 0500'}]`, async () => {
    const src = path.join(dir, 'bind-src');
    await mkdir(path.join(src, 'n1'), { recursive: true });
    if (MOUNT) {
      const ro = path.join(dir, 'bind-ro');
      await mkdir(ro);
      run('mount', ['--bind', src, ro]);
      mounts.push(ro);
      run('mount', ['-o', 'remount,bind,ro', ro]);
      const r = await runNode('bind', ro);
      expectOneError(r, ro, new RegExp(`: open ${lit(ro)}/n1/\\.meshctl-probe-\\d+-[0-9a-f]+: read-only file system \\(hint: `));
    } else if (!isRoot) {
      await chmod(path.join(src, 'n1'), 0o500);
      const r = await runNode('bind', src);
      expectOneError(r, src, new RegExp(`: open ${lit(src)}/n1/\\.meshctl-probe-\\d+-[0-9a-f]+: permission denied \\(hint: `));
    } else {
      const file = path.join(src, 'n1', 'file');
      await writeFile(file, '');
      const r = await runNode('bind', file);
      expectOneError(r, file, new RegExp(`: mkdir ${lit(file)}: not a directory \\(hint: `));
    }
  });
});
