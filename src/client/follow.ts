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
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError, MeshctlError, ServerError } from '../errors.js';
import { isComplete, WorkState, type WorkUnitStatus } from '../protocol/types.js';
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
}

/**
 * What FollowStream needs of a client (ControlClient has both). Declared here rather than importing
 * ControlClient, which creates FollowStreams: the two modules would import each other.
 */
export interface ResultsSource {
  workResults(unitId: string, opts?: ResultsOptions): AsyncIterable<Buffer>;
  workStatus(unitId: string, opts?: CommandOptions): Promise<WorkUnitStatus>;
}

const BACKOFF_MS = [100, 250, 500, 1000, 2000, 4000];

export class FollowStream implements AsyncIterable<Buffer> {
  /** Next byte offset: startPos + bytes delivered. */
  position: number;
  /** The unit's status when following ended. */
  final: WorkUnitStatus | undefined;
  /** How many times the stream was re-opened. */
  reconnects = 0;

  constructor(
    private readonly client: ResultsSource,
    readonly unitId: string,
    private readonly opts: FollowOptions = {},
  ) {
    this.position = opts.startPos ?? 0;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const { signal } = this.opts;
    const timeoutMs = this.opts.reconnectTimeoutMs ?? 120_000;
    let stalledSince: number | undefined;
    let attempt = 0;
    let shortAndComplete = 0;
    for (;;) {
      if (signal?.aborted) throw new AbortError();
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
        for await (const chunk of stream) {
          this.position += chunk.length;
          stalledSince = undefined;
          attempt = 0;
          yield chunk;
        }
      } catch (err) {
        if (signal?.aborted) throw new AbortError();
        // The server refused (unknown unit, bad signature): resuming cannot help.
        if (err instanceof ServerError) throw err;
        if (!stop.signal.aborted) reason = err instanceof Error ? err.message : String(err);
      } finally {
        stop.abort();
        await watch;
      }

      let status: WorkUnitStatus | undefined;
      try {
        status = await this.client.workStatus(this.unitId, { signal });
      } catch (err) {
        if (err instanceof ServerError) throw err;
        if (signal?.aborted) throw new AbortError();
        reason = err instanceof Error ? err.message : String(err);
      }
      if (status) {
        if (status.State === WorkState.Canceled || (isComplete(status.State) && this.position >= status.StdoutSize)) {
          this.final = status;
          return;
        }
        if (isComplete(status.State)) {
          // Complete but short: the bytes are on disk, so one more read must make progress.
          shortAndComplete = this.position > startedAt ? 0 : shortAndComplete + 1;
          if (shortAndComplete >= 2) {
            this.final = status;
            throw new MeshctlError(
              'EINCOMPLETE',
              `results of unit '${this.unitId}' ended at byte ${this.position} of ${status.StdoutSize}`,
              { data: { unitId: this.unitId, position: this.position, stdoutSize: status.StdoutSize } },
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
        throw new AbortError();
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

  private gaveUp(reason: string, timeoutMs: number): MeshctlError {
    const waited = timeoutMs > 0 ? ` after retrying for ${Math.round(timeoutMs / 1000)}s` : '';
    return new MeshctlError('EINCOMPLETE', `lost the results stream of unit '${this.unitId}' at byte ${this.position}${waited}: ${reason}`, {
      hint: `resume with: meshctl work results ${this.unitId} --start-pos ${this.position}`,
      data: { unitId: this.unitId, position: this.position },
    });
  }
}
