// The node's side of the unit runner (script.ts): started on the first unit, spoken to over Node's IPC
// channel. Each program gets a key; `spawn` resolves with its PID once it runs, and `exited` resolves
// with how it ended, or with null when the runner itself went away first (the unit then learns the end
// from the status file and the program's PID, as a restarted node does).
import { spawn, type ChildProcess } from 'node:child_process';
import type { NodeLogger } from '../../logger.js';
import { runnerSource, type RunnerEvent, type RunnerSpawn } from './script.js';

export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A start failure as Node reports one (code + message), at the stage where it happened. */
export class RunnerStartError extends Error {
  override name = 'RunnerStartError';
  constructor(
    readonly stage: 'open-stdin' | 'open-stdout' | 'spawn' | 'runner',
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface StartedProgram {
  pid: number;
  /** How the program ended; null when the runner stopped before it could say. */
  exited: Promise<ProgramExit | null>;
}

interface Waiting {
  started: (p: StartedProgram) => void;
  failed: (e: RunnerStartError) => void;
  exited?: (e: ProgramExit | null) => void;
}

export type SpawnRequest = Omit<RunnerSpawn, 'op' | 'key'>;

export class UnitRunner {
  private child: ChildProcess | undefined;
  private nextKey = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;

  constructor(private readonly logger: NodeLogger) {}

  /** The runner's PID while one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts a program through the runner (starting the runner first if needed). */
  start(req: SpawnRequest): Promise<StartedProgram> {
    if (this.closed) return Promise.reject(new RunnerStartError('runner', 'ECLOSED', 'the node is shutting down'));
    const child = this.child ?? this.launch();
    const key = this.nextKey++;
    return new Promise((resolve, reject) => {
      this.waiting.set(key, { started: resolve, failed: reject });
      const msg: RunnerSpawn = { op: 'spawn', key, ...req };
      child.send(msg, (err) => {
        if (!err) return;
        this.waiting.delete(key);
        reject(new RunnerStartError('runner', 'EIPC', `unit runner: ${err.message}`));
      });
    });
  }

  private launch(): ChildProcess {
    // NODE_OPTIONS of the node (a test runner's loader, a heap size) is not the runner's business.
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['-e', runnerSource()], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env,
      windowsHide: true,
    });
    this.child = child;
    child.on('message', (m: RunnerEvent) => this.onEvent(m));
    child.on('error', (err) => this.logger.error(`unit runner: ${err.message}`));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (!this.closed) this.logger.warning(`unit runner (PID ${child.pid}) stopped (${signal ?? `exit ${code}`}); running units are watched through their status files`);
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of waiting) {
        if (w.exited) w.exited(null);
        else w.failed(new RunnerStartError('runner', 'ESRCH', 'the unit runner stopped'));
      }
    });
    // The runner must not keep the node's process alive, nor the node the runner's.
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    this.logger.debug(`unit runner started as PID ${child.pid}`);
    return child;
  }

  private onEvent(m: RunnerEvent): void {
    const w = this.waiting.get(m.key);
    if (!w) return;
    switch (m.op) {
      case 'spawned': {
        const exited = new Promise<ProgramExit | null>((resolve) => (w.exited = resolve));
        w.started({ pid: m.pid, exited });
        break;
      }
      case 'failed':
        this.waiting.delete(m.key);
        w.failed(new RunnerStartError(m.stage, m.code, m.message));
        break;
      case 'exit':
        this.waiting.delete(m.key);
        w.exited?.({ code: m.code, signal: m.signal as NodeJS.Signals | null });
        break;
    }
  }

  /** Lets the runner go: it keeps watching the programs still running and exits after the last one. */
  close(): void {
    this.closed = true;
    const child = this.child;
    if (child?.connected) child.disconnect();
  }
}
