// Waiting for a unit to end (`meshctl work status --wait`, in the manner of `kubectl wait`).
//
// Receptor pushes nothing about a unit's state: the control service only answers `work status` (controlsvc.go →
// workceptor's status command), and a results stream says nothing about how the unit ended (it ends only at EOF,
// and never for a Canceled unit: IsComplete is false for state 4). Following the results to their end and then
// asking the status would move every byte of the unit's output (possibly gigabytes) to learn one number, and still
// need polling for Canceled. So we poll `work status`, on whatever session the caller's client shares (the
// ControlClient's one lazily opened session: one connection however many units are waited for).
//
// How often: Receptor itself only learns a command unit's new state by re-reading its status file on an fsnotify
// event or once a second (BaseWorkUnit.MonitorLocalStatus, pkg/workceptor/workunitbase.go), so asking more often
// than once a second gains little against Receptor. The first checks come sooner (0, 100, 200, 400, 800 ms), so a
// unit that ends quickly is seen ending quickly; then every `pollMs` (default 1 s). Each check is one request line
// of ~50 bytes and one reply of ~150.
import { setTimeout as sleep } from 'node:timers/promises';
import { abortReason, MeshctlError } from '../errors.js';
import { formatGoDuration } from '../protocol/duration.js';
import { WorkState, type WorkUnitStatus } from '../protocol/types.js';
import type { CommandOptions } from './options.js';

/** The states a unit never leaves: Succeeded, Failed, Canceled (Canceled is final though not "complete"). */
export const FINAL_STATES: readonly number[] = [WorkState.Succeeded, WorkState.Failed, WorkState.Canceled];

export function isFinalState(state: number): boolean {
  return FINAL_STATES.includes(state);
}

export const DEFAULT_WAIT_POLL_MS = 1000;
const FIRST_POLL_MS = 100;

export interface WaitOptions {
  /** Aborts the wait at once (the pending request too): rejects with the signal's AbortError. */
  signal?: AbortSignal;
  /** Give up after this long: WaitTimeoutError. 0 or undefined: no limit. */
  timeoutMs?: number;
  /** The steady interval between two status requests (the first ones come sooner). Default 1000 ms. */
  pollMs?: number;
  /** Called with every status read (progress display, tests). */
  onStatus?: (status: WorkUnitStatus) => void;
}

/**
 * The wait's time limit passed before the unit ended. `last` is the unit's last status read, when one was (a node
 * too slow to answer the first request leaves none).
 */
export class WaitTimeoutError extends MeshctlError {
  override name = 'WaitTimeoutError';
  constructor(
    readonly unitId: string,
    readonly timeoutMs: number,
    readonly last: WorkUnitStatus | undefined,
    cause?: unknown,
  ) {
    const still = last ? ` (still ${last.StateName || last.State})` : '';
    super('EWAITTIMEOUT', `timed out after ${formatGoDuration(BigInt(Math.round(timeoutMs)) * 1_000_000n)} waiting for work unit '${unitId}'${still}`, {
      cause,
      data: { unitId, timeoutMs, ...(last ? { state: last.State } : {}) },
    });
  }
}

/** What waitForUnit needs of a client (ControlClient has it; declared here so the two files don't import each other). */
export interface StatusSource {
  workStatus(unitId: string, opts?: CommandOptions): Promise<WorkUnitStatus>;
}

/**
 * Polls the unit's status until it is in a final state (Succeeded, Failed or Canceled) and returns that status,
 * whichever it is: the caller decides what counts as success. Throws the node's ServerError (code EUNKNOWNUNIT)
 * when the unit does not exist or is released meanwhile, ConnectionError when the node cannot be reached (no
 * reconnecting: a wait can simply be started again), WaitTimeoutError at the time limit, AbortError on the signal.
 *
 * The time limit never cuts a request off: a reply in flight at the limit is left to arrive (the session stays in
 * step for whoever else uses it, such as other units waited for on the same client) and ignored.
 */
export async function waitForUnit(source: StatusSource, unitId: string, opts: WaitOptions = {}): Promise<WorkUnitStatus> {
  const { signal } = opts;
  const pollMs = opts.pollMs ?? DEFAULT_WAIT_POLL_MS;
  const limit = opts.timeoutMs ?? 0;
  if (signal?.aborted) throw abortReason(signal);
  const deadline = new AbortController();
  const timer = limit > 0 ? setTimeout(() => deadline.abort(), limit) : undefined;
  const stop = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  let last: WorkUnitStatus | undefined;
  const timedOut = (cause?: unknown) => new WaitTimeoutError(unitId, limit, last, cause);
  try {
    for (let n = 0; ; n++) {
      const reply = source.workStatus(unitId, signal ? { signal } : {});
      const status = await untilStopped(reply, stop);
      if (status === STOPPED) {
        if (signal?.aborted) throw abortReason(signal);
        throw timedOut();
      }
      last = status;
      opts.onStatus?.(status);
      if (isFinalState(status.State)) return status;
      const delay = Math.min(pollMs, FIRST_POLL_MS * 2 ** n);
      try {
        await sleep(delay, undefined, { signal: stop });
      } catch {
        if (signal?.aborted) throw abortReason(signal);
        throw timedOut();
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
}

const STOPPED = Symbol('stopped');

/** The reply, or STOPPED as soon as `stop` fires (the reply is then left to settle on its own, unobserved). */
function untilStopped<T>(reply: Promise<T>, stop: AbortSignal): Promise<T | typeof STOPPED> {
  if (stop.aborted) {
    reply.catch(() => undefined);
    return Promise.resolve(STOPPED);
  }
  return new Promise((resolve, reject) => {
    const onStop = () => {
      reply.catch(() => undefined);
      resolve(STOPPED);
    };
    stop.addEventListener('abort', onStop, { once: true });
    reply.then(
      (v) => {
        stop.removeEventListener('abort', onStop);
        resolve(v);
      },
      (e: unknown) => {
        stop.removeEventListener('abort', onStop);
        reject(e);
      },
    );
  });
}
