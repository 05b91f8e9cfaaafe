// The embedded node against real Receptor's recorded sessions (test/fixtures/receptor, recorded from
// receptor 1.6.5): the client side of every single-node transcript is replayed, in recording order, on one
// node configured like the recording, and the replies must equal the recording once run-dependent values
// (unit ids, times, PIDs, host memory) are masked. The replay machinery is the interop suite's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForState } from '../../interop/support/raw.js';
import {
  RECORDED_NODE_ID,
  RECORDED_WORK_COMMANDS,
  createdUnitIds,
  externalUnitIds,
  replay,
  replayPlan,
} from '../../interop/support/transcripts.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';

const plan = replayPlan();


describe('node against receptor transcripts', () => {
  let node: TestNode;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    node = await startTestNode({ nodeId: RECORDED_NODE_ID, workCommands: RECORDED_WORK_COMMANDS, tcp: true, cancelGraceMs: 10_000 });
  });
  afterAll(async () => {
    await node?.close();
  });

  it('transcripts - the plan covers most recordings', () => {
    expect(plan.length).toBeGreaterThan(70);
  });

  for (const t of plan) {
    it(`transcripts - ${t.name} replays identically on the meshctl node`, async () => {
      for (const recorded of externalUnitIds(t)) {
        await waitForState(node.socketPath, ids.get(recorded)!, [2, 3, 'gone']);
      }
      const steps = await replay(t, { nodeId: node.nodeId, socketPath: node.socketPath, tcpPort: node.tcpPort! }, { ids });
      expect(createdUnitIds(t).every((id) => ids.has(id))).toBe(true);
      expect(steps.map((s) => `${s.index} ${s.kind}: ${s.actual}`)).toEqual(steps.map((s) => `${s.index} ${s.kind}: ${s.expected}`));
    });
  }
});
