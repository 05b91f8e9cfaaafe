// Streams a unit's results to stdout, then decides the outcome from the unit's state, because the stream itself
// ends with a bare EOF whatever happened (pkg/workceptor/controlsvc.go results handler; issue #597 was a stream
// that ended early and looked complete). The client's FollowStream re-opens a dropped stream from the byte
// offset already written (`work results ID STARTPOS`) and ends a Canceled unit's stream, which Receptor itself
// never ends (IsComplete is false for state 4). Shared by `work results` and `work submit --follow`.
import type { ControlClient } from '../../client/control-client.js';
import type { Factory } from '../../cmdutil/factory.js';
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
}

/** `--reconnect-timeout` text → ms (undefined: the client's default, 2 minutes). */
export function reconnectMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDurationOption('--reconnect-timeout', text);
}

export async function streamResults(f: Factory, c: ControlClient, unitId: string, o: FollowOptions = {}): Promise<void> {
  const stream = c.followResults(unitId, {
    startPos: o.startPos,
    signature: o.signature,
    signal: f.signal,
    reconnectTimeoutMs: o.reconnectTimeoutMs,
    onReconnect: ({ attempt, position, reason }) => {
      if (attempt === 1) f.note(`meshctl: results stream of '${unitId}' lost at byte ${position} (${reason}); reconnecting`);
    },
  });
  // Bytes handed to stdout. A write to stdout is issued synchronously (the await only waits for drain), so
  // this is the offset a resumed `work results` must start from to give every byte exactly once.
  let written = o.startPos ?? 0;
  try {
    for await (const chunk of stream) {
      const pending = f.out(chunk);
      written += chunk.length;
      await pending;
    }
  } catch (err) {
    // Only for Ctrl-C (an AbortError): a closed stdout (`| head`) also aborts, and wants no resume advice.
    if (f.signal.aborted && f.signal.reason instanceof AbortError && o.resumeHint !== false) {
      // Ctrl-C stops following only: the unit is left alone (receptorctl would leave it too, silently).
      f.note(
        `meshctl: stopped following unit '${unitId}' at byte ${written}; the unit is left alone ` +
          `(hint: pick up again with: meshctl work results ${unitId} --start-pos ${written})`,
      );
    }
    if (err instanceof MeshctlError && err.code === 'EINCOMPLETE') {
      // Name the exact resume command (the offset is what reached stdout).
      throw new MeshctlError('EINCOMPLETE', err.message, {
        cause: err,
        data: err.data,
        hint: `resume with: meshctl work results ${unitId} --start-pos ${stream.position}`,
      });
    }
    throw err;
  }
  const st = stream.final ?? (await c.workStatus(unitId));
  failIfUnsuccessful(unitId, st);
}

/** Failed (3) and Canceled (4) units make the command fail with their State and Detail. */
export function failIfUnsuccessful(unitId: string, st: WorkUnitStatus): void {
  const state = `${st.StateName} (${st.State})`;
  if (st.State === 3) {
    throw new MeshctlError('EUNITFAILED', `work unit '${unitId}' failed: ${st.Detail || state}`, {
      data: { unitId, status: st },
      hint: `state ${state}, ${st.StdoutSize} bytes of output; details: meshctl work status ${unitId}`,
    });
  }
  if (st.State === 4) {
    throw new MeshctlError('EUNITFAILED', `work unit '${unitId}' was canceled: ${st.Detail || state}`, {
      data: { unitId, status: st },
      hint: `state ${state}; details: meshctl work status ${unitId}`,
    });
  }
}
