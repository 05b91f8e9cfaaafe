// meshctl work results ID: the unit's stdout, byte for byte, then its fate from `work status`.
import type { Factory } from '../../cmdutil/factory.js';
import { reconnectMs, streamResults } from './follow.js';

export interface ResultsOptions {
  unitId: string;
  startPos?: number;
  /** Duration text; see FollowOptions.reconnectTimeoutMs. */
  reconnectTimeout?: string;
}

export async function run(o: ResultsOptions, f: Factory): Promise<void> {
  const c = await f.client();
  await streamResults(f, c, o.unitId, { startPos: o.startPos, reconnectTimeoutMs: reconnectMs(o.reconnectTimeout) });
}
