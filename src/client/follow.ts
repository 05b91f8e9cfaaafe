// Resumable results: `work results` that survives dropped connections without losing or repeating a byte.
//
// Receptor's results stream has no end marker and no heartbeat; a load balancer that cuts an idle flow, a
// node restart or a proxy reset all look like EOF. So after every EOF or error we ask `work status`:
//   - complete (Succeeded/Failed) and we hold StdoutSize bytes  → done;
//   - Canceled                                               → done (Receptor never ends a Canceled stream:
//                                                              IsComplete is false for state 4);
//   - anything else                                           → reconnect and ask again from the byte offset
//                                                              already delivered (`startpos`), with backoff.
// The retrying is bounded by `reconnectTimeoutMs` without progress.
//
// The stream owns the two facts a caller needs when following stops, whatever stopped it: `position` (the byte
// offset everything before which was delivered, i.e. where to resume) and `outcome` (how it ended, with the unit's
// status when known). It reports failures as typed errors carrying the same data; composing advice for a person
// (which command resumes) is the caller's business (the CLI: src/commands/work/follow.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError, MeshctlError, ServerError } from '../errors.js';
import { isComplete, WorkState, type WorkUnitStatus } from '../protocol/types.js';
import type { ChunkSink } from '../transport/conn.js';
import type { CommandOptions, ResultsOptions } from './options.js';

export interface FollowOptions {
  startPos?: number;
  signature?: string;
  signal?: AbortSignal;
  /** Stop retrying after this long without receiving a byte. Default 120 s; 0 = do not reconnect. */
  reconnectTimeoutMs?: number;
  /** Called before each reconnect attempt (for a note on stderr). */
  onReconnect?: (info: { attempt: number; position: number; reason: string }) => void;
  /** How often to check the unit's state while its stream is quiet, to notice a cancel. Default 2 s. */
  statusPollMs?: number;
  /**
   * The node was reached just before following began (the unit's submit): a first connection that fails is then a
   * dropped one, worth re-opening. Default false: when the very first connection cannot be made at all (no socket,
   * refused, no such host, TLS refused, no greeting), following fails at once with that error, as any other command
   * does, instead of retrying a node that may never have been there for the whole reconnect timeout.
   */
  nodeReached?: boolean;
}

/** Errors of a connection that was never made (src/transport/dial.ts); any other failure comes after contact. */
const NEVER_CONNECTED = new Set(['ENOENT_SOCKET', 'ECONNREFUSED', 'ECONNECT', 'EBADADDRESS', 'ETLS', 'EGREETING', 'ETIMEDOUT']);

/** How following ended. */
export type FollowEnd =
  /** The unit is complete (Succeeded or Failed) and every byte up to its StdoutSize was delivered. */
  | 'complete'
  /** The unit was canceled (Receptor never ends such a stream, so the status poll ended it). */
  | 'canceled'
  /** The unit is complete but its stream stays short of StdoutSize: ResultsIncompleteError. */
  | 'short'
  /** No byte came for reconnectTimeoutMs, or reconnecting is off: ResultsIncompleteError. */
  | 'lost'
  /** The node refused the unit (unknown unit, bad signature): its ServerError is thrown. */
  | 'refused'
  /** The caller's signal fired: its AbortError is thrown. */
  | 'aborted'
  /** The consumer stopped iterating (`break`), or iteration threw something else. */
  | 'stopped';

export interface FollowOutcome {
  end: FollowEnd;
  /** The byte offset reached: every byte before it was delivered (same as FollowStream.position). */
  position: number;
  /** The unit's last known status ('complete', 'canceled', 'short'; otherwise when a status was read). */
  status?: WorkUnitStatus;
}

/**
 * A results stream that stopped before the unit's output was all delivered: `position` is where to resume
 * (`work results ID STARTPOS`), `stdoutSize` the unit's output size when known.
 */
export class ResultsIncompleteError extends MeshctlError {
  override name = 'ResultsIncompleteError';
  constructor(
    message: string,
    readonly unitId: string,
    readonly position: number,
    readonly end: 'short' | 'lost',
    readonly stdoutSize?: number,
  ) {
    // No CLI advice here (the library does not know how it is called); the data says where to resume.
    super('EINCOMPLETE', message, { data: { unitId, position, ...(stdoutSize !== undefined ? { stdoutSize } : {}) } });
  }
}

/**
 * What FollowStream needs of a client (ControlClient has both). Declared here rather than importing
 * ControlClient, which creates FollowStreams: the two modules would import each other.
 */
export interface ResultsSource {
  /** The stream counts what it delivered: `position` = its start + bytes yielded. */
  workResults(
    unitId: string,
    opts?: ResultsOptions,
  ): AsyncIterable<Buffer> & { readonly position: number; pipeTo?(sink: ChunkSink): Promise<void> };
  workStatus(unitId: string, opts?: CommandOptions): Promise<WorkUnitStatus>;
}

const BACKOFF_MS = [100, 250, 500, 1000, 2000, 4000];

/** The caller's abort, as thrown: its reason when that is an AbortError (the CLI's names the process signal). */
function aborted(signal: AbortSignal): AbortError {
  return signal.reason instanceof AbortError ? signal.reason : new AbortError('aborted', { cause: signal.reason });
}

export class FollowStream implements AsyncIterable<Buffer> {
  /** How following ended; undefined while it goes on. */
  outcome: FollowOutcome | undefined;
  /** How many times the stream was re-opened. */
  reconnects = 0;
  /** Where the current results stream started; `current` counts what it delivered since. */
  private base: number;
  private current: { readonly position: number } | undefined;

  constructor(
    private readonly client: ResultsSource,
    readonly unitId: string,
    private readonly opts: FollowOptions = {},
  ) {
    this.base = opts.startPos ?? 0;
  }

  /**
   * The next byte offset: the start plus every byte delivered. A consumer that writes each chunk as it gets it
   * (meshctl writes synchronously, then waits for drain) has written exactly this much: it is where a resumed
   * `work results` must start to give every byte exactly once.
   */
  get position(): number {
    return this.current?.position ?? this.base;
  }

  /** The unit's status when following ended with it complete, canceled, or complete but short. */
  get final(): WorkUnitStatus | undefined {
    const o = this.outcome;
    return o && (o.end === 'complete' || o.end === 'canceled' || o.end === 'short') ? o.status : undefined;
  }

  [Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    return this.run();
  }

  /**
   * The same bytes, resumes and outcome as iterating, pushed to `sink` (see ResultsStream.pipeTo for how long a
   * chunk stays valid) without an async-iterator step per chunk. Resolves when following ended as 'complete' or
   * 'canceled'; rejects as iteration throws.
   */
  async pipeTo(sink: ChunkSink): Promise<void> {
    const g = this.run(sink);
    while (!(await g.next()).done);
  }

  private async *run(sink?: ChunkSink): AsyncGenerator<Buffer> {
    let end: FollowEnd = 'stopped';
    let status: WorkUnitStatus | undefined;
    try {
      const r = yield* this.follow((s) => (status = s), sink);
      end = r;
    } catch (err) {
      if (err instanceof ResultsIncompleteError) end = err.end;
      else if (err instanceof ServerError) end = 'refused';
      else if (err instanceof AbortError) end = 'aborted';
      throw err;
    } finally {
      this.settle();
      this.outcome = { end, position: this.position, ...(status ? { status } : {}) };
    }
  }

  /** Stops counting on the current results stream: its final position becomes the base. */
  private settle(): void {
    this.base = this.position;
    this.current = undefined;
  }

  /** Yields the chunks, or with a sink hands them to it and yields nothing. */
  private async *follow(seen: (s: WorkUnitStatus) => void, sink?: ChunkSink): AsyncGenerator<Buffer, 'complete' | 'canceled'> {
    const { signal } = this.opts;
    const timeoutMs = this.opts.reconnectTimeoutMs ?? 120_000;
    let stalledSince: number | undefined;
    let attempt = 0;
    let shortAndComplete = 0;
    let reached = this.opts.nodeReached ?? false;
    // The sink's own failures are told apart from the stream's: only a stream failure is worth a reconnect.
    let sinkFailure: { err: unknown } | undefined;
    const guarded: ChunkSink = (chunk) => {
      let r: void | Promise<void>;
      try {
        r = sink!(chunk);
      } catch (err) {
        sinkFailure = { err };
        throw err;
      }
      return r?.catch((err: unknown) => {
        sinkFailure = { err };
        throw err;
      });
    };
    for (;;) {
      if (signal?.aborted) throw aborted(signal);
      let reason = 'stream ended';
      const startedAt = this.position;
      const stop = new AbortController();
      const watch = this.watchForCancel(stop);
      try {
        const stream = this.client.workResults(this.unitId, {
          startPos: this.position,
          signature: this.opts.signature,
          signal: signal ? AbortSignal.any([signal, stop.signal]) : stop.signal,
        });
        this.current = stream;
        if (sink && stream.pipeTo) await stream.pipeTo(guarded);
        else if (sink) for await (const chunk of stream) await guarded(chunk);
        else {
          for await (const chunk of stream) {
            stalledSince = undefined;
            attempt = 0;
            yield chunk;
          }
        }
      } catch (err) {
        // The consumer failed (stdout closed): that stops following, as a consumer's throw out of for-await does.
        if (sinkFailure) throw sinkFailure.err;
        if (signal?.aborted) throw aborted(signal);
        // The server refused (unknown unit, bad signature): resuming cannot help.
        if (err instanceof ServerError) throw err;
        // Nothing answered the first time: a wrong socket or address, not a dropped stream.
        if (!reached && err instanceof MeshctlError && NEVER_CONNECTED.has(err.code)) throw err;
        if (!stop.signal.aborted) reason = err instanceof Error ? err.message : String(err);
      } finally {
        reached = true;
        // Any byte received means progress (the sink path has no per-chunk step to note it).
        if (this.position > startedAt) {
          stalledSince = undefined;
          attempt = 0;
        }
        this.settle();
        stop.abort();
        await watch;
      }

      let status: WorkUnitStatus | undefined;
      try {
        status = await this.client.workStatus(this.unitId, { signal });
        seen(status);
      } catch (err) {
        if (err instanceof ServerError) throw err;
        if (signal?.aborted) throw aborted(signal);
        reason = err instanceof Error ? err.message : String(err);
      }
      if (status) {
        if (status.State === WorkState.Canceled) return 'canceled';
        if (isComplete(status.State) && this.position >= status.StdoutSize) return 'complete';
        if (isComplete(status.State)) {
          // Complete but short: the bytes are on disk, so one more read must make progress.
          shortAndComplete = this.position > startedAt ? 0 : shortAndComplete + 1;
          if (shortAndComplete >= 2) {
            throw new ResultsIncompleteError(
              `results of unit '${this.unitId}' ended at byte ${this.position} of ${status.StdoutSize}`,
              this.unitId,
              this.position,
              'short',
              status.StdoutSize,
            );
          }
          reason = `stream ended at byte ${this.position} of ${status.StdoutSize}`;
        }
      }

      if (timeoutMs <= 0 && !(status && isComplete(status.State))) {
        throw this.gaveUp(reason, 0);
      }
      stalledSince ??= Date.now();
      if (Date.now() - stalledSince > timeoutMs) throw this.gaveUp(reason, timeoutMs);
      this.reconnects++;
      attempt++;
      this.opts.onReconnect?.({ attempt, position: this.position, reason });
      try {
        await sleep(BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]!, undefined, { signal });
      } catch {
        throw aborted(signal!);
      }
    }
  }

  /** Ends the current stream when the unit turns Canceled: Receptor would keep it open forever. */
  private async watchForCancel(stop: AbortController): Promise<void> {
    const every = this.opts.statusPollMs ?? 2000;
    if (every <= 0) return;
    while (!stop.signal.aborted) {
      try {
        await sleep(every, undefined, { signal: stop.signal });
      } catch {
        return;
      }
      try {
        const s = await this.client.workStatus(this.unitId);
        if (s.State === WorkState.Canceled && this.position >= s.StdoutSize) {
          stop.abort();
          return;
        }
      } catch {
        // The stream itself will notice a dead node.
      }
    }
  }

  private gaveUp(reason: string, timeoutMs: number): ResultsIncompleteError {
    const waited = timeoutMs > 0 ? ` after retrying for ${Math.round(timeoutMs / 1000)}s` : '';
    return new ResultsIncompleteError(
      `lost the results stream of unit '${this.unitId}' at byte ${this.position}${waited}: ${reason}`,
      this.unitId,
      this.position,
      'lost',
    );
  }
}
