// One work unit: its directory `<datadir>/<nodeid>/<unitid>/` (mode 0700) holding `status`, `stdin` and
// `stdout` (0600), its in-memory status, and for `work-command` units the running program.
//
// Differences from Receptor that are deliberate:
// - Receptor starts a `receptor --command-runner` helper that runs the program and rewrites the status
//   file every 250 ms; here the node runs the program itself (no shell), with stdout and stderr both
//   writing straight into the `stdout` file, so output never passes through the node's memory.
// - The program gets its own session and process group (`detached`); cancel signals the whole group
//   (SIGINT, then SIGKILL after the grace period, and SIGKILL again for stragglers), so background
//   children do not outlive the unit. Receptor signals only the top process (pkg/workceptor/command.go
//   termThenKill), which leaves e.g. `sh -c 'sleep 100 & sleep 100'`'s background sleep running.
// - Followers of `work results` are woken by fs.watch on the stdout file and by status changes, not by
//   a 250 ms poll.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsc, openSync, watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { WorkCommandConfig } from '../../config/types.js';
import type { NodeLogger } from '../logger.js';
import { exitText } from './exit-text.js';
import { errnoText, forkExecError, lookPath } from './lookpath.js';
import { shlexSplit } from './shlex.js';
import {
  statusForReply,
  WorkState,
  type CommandExtraData,
  type StatusFileData,
} from './status.js';
import { delay, UnitBase, type UnitOpOutcome } from './unit-base.js';

export interface WorkUnitOptions {
  id: string;
  dir: string;
  status: StatusFileData;
  /** The work-command definition; undefined for a unit of a type this node does not have. */
  def: WorkCommandConfig | undefined;
  logger: NodeLogger;
  /** Time between SIGINT and SIGKILL on cancel (Receptor: 10 s). */
  cancelGraceMs: number;
}

/** `params` of the config joined with the submitter's (pkg/workceptor/command.go combineParams). */
export function combineParams(base: string, user: string): string {
  if (user === '') return base;
  if (base === '') return user;
  return `${base} ${user}`;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export class WorkUnit extends UnitBase {
  readonly def: WorkCommandConfig | undefined;
  private readonly cancelGraceMs: number;
  private child: ChildProcess | undefined;
  private running = false;
  private exited: Promise<void> = Promise.resolve();
  private stopReason: 'cancel' | 'shutdown' | undefined;
  private cancelledBeforeStart = false;
  private watcher: FSWatcher | undefined;
  private sizeTimer: NodeJS.Timeout | undefined;
  private sizeInterval: NodeJS.Timeout | undefined;

  constructor(opts: WorkUnitOptions) {
    super(opts);
    this.def = opts.def;
    this.cancelGraceMs = opts.cancelGraceMs;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The object `work status` answers (ExtraData "Unknown WorkType" for types this node lacks). */
  reply(): Record<string, unknown> {
    return this.def ? statusForReply(this.status) : statusForReply(this.status, 'Unknown WorkType');
  }

  /** Starts the program. Failures become the unit's Failed status (Receptor's runner does the same). */
  async start(): Promise<UnitOpOutcome> {
    await this.run();
    return 'done';
  }

  private async run(): Promise<void> {
    const def = this.def;
    if (!def) return;
    if (this.cancelledBeforeStart) {
      await this.updateBasic(WorkState.Canceled, 'Canceled', 0);
      return;
    }
    const ed = this.current.ExtraData as CommandExtraData | null;
    const params = ed && typeof ed === 'object' && typeof ed.Params === 'string' ? ed.Params : def.params;
    let args: string[];
    let file: string;
    try {
      args = params === '' ? [] : shlexSplit(params);
      file = await lookPath(def.command);
    } catch (err) {
      await this.updateBasic(WorkState.Failed, (err as Error).message, await fileSize(this.stdoutPath));
      return;
    }
    let inFd: number;
    let outFd: number;
    try {
      inFd = openSync(this.stdinPath, fsc.O_RDONLY);
    } catch (err) {
      await this.updateBasic(WorkState.Failed, `open ${this.stdinPath}: ${errnoText(err as NodeJS.ErrnoException)}`, 0);
      return;
    }
    try {
      outFd = openSync(this.stdoutPath, fsc.O_CREAT | fsc.O_WRONLY, 0o600);
    } catch (err) {
      closeSync(inFd);
      await this.updateBasic(WorkState.Failed, `open ${this.stdoutPath}: ${errnoText(err as NodeJS.ErrnoException)}`, 0);
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        stdio: [inFd, outFd, outFd],
        detached: true,
        argv0: def.command,
        windowsHide: true,
      });
    } finally {
      // The child has its own copies of the descriptors now.
      closeSync(inFd);
      closeSync(outFd);
    }
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.on('error', (err) => {
        if (child.pid === undefined) {
          void this.updateBasic(WorkState.Failed, forkExecError(file, err as NodeJS.ErrnoException), 0);
          resolve(false);
        } else {
          this.logger.error(`[${this.id}] child process error: ${err.message}`);
        }
      });
    });
    if (!spawned) return;
    this.child = child;
    this.running = true;
    const pid = child.pid!;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        void this.onExit(code, signal).then(resolve, resolve);
      });
    });
    this.watchOutput();
    await this.update({
      State: WorkState.Running,
      Detail: `Running: PID ${pid}`,
      ExtraData: { Pid: pid, Params: params },
    });
    this.logger.debug(`[${this.id}] started ${def.command} as PID ${pid}`);
  }

  private watchOutput(): void {
    try {
      this.watcher = watch(this.stdoutPath, { persistent: false }, () => this.onOutput());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // No inotify: followers fall back to their periodic re-read.
    }
    // Output written before the watch was in place, or by writers inotify misses, still shows up.
    this.onOutput();
    this.sizeInterval = setInterval(() => this.onOutput(), 1000);
    this.sizeInterval.unref();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.sizeTimer) clearTimeout(this.sizeTimer);
    this.sizeTimer = undefined;
    if (this.sizeInterval) clearInterval(this.sizeInterval);
    this.sizeInterval = undefined;
  }

  // New output: wake followers now; refresh StdoutSize in the status at most every 250 ms (the rate of
  // Receptor's command runner).
  private onOutput(): void {
    this.bump();
    if (this.sizeTimer || !this.running) return;
    this.sizeTimer = setTimeout(() => {
      this.sizeTimer = undefined;
      if (!this.running) return;
      void fileSize(this.stdoutPath).then((size) => {
        if (this.running && size !== this.current.StdoutSize) void this.update({ StdoutSize: size });
      });
    }, 250);
  }

  private async onExit(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.running = false;
    this.stopWatching();
    const size = await fileSize(this.stdoutPath);
    let state: number;
    let detail: string;
    if (this.stopReason === 'cancel') {
      state = WorkState.Canceled;
      detail = 'Canceled';
    } else if (this.stopReason === 'shutdown') {
      // What Receptor's command runner writes when it is itself told to stop (SIGINT/SIGTERM).
      state = WorkState.Failed;
      detail = 'Killed';
    } else {
      state = code === 0 ? WorkState.Succeeded : WorkState.Failed;
      detail = exitText(code, signal);
    }
    await this.update({ State: state, Detail: detail, StdoutSize: size, ExtraData: null });
    this.logger.debug(`[${this.id}] finished: ${detail}`);
  }

  /**
   * `work cancel`: stops the program's whole process group (SIGINT, SIGKILL after the grace period) and
   * marks the unit Canceled. A unit with nothing running keeps its state, as in Receptor.
   */
  async cancel(): Promise<UnitOpOutcome> {
    if (!this.running || !this.child?.pid) {
      // Still waiting for its payload: it will not start (Receptor would start it anyway).
      if (this.current.State === WorkState.Pending) this.cancelledBeforeStart = true;
      return 'done';
    }
    await this.stop('cancel', 'SIGINT', this.cancelGraceMs);
    return 'done';
  }

  /** Node shutdown: the program is stopped and the unit marked Failed/"Killed". */
  async shutdown(graceMs: number): Promise<void> {
    if (!this.running || !this.child?.pid) return;
    await this.stop('shutdown', 'SIGTERM', graceMs);
  }

  private async stop(reason: 'cancel' | 'shutdown', first: NodeJS.Signals, graceMs: number): Promise<void> {
    const pid = this.child!.pid!;
    this.stopReason ??= reason;
    signalGroup(pid, first);
    await Promise.race([this.exited, delay(graceMs)]);
    // Also reaches members of the group that ignored the first signal (background jobs of a shell).
    signalGroup(pid, 'SIGKILL');
    await this.exited;
  }

  /** `work release`: cancel, then delete the directory (3 tries, 1 s apart, unless forced). */
  async release(force: boolean): Promise<UnitOpOutcome> {
    try {
      await this.cancel();
    } catch (err) {
      if (!force) throw err;
    }
    await this.removeDirectory(force);
    return 'done';
  }

  protected override onReleased(): void {
    this.stopWatching();
  }
}
