// Child processes of e2e tests: run one to its end with its output captured, and stop the long-running ones a test
// file started (SIGTERM, then wait for the exit) in its afterAll.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args` to its end; `stdin`, when given, is written and then closed (otherwise stdin stays an open pipe). */
export function runCaptured(file: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; stdin?: string }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: o.cwd, env: o.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (o.stdin !== undefined) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(o.stdin);
    }
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** SIGTERMs every child still running and waits for each to exit. */
export async function stopChildren(children: readonly ChildProcess[]): Promise<void> {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await gone;
    }
  }
}
