// Streams a unit's results to stdout, then decides the outcome from the unit's state, because the stream itself
// ends with a bare EOF whatever happened (pkg/workceptor/controlsvc.go results handler; issue #597 was a stream
// that ended early and looked complete). The client's FollowStream re-opens a dropped stream from the byte
// offset already written (`work results ID STARTPOS`), ends a Canceled unit's stream, which Receptor itself
// never ends (IsComplete is false for state 4), and owns the byte position and the outcome. This file turns them
// into what a person reads: the one resume hint (resumeHint), the failed/canceled errors. Shared by `work results`
// and `work submit --follow`.
import type { ControlClient } from '../../client/control-client.js';
import { ResultsIncompleteError } from '../../client/follow.js';
import type { Factory } from '../../cmdutil/factory.js';
import { bulkWriter } from '../../cmdutil/io/write.js';
import { parseDurationOption } from '../../cmdutil/timeout.js';
import { AbortError, MeshctlError } from '../../errors.js';
import type { WorkUnitStatus } from '../../protocol/types.js';

export interface FollowOptions {
  startPos?: number;
  signature?: string;
  /** Give up re-opening a dropped stream after this long without a byte (ms). 0 = never re-open. */
  reconnectTimeoutMs?: number;
  /** On Ctrl-C, name the command that picks up where stdout stopped (false with --rm: the unit is released). */
  resumeHint?: boolean;
  /** The node was just reached (the submit): a first connection that fails is a dropped one (see the client's). */
  nodeReached?: boolean;
}

/** `--reconnect-timeout` text → ms (undefined: the client's default, 2 minutes). */
export function reconnectMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDurationOption('--reconnect-timeout', text);
}

/**
 * The one place a resume command is written: `work results` from the byte offset that reached stdout, with the
 * connection flags the user typed (Factory.commandHint), so pasting it reaches the same node.
 */
export function resumeHint(f: Factory, unitId: string, position: number): string {
  return f.commandHint('work', 'results', unitId, '--start-pos', String(position));
}

export async function streamResults(f: Factory, c: ControlClient, unitId: string, o: FollowOptions = {}): Promise<void> {
  const stream = c.followResults(unitId, {
    startPos: o.startPos,
    signature: o.signature,
    signal: f.signal,
    reconnectTimeoutMs: o.reconnectTimeoutMs,
    ...(o.nodeReached ? { nodeReached: true } : {}),
    onReconnect: ({ attempt, position, reason }) => {
      if (attempt === 1) f.warn(`results stream of '${unitId}' lost at byte ${position} (${reason}); reconnecting`);
    },
  });
  try {
    // Each chunk is handed to stdout before the sink returns (its promise only waits for drain): stream.position
    // is what reached stdout. pipeTo, not for-await: no iterator step per chunk (docs/performance.md).
    await stream.pipeTo(bulkWriter(f.io.stdout));
  } catch (err) {
    throw followFailure(f, unitId, stream.position, err, o);
  }
  const st = stream.final ?? (await c.workStatus(unitId));
  failIfUnsuccessful(f, unitId, st);
}

/** The error a follow that stopped early ends the command with, naming the resume command where there is one. */
function followFailure(f: Factory, unitId: string, position: number, err: unknown, o: FollowOptions): unknown {
  if (err instanceof ResultsIncompleteError) {
    return new MeshctlError('EINCOMPLETE', err.message, { cause: err, data: err.data, hint: `resume with: ${resumeHint(f, unitId, position)}` });
  }
  // A signal (Ctrl-C, SIGTERM) stops following only: the unit is left alone (receptorctl would leave it too,
  // silently). This error explains the interruption (its cause is the abort reason, so the CLI prints it with the
  // signal's exit status). A closed stdout (`| head`) also aborts, and wants no advice; with --rm the unit is gone.
  const reason: unknown = f.signal.reason;
  if (f.signal.aborted && reason instanceof AbortError && o.resumeHint !== false) {
    return new MeshctlError(reason.code, `stopped following unit '${unitId}' at byte ${position}; the unit is left alone`, {
      cause: reason,
      hint: `pick up again with: ${resumeHint(f, unitId, position)}`,
      data: { unitId, position },
    });
  }
  return err;
}

/** Failed (3) and Canceled (4) units make the command fail with their State and Detail. */
export function failIfUnsuccessful(f: Factory, unitId: string, st: WorkUnitStatus): void {
  const state = `${st.StateName} (${st.State})`;
  const details = f.commandHint('work', 'status', unitId);
  if (st.State === 3) {
    throw new MeshctlError('EUNITFAILED', `work unit '${unitId}' failed: ${st.Detail || state}`, {
      data: { unitId, status: st },
      hint: `state ${state}, ${st.StdoutSize} bytes of output; details: ${details}`,
    });
  }
  if (st.State === 4) {
    throw new MeshctlError('EUNITFAILED', `work unit '${unitId}' was canceled: ${st.Detail || state}`, {
      data: { unitId, status: st },
      hint: `state ${state}; details: ${details}`,
    });
  }
}
