// Replays the recorded single-node transcripts, in recording order, on one fresh node configured like the
// recording (node id foo-1, the same work types) and requires the same bytes back once run-dependent values
// (unit ids, times, PIDs, host memory) are masked. Used against the real receptor (are the fixtures still
// true?) and against `meshctl node` (does the embedded node answer like receptor, byte for byte?).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningReceptor } from '../../helpers/receptor.js';
import { waitForState } from './raw.js';
import { createdUnitIds, externalUnitIds, replay, replayPlan } from './transcripts.js';

export function defineTranscriptReplay(title: string, start: () => Promise<RunningReceptor>, skip: Record<string, string> = {}): void {
  const plan = replayPlan().filter((t) => !(t.name in skip));
  describe(title, () => {
    let node: RunningReceptor;
    const ids = new Map<string, string>();
    beforeAll(async () => {
      node = await start();
    });
    afterAll(async () => {
      await node?.stop();
    });

    it(`${title} - most single-node recordings are replayed`, () => {
      // Guards the plan: a recorder change that breaks id chaining must not silently drop the checks.
      expect(plan.length).toBeGreaterThan(65);
      expect(plan.map((t) => t.name)).toEqual(
        expect.arrayContaining(['bad-json', 'work-results-text', 'work-results-session-continues', 'submit-json-cat-binary']),
      );
    });

    for (const t of plan) {
      it(`${title} - ${t.name} replays identically`, async () => {
        // Units made by earlier transcripts had finished when the recording went on; wait for the same here.
        for (const recorded of externalUnitIds(t)) {
          await waitForState(node.socketPath, ids.get(recorded)!, [2, 3, 'gone']);
        }
        const steps = await replay(t, { nodeId: node.nodeId, socketPath: node.socketPath, tcpPort: node.tcpPort }, { ids });
        expect(steps.map((s) => `${s.index} ${s.kind}: ${s.actual}`)).toEqual(steps.map((s) => `${s.index} ${s.kind}: ${s.expected}`));
        expect(createdUnitIds(t).every((id) => ids.has(id))).toBe(true);
      });
    }
  });
}
