// The embedded nodes against the sessions recorded on a real receptor 1.6.5 mesh (controller → hop →
// executor, test/fixtures/receptor/transcripts/mesh-*.json): the client side of every recording is
// replayed in recording order on a meshctl mesh configured like the recorded one, and the replies must
// equal the recording once run-dependent values (unit ids, times, PIDs) are masked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMesh, type TestMesh } from '../../helpers/mesh.js';
import { waitForState } from '../../interop/support/raw.js';
import { createdUnitIds, loadAllTranscripts, loadTranscript, mask, replay, type Transcript } from '../../interop/support/transcripts.js';
import { waitUntil } from '../../helpers/mesh.js';

const transcripts = loadAllTranscripts().filter((t) => t.name.startsWith('mesh-'));

/** Before replaying a recording, the state its unit (created by an earlier one) was in when recorded. */
const WAIT_FOR: Record<string, { created: string; states: number[] }> = {
  'mesh-remote-unit-status': { created: 'mesh-submit-remote', states: [2] },
  'mesh-remote-results-params': { created: 'mesh-submit-remote-params', states: [2] },
  'mesh-remote-running-status': { created: 'mesh-submit-remote-sleep', states: [1] },
  'mesh-remote-canceled-status': { created: 'mesh-submit-remote-sleep', states: [4] },
};

type Ad = { NodeID: string; Time?: string };

/** Status compared as data: advertisement order is Go map order in Receptor (random), times and host values vary. */
function normalizeStatus(masked: string): unknown {
  // mask() writes bare placeholders for numbers (`"SystemCPUCount":<n>`): quote them to parse.
  const st = JSON.parse(masked.replace(/:<(\w+)>/g, ':"<$1>"')) as Record<string, unknown>;
  st.SystemCPUCount = '<n>';
  st.SystemMemoryMiB = '<n>';
  st.Advertisements = (st.Advertisements as Ad[]).map((a) => ({ ...a, Time: '<time>' })).sort((a, b) => a.NodeID.localeCompare(b.NodeID));
  return st;
}

/**
 * A `work list` reply is a Go map keyed by unit id, so its order follows the (random) ids: with ids
 * masked, compare the entries as a sorted list.
 */
function sortUnitMap(line: string): string {
  const m = /^(\d+ recv: )\{(.*)\}\n$/s.exec(line);
  if (!m || !m[2]!.startsWith('"<unit>":')) return line;
  const entries = m[2]!.slice('"<unit>":'.length).split(',"<unit>":');
  return `${m[1]}{"<unit>":${entries.sort().join(',"<unit>":')}}\n`;
}

describe('mesh transcripts', () => {
  let m: TestMesh;
  /** Recorded unit id → the id the replay created in its place. */
  const ids = new Map<string, string>();

  beforeAll(async () => {
    m = await startTestMesh({
      nodes: [
        { id: 'controller', workCommands: [{ worktype: 'cat', command: 'cat' }] },
        'hop',
        {
          id: 'executor',
          workCommands: [
            { worktype: 'cat', command: 'cat' },
            { worktype: 'echo', command: 'echo', allowruntimeparams: true },
            { worktype: 'sleep', command: 'sleep', allowruntimeparams: true },
          ],
        },
      ],
      links: [['controller', 'hop'], ['hop', 'executor']],
    });
  });
  afterAll(async () => {
    await m?.close();
  });

  it('mesh transcripts - all 21 recordings are here', () => {
    expect(transcripts.length).toBe(21);
  });

  const recvOf = (t: Transcript, i: number): string => ('recv' in t.events[i]! ? (t.events[i] as { recv: string }).recv : '');

  for (const t of transcripts) {
    it(`mesh transcripts - ${t.name} replays identically on the meshctl mesh`, async () => {
      const sock = m.node('controller').socketPath;
      const wait = WAIT_FOR[t.name];
      if (wait) {
        const recorded = createdUnitIds(loadTranscript(wait.created))[0]!;
        await waitForState(sock, ids.get(recorded)!, wait.states, 20_000);
      }
      if (t.name === 'mesh-status-controller') {
        // Every advertisement must be known first (they arrive with the first links).
        await waitUntil(() => m.node('controller').node.mesh.status().Advertisements.length === 3, 'three advertisements');
      }
      const steps = await replay(t, { nodeId: 'controller', socketPath: sock }, { ids });
      const actual = steps.map((s) => `${s.index} ${s.kind}: ${s.actual}`);
      let expected = steps.map((s) => `${s.index} ${s.kind}: ${s.expected}`);
      if (t.name === 'mesh-status-controller') {
        const i = steps.findIndex((s) => s.kind === 'recv' && s.expected.startsWith('{'));
        expect(normalizeStatus(steps[i]!.actual)).toEqual(normalizeStatus(mask(recvOf(t, steps[i]!.index), 'controller')));
        expected = expected.filter((_, j) => j !== i);
        actual.splice(i, 1);
      }
      if (t.name === 'mesh-release-remote') {
        // Receptor releases a remote unit in the background after answering `released`, so its recording
        // still lists one unit it just released (LocalReleased: true); here release completes first.
        const last = steps[steps.length - 1]!;
        const recorded = JSON.parse(recvOf(t, last.index)) as Record<string, { ExtraData: { LocalReleased: boolean } }>;
        const stillThere = Object.fromEntries(Object.entries(recorded).filter(([, u]) => !u.ExtraData.LocalReleased));
        expected[expected.length - 1] = `${last.index} recv: ${mask(JSON.stringify(stillThere), 'controller')}\n`;
      }
      expect(actual.map(sortUnitMap)).toEqual(expected.map(sortUnitMap));
    });
  }
});
