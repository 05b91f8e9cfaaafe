// Shared pieces of the streaming tests: the built CLI as a child process, hashes of files and streams,
// unit files on the node's disk, bounded polling and a seeded PRNG (so a failing fault pattern can be replayed).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BIN, ROOT } from '../../e2e/build.js';
import type { TestNodeFiles } from '../../helpers/node.js';

export { BIN, ROOT };

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** The unit's stdout file as the node keeps it: <datadir>/<node id>/<unit id>/stdout (Receptor's layout). */
export function unitStdout(node: TestNodeFiles, unitId: string): string {
  return path.join(node.dataDir, node.nodeId, unitId, 'stdout');
}

export function sha256File(file: string, length?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file, length === undefined ? {} : { start: 0, end: length - 1 })
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

export async function fileSize(file: string): Promise<number> {
  const fh = await open(file, 'r');
  try {
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** mulberry32: a tiny seeded PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the process has exited and its pipes are drained. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: Buffer }>;
  stderr(): string;
}

/** An environment without the caller's MESHCTL_ / RECEPTORCTL_ settings or vitest's variables. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', NO_COLOR: '1' };
  return { ...env, ...extra };
}

/**
 * Runs `node bin/meshctl.js ...args`. stdout goes to `stdoutFd` when given (a file, so the bytes never pass
 * through this process), else it is collected (`stdout: 'pipe'` leaves it to the caller to read).
 */
export function runCli(args: string[], o: { stdoutFd?: number; stdout?: 'collect' | 'pipe'; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const mode = o.stdoutFd !== undefined ? o.stdoutFd : 'pipe';
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(o.env), stdio: ['ignore', mode, 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (err += d));
  const out: Buffer[] = [];
  if (o.stdoutFd === undefined && (o.stdout ?? 'collect') === 'collect') child.stdout!.on('data', (d: Buffer) => out.push(d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: Buffer }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stderr: err, stdout: Buffer.concat(out) }));
  });
  return { child, done, stderr: () => err };
}

/**
 * Runs a command line meshctl printed in a hint, exactly as printed, through /bin/sh (so its quoting is what a
 * user pasting it gets), with `meshctl` being the built binary. The environment has no MESHCTL_SOCKET: the hint
 * alone must say how to reach the node.
 */
export function runPrinted(commandLine: string, o: { stdoutFd?: number } = {}): CliRun {
  if (!commandLine.startsWith('meshctl ')) throw new Error(`not a meshctl command line: ${commandLine}`);
  const script = `meshctl() { "$MESHCTL_NODE" "$MESHCTL_BIN" "$@"; }\n${commandLine}\n`;
  const mode = o.stdoutFd !== undefined ? o.stdoutFd : 'pipe';
  const child = spawn('/bin/sh', ['-c', script], {
    cwd: ROOT,
    env: cleanEnv({ MESHCTL_NODE: process.execPath, MESHCTL_BIN: BIN }),
    stdio: ['ignore', mode, 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (err += d));
  const out: Buffer[] = [];
  if (o.stdoutFd === undefined) child.stdout!.on('data', (d: Buffer) => out.push(d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: Buffer }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stderr: err, stdout: Buffer.concat(out) }));
  });
  return { child, done, stderr: () => err };
}

/** VmRSS / VmHWM of a live process in bytes (Linux /proc). */
export async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Bytes a process has read with read(2)-like calls so far (sockets included): /proc/PID/io `rchar`. */
export async function bytesReadBy(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/io`, 'utf8');
  return Number(/rchar:\s+(\d+)/.exec(text)?.[1] ?? 0);
}
