// One work unit: its directory `<datadir>/<nodeid>/<unitid>/` (mode 0700) holding `status`, `stdin` and
// `stdout` (0600), its in-memory status, and for `work-command` units the running program.
//
// A unit's life: allocated (Pending) → payload taken whole (intake.ts) → started → Running → ended. The
// program is started by the node's unit runner (runner/), Receptor's `--command-runner` in our form:
// - it outlives the node, so a node stopped by SIGTERM or killed by SIGKILL loses no running work: the
//   restarted node finds the unit Running with its program alive, takes it back (`adopt`) and sees it end
//   through the status file, which the runner writes from spawn to exit (Receptor: MonitorLocalStatus);
// - while the runner owns the status file the node does not write it, so the file is never older than
//   the program's real state; StdoutSize is refreshed in memory only.
// A stop requested while the program is being started (cancel or release racing with start) is honoured
// once it runs, so no program outlives its unit.
//
// Differences from Receptor that are deliberate:
// - one runner process per node, not one per unit (runner/script.ts says why);
// - the program gets its own session and process group (`detached`); cancel signals the whole group
//   (SIGINT, then SIGKILL after the grace period, and SIGKILL again for stragglers), so background
//   children do not outlive the unit. Receptor signals only the top process (pkg/workceptor/command.go
//   termThenKill), which leaves e.g. `sh -c 'sleep 100 & sleep 100'`'s background sleep running;
// - followers of `work results` are woken by fs.watch on the stdout file and by status changes, not by
//   a 250 ms poll.
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { WorkCommandConfig } from '../../config/types.js';
import { goQuote } from '../../protocol/go-json.js';
import type { NodeLogger } from '../logger.js';
import { exitText } from './exit-text.js';
import { leftoverProgram } from './leftover.js';
import { errnoText, forkExecError, lookPath } from './lookpath.js';
import { RunnerStartError, type ProgramExit, type UnitRunner } from './runner/client.js';
import { shlexSplit } from './shlex.js';
import {
  decodeStatusFile,
  isComplete,
  statusForReply,
  statusReplyJson,
  WorkState,
  type CommandExtraData,
  type StatusFileData,
} from './status.js';
import { delay, SETTLED, UnitBase, type UnitOpOutcome } from './unit-base.js';

export interface WorkUnitOptions {
  id: string;
  dir: string;
  status: StatusFileData;
  /** The work-command definition; undefined for a unit of a type this node does not have. */
  def: WorkCommandConfig | undefined;
  logger: NodeLogger;
  /** Time between SIGINT and SIGKILL on cancel (Receptor: 10 s). */
  cancelGraceMs: number;
  /** Starts programs; without it the unit cannot run (a unit only loaded from disk). */
  runner?: UnitRunner;
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

/** Linux's default limit on an exec's arguments and environment (a quarter of the 8 MiB stack limit). */
const ARG_MAX = 2 * 1024 * 1024;

/** How often a unit whose end is not reported to the node (adopted after a restart) checks on it. */
const WATCH_MS = 250;

type Phase = 'new' | 'starting' | 'running' | 'ended';

export class WorkUnit extends UnitBase {
  readonly def: WorkCommandConfig | undefined;
  private readonly cancelGraceMs: number;
  private readonly runner: UnitRunner | undefined;
  private phase: Phase = 'new';
  /** The program's PID, also its process group. */
  private pid = 0;
  private starting: Promise<void> = SETTLED;
  private exited: Promise<void> = SETTLED;
  private stopReason: 'cancel' | 'shutdown' | undefined;
  /**
   * Set at node shutdown: watchers of a program left running stop. A flag, not an AbortController: abort()
   * dispatches an event, and 10k idle units on disk made that 130 ms of every shutdown (bench/node-units.js).
   */
  private detached = false;
  private watcher: FSWatcher | undefined;
  private sizeTimer: NodeJS.Timeout | undefined;
  private sizeInterval: NodeJS.Timeout | undefined;

  constructor(opts: WorkUnitOptions) {
    super(opts);
    this.def = opts.def;
    this.cancelGraceMs = opts.cancelGraceMs;
    this.runner = opts.runner;
  }

  get isRunning(): boolean {
    return this.phase === 'running';
  }

  /** The object `work status` answers (ExtraData "Unknown WorkType" for types this node lacks). */
  reply(): Record<string, unknown> {
    return this.def ? statusForReply(this.status) : statusForReply(this.status, 'Unknown WorkType');
  }

  /** reply()'s JSON without the map (status.ts statusReplyJson): what a 10k-unit `work list` is made of. */
  override replyJson(): string {
    return this.def ? statusReplyJson(this.status) : statusReplyJson(this.status, 'Unknown WorkType');
  }

  /** Starts the program. Failures become the unit's Failed status (Receptor's runner does the same). */
  async start(): Promise<UnitOpOutcome> {
    if (this.phase !== 'new') return 'done';
    this.phase = 'starting';
    this.starting = this.run().finally(() => {
      if (this.phase === 'starting') this.phase = 'ended';
    });
    await this.starting;
    return 'done';
  }

  /** Canceled before its program ran (cancel or release won the race with start). */
  private async stoppedBeforeStart(): Promise<boolean> {
    if (this.stopReason === undefined && !this.released) return false;
    await this.updateBasic(WorkState.Canceled, 'Canceled', 0);
    return true;
  }

  private async run(): Promise<void> {
    const def = this.def;
    if (!def || (await this.stoppedBeforeStart())) return;
    const ed = this.current.ExtraData as CommandExtraData | null;
    const params = ed && typeof ed === 'object' && typeof ed.Params === 'string' ? ed.Params : def.params;
    let args: string[];
    let file: string;
    try {
      if (Buffer.byteLength(params) > ARG_MAX) {
        // The kernel refuses such an exec (E2BIG) whatever the split; splitting tens of MiB of runtime params
        // into millions of arguments first cost seconds of the node's time. Go finds the program first.
        file = await lookPath(def.command);
        await this.updateBasic(WorkState.Failed, forkExecError(file, { code: 'E2BIG' } as NodeJS.ErrnoException), 0);
        return;
      }
      args = params === '' ? [] : shlexSplit(params);
      file = await lookPath(def.command);
    } catch (err) {
      await this.updateBasic(WorkState.Failed, (err as Error).message, await fileSize(this.stdoutPath));
      return;
    }
    if (await this.stoppedBeforeStart()) return;
    if (!this.runner) {
      await this.updateBasic(WorkState.Failed, 'Error starting worker: no unit runner', 0);
      return;
    }
    // From here until the program has ended the runner owns the status file.
    await this.flush();
    let program;
    try {
      program = await this.runner.start({
        file,
        args,
        argv0: def.command,
        dir: this.dir,
        env: { ...process.env },
        workTypeJson: goQuote(this.current.WorkType),
        paramsJson: goQuote(params),
      });
    } catch (err) {
      await this.updateBasic(WorkState.Failed, startErrorText(err, file, this), 0);
      return;
    }
    this.pid = program.pid;
    this.phase = 'running';
    this.exited = program.exited.then((exit) => (exit ? this.onExit(exit) : this.watchUntilEnd()));
    await this.publishOnly({ State: WorkState.Running, Detail: `Running: PID ${this.pid}`, ExtraData: { Pid: this.pid, Params: params } });
    this.watchOutput();
    this.logger.debug(`[${this.id}] started ${def.command} as PID ${this.pid}`);
  }

  /**
   * A restarted node takes back a unit whose program is still running (its PID checked through /proc,
   * leftover.ts); its end shows in the status file the runner writes.
   */
  adopt(pid: number): void {
    this.pid = pid;
    this.phase = 'running';
    this.exited = this.watchUntilEnd();
    this.watchOutput();
    this.logger.info(`[${this.id}] took back the running program (PID ${pid}) after the restart`);
  }

  /**
   * The end of a program the node hears nothing about: the status file turns complete (the runner wrote
   * it), or the program is gone and the file never said how it ended.
   */
  private async watchUntilEnd(): Promise<void> {
    for (;;) {
      const onDisk = await this.readStatusFile();
      if (onDisk && isComplete(onDisk.State)) return this.ended(onDisk.State, onDisk.Detail);
      if (this.detached || this.released) return;
      if ((await leftoverProgram(this.pid, this.stdoutPath)) === undefined) {
        const last = await this.readStatusFile();
        if (last && isComplete(last.State)) return this.ended(last.State, last.Detail);
        return this.ended(WorkState.Failed, `the program (PID ${this.pid}) ended while no runner watched it; its exit status is unknown`);
      }
      await delay(WATCH_MS);
    }
  }

  private async readStatusFile(): Promise<StatusFileData | undefined> {
    try {
      return decodeStatusFile(await readFile(path.join(this.dir, 'status'), 'utf8'));
    } catch {
      return undefined;
    }
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

  // New output: wake followers now; refresh StdoutSize at most every 250 ms (the rate of Receptor's
  // command runner), in memory: the status file belongs to the runner until the program ends.
  private onOutput(): void {
    this.bump();
    if (this.sizeTimer || this.phase !== 'running') return;
    this.sizeTimer = setTimeout(() => {
      this.sizeTimer = undefined;
      if (this.phase !== 'running') return;
      void fileSize(this.stdoutPath).then((size) => {
        if (this.phase === 'running' && size !== this.current.StdoutSize) void this.publishOnly({ StdoutSize: size });
      });
    }, 250);
  }

  private onExit(exit: ProgramExit): Promise<void> {
    const code = exit.code;
    return this.ended(code === 0 && exit.signal === null ? WorkState.Succeeded : WorkState.Failed, exitText(code, exit.signal));
  }

  /** The program has ended; the node owns the status file again. */
  private async ended(state: number, detail: string): Promise<void> {
    this.phase = 'ended';
    this.stopWatching();
    if (this.stopReason === 'cancel') {
      state = WorkState.Canceled;
      detail = 'Canceled';
    } else if (this.stopReason === 'shutdown') {
      // What Receptor's command runner writes when it is itself told to stop (SIGINT/SIGTERM).
      state = WorkState.Failed;
      detail = 'Killed';
    }
    await this.update({ State: state, Detail: detail, StdoutSize: await fileSize(this.stdoutPath), ExtraData: null });
    this.logger.debug(`[${this.id}] finished: ${detail}`);
  }

  /**
   * `work cancel`: stops the program's whole process group (SIGINT, SIGKILL after the grace period) and
   * marks the unit Canceled. A cancel while the program is being started waits for it and then stops it.
   * A unit with nothing running keeps its state, as in Receptor.
   */
  async cancel(): Promise<UnitOpOutcome> {
    await this.stopProgram('cancel', 'SIGINT', this.cancelGraceMs);
    return 'done';
  }

  /** Node shutdown: with stopWork the program is stopped and the unit marked Failed/"Killed". */
  async shutdown(graceMs: number, stopWork: boolean): Promise<void> {
    if (stopWork) await this.stopProgram('shutdown', 'SIGTERM', graceMs);
    else this.detached = true;
    this.stopWatching();
  }

  private async stopProgram(reason: 'cancel' | 'shutdown', first: NodeJS.Signals, graceMs: number): Promise<void> {
    if (this.phase === 'new') {
      // Still waiting for its payload: it will not start (Receptor would start it anyway).
      if (this.current.State === WorkState.Pending) this.stopReason ??= reason;
      return;
    }
    if (this.phase === 'starting') {
      this.stopReason ??= reason;
      await this.starting;
    }
    if (this.phase !== 'running') return;
    this.stopReason ??= reason;
    signalGroup(this.pid, first);
    await Promise.race([this.exited, delay(graceMs)]);
    // Also reaches members of the group that ignored the first signal (background jobs of a shell).
    signalGroup(this.pid, 'SIGKILL');
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

/** The Detail of a program that could not be started, in Go's words (open …: …, fork/exec …: …). */
function startErrorText(err: unknown, file: string, unit: UnitBase): string {
  if (!(err instanceof RunnerStartError)) return `Error starting worker: ${(err as Error).message}`;
  const errno = { code: err.code, message: err.message } as NodeJS.ErrnoException;
  switch (err.stage) {
    case 'open-stdin':
      return `open ${unit.stdinPath}: ${errnoText(errno)}`;
    case 'open-stdout':
      return `open ${unit.stdoutPath}: ${errnoText(errno)}`;
    case 'spawn':
      return forkExecError(file, errno);
    default:
      return `Error starting worker: ${err.message}`;
  }
}
