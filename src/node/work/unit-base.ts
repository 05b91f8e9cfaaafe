// What every work unit has, whatever runs it (Receptor's BaseWorkUnit, pkg/workceptor/workunitbase.go):
// its directory `<datadir>/<nodeid>/<unitid>/` (0700) with `status` and `stdout`, the status kept in memory
// and persisted on every change, change notifications for `work results` followers, and removal of the
// directory on release. Command units (unit.ts) and remote units (remote.ts) build on it.
import { EventEmitter } from 'node:events';
import { rmdirSync, unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { goMarshal, goQuote } from '../../protocol/go-json.js';
import type { NodeLogger } from '../logger.js';
import { writeStatusFile, type StatusFileData } from './status.js';

/** One settled promise for every unit's idle chains (a promise each was ~40 bytes a unit, 100k units on disk). */
export const SETTLED: Promise<void> = Promise.resolve();

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Outcome of cancel/release: done now, or left to a background retry (Receptor's ErrPending). */
export type UnitOpOutcome = 'done' | 'pending';

export interface UnitBaseOptions {
  id: string;
  dir: string;
  status: StatusFileData;
  logger: NodeLogger;
}

export abstract class UnitBase extends EventEmitter {
  readonly id: string;
  readonly dir: string;
  /**
   * The status clients see: the last one written to disk. Changes are made to `current` and published
   * once persisted, so whoever sees a new state also finds it in the status file.
   */
  private published: StatusFileData;
  protected current: StatusFileData;
  /**
   * Told once the unit is released (its directory gone), before the 'released' event: how the Workceptor forgets
   * it. One function shared by every unit, not a `once` listener each (~250 bytes a unit, 25 MB for 100k on disk).
   */
  forget: ((unit: UnitBase) => void) | undefined;
  /** Set once release removed the unit: followers stop, nothing is written any more. */
  released = false;
  /** Set while release removes the directory: later status changes are not written (nor recreate it). */
  private removing = false;

  protected readonly logger: NodeLogger;
  private seq = 0;
  protected saveChain: Promise<void> = SETTLED;

  constructor(opts: UnitBaseOptions) {
    super();
    this.setMaxListeners(0);
    this.id = opts.id;
    this.dir = opts.dir;
    this.published = { ...opts.status };
    this.current = { ...opts.status };
    this.logger = opts.logger;
  }

  get stdinPath(): string {
    return path.join(this.dir, 'stdin');
  }

  get stdoutPath(): string {
    return path.join(this.dir, 'stdout');
  }

  get status(): StatusFileData {
    return this.published;
  }

  /** The object `work status` / `work list` answer for this unit. */
  abstract reply(): Record<string, unknown>;

  /**
   * reply() as goMarshal writes it: this unit's value in a `work list` reply. Units may build it faster; it must
   * depend on the published status alone (and on what never changes), since listEntry caches it by that status.
   */
  replyJson(): string {
    return goMarshal(this.reply());
  }

  /** The status listEntry's text was made from (a published snapshot is never changed, only replaced). */
  private entryFor: StatusFileData | undefined;
  private entryText = '';

  /**
   * `"<id>":<replyJson>`, this unit's part of a `work list` reply, kept until the published status is replaced:
   * every status change publishes a new snapshot (commit), so a changed unit is rebuilt and an unchanged one is
   * not. Building 10k entries on every list kept the node's small young generation collecting (half the list's
   * time in the garbage collector, bench/units-scale.js with --cpu-prof).
   */
  listEntry(): string {
    const s = this.published;
    if (this.entryFor !== s) {
      const text = goQuote(this.id) + ':' + this.replyJson();
      this.entryText = flatten(text);
      this.entryFor = s;
    }
    return this.entryText;
  }

  /** Starts the unit once its payload is stored. 'pending' = it will start in the background. */
  abstract start(): Promise<UnitOpOutcome>;

  /** `work cancel`. */
  abstract cancel(): Promise<UnitOpOutcome>;

  /** `work release` / `force-release`: 'done' once the directory is gone. */
  abstract release(force: boolean): Promise<UnitOpOutcome>;

  /**
   * Node shutdown. With `stopWork` the unit's program is stopped; without it, it goes on running (the
   * unit runner records its end) and the next node on this data directory takes the unit back.
   */
  abstract shutdown(graceMs: number, stopWork: boolean): Promise<void>;

  /** A counter bumped on every status change and every write to stdout. */
  get changeSeq(): number {
    return this.seq;
  }

  protected bump(): void {
    this.seq++;
    this.emit('change');
  }

  /**
   * Resolves when changeSeq moves past `since`, after `timeoutMs`, or when `signal` aborts: a follower
   * reads, then waits here, then reads again.
   */
  waitForChange(since: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.seq !== since || this.released || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('change', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('change', done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Persists the current status, then publishes it (writes are serialised; a released unit writes nothing). */
  save(): Promise<void> {
    return this.commit(true);
  }

  /**
   * Publishes the current status without writing it: for changes the status file already holds (the unit
   * runner wrote them) or need not hold (StdoutSize while the runner owns the file). Queued behind pending
   * writes, so an older snapshot never replaces it.
   */
  protected publishOnly(patch: Partial<StatusFileData>): Promise<void> {
    this.current = { ...this.current, ...patch };
    return this.commit(false);
  }

  private commit(persist: boolean): Promise<void> {
    const snapshot: StatusFileData = { ...this.current };
    this.saveChain = this.saveChain
      .then(async () => {
        if (persist && !this.released && !this.removing) await writeStatusFile(this.dir, snapshot);
      })
      .catch((err: unknown) => {
        this.logger.error(`Error updating status file ${path.join(this.dir, 'status')}: ${(err as Error).message}.`);
      })
      .then(() => {
        this.published = snapshot;
        this.bump();
      });
    return this.saveChain;
  }

  /** Resolves once every status change made so far is written. */
  flush(): Promise<void> {
    return this.saveChain;
  }

  /** UpdateBasicStatus: state, detail and (when >= 0) stdout size. */
  updateBasic(state: number, detail: string, stdoutSize: number): Promise<void> {
    this.current = { ...this.current, State: state, Detail: detail };
    if (stdoutSize >= 0) this.current.StdoutSize = stdoutSize;
    return this.save();
  }

  protected update(patch: Partial<StatusFileData>): Promise<void> {
    this.current = { ...this.current, ...patch };
    return this.save();
  }

  /** Hook for subclasses: called once the directory is gone. */
  protected onReleased(): void {}

  /** BaseWorkUnit.Release: delete the directory (3 tries, 1 s apart, unless forced), then forget the unit. */
  protected async removeDirectory(force: boolean): Promise<void> {
    this.removing = true;
    await this.saveChain;
    for (let attempt = 1; ; attempt++) {
      try {
        await removeUnitDir(this.dir);
        break;
      } catch (err) {
        if (force) break;
        if (attempt >= 3) {
          this.logger.error(`Error removing directory for ${this.id}. No more retries left.`);
          this.removing = false;
          throw err;
        }
        this.logger.warning(`Error removing directory for ${this.id}. Retrying ${3 - attempt} more times.`);
        await delay(1000);
      }
    }
    this.released = true;
    this.onReleased();
    this.bump();
    this.forget?.(this);
    this.emit('released');
  }
}

/** Where flatten's conversions go: stored, so the optimiser cannot drop them as unused. */
let flattenSink = 0;

/**
 * `s` made one flat string in place. A text built by a dozen concatenations is a tree of V8 cons strings: a
 * list entry of 122 characters took ~630 bytes of heap. Converting it to a number flattens it (the flatstr
 * package's trick): ~170 bytes, 46 MB less for a listed node with 100k units.
 */
function flatten(s: string): string {
  flattenSink = Number(s);
  return s;
}

const isGone = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** What a unit directory holds (Receptor's layout: workunitbase.go, command.go). */
const UNIT_FILES = ['status', 'status.lock', 'stdin', 'stdout'];

/**
 * A unit directory removed as rm -r (force) does, with the calls made synchronously: the files a unit directory
 * holds are unlinked by name, then the directory is removed, a few microseconds each on a cached file system.
 * Through the threadpool (fs.rm's walk, ~12 calls with an lstat before each unlink and an rmdir that fails
 * ENOTEMPTY first; or even readdir/unlink/rmdir as promises) releasing 10k units took 3 to 7 times as long as
 * receptor's os.RemoveAll, the round trips costing more than the calls; a readdir first was a fifth of what was
 * left (bench/units-scale.js); unlinks through callbacks (the threadpool on the second core) measured 1.3-1.5
 * times receptor against 1.1-1.3 for these. The start-up load reads status files synchronously for the same reason
 * (workceptor.ts loadAll). Anything else (another file, a subdirectory, an error) is left to fs.rm, whose result
 * stands.
 */
export async function removeUnitDir(dir: string): Promise<void> {
  try {
    for (const name of UNIT_FILES) {
      try {
        unlinkSync(path.join(dir, name));
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    try {
      rmdirSync(dir);
    } catch (err) {
      if (!isGone(err)) throw err;
    }
    return;
  } catch {
    // ENOTEMPTY and the like: fs.rm below says what is wrong, if anything still is.
  }
  await rm(dir, { recursive: true, force: true });
}
