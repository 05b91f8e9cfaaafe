// A slow consumer keeps memory flat on both sides: `meshctl work results ID | (slow reader)` on a 200 MiB result.
// For a few seconds the reader takes ~3 MiB/s while the node could send far faster; meshctl must wait for its
// stdout pipe (and so stop reading its socket), the node must wait for its socket. We sample VmRSS of the meshctl
// child and of the node child (both real processes: `node bin/meshctl.js ...`) and check a generous bound, and
// check from /proc/PID/io that meshctl did not read ahead of its reader. This is a memory test, not a timing test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { WorkState } from '../../../src/protocol/types.js';
import { ensureBuilt } from '../../e2e/build.js';
import { spawnTestNode, type SpawnedTestNode } from '../../helpers/node.js';
import { SlowReader } from '../../helpers/slow-reader.js';
import { bytesReadBy, memoryOf, MiB, runCli, sha256File, unitStdout, waitFor } from './support.js';

const SIZE = 200 * MiB;
const BOUND = 150 * MiB;
const SLOW_PHASE_MS = 3000;

let node: SpawnedTestNode;
let direct: ControlClient;

beforeAll(async () => {
  ensureBuilt();
  node = await spawnTestNode({
    via: 'cli',
    workCommands: [{ worktype: 'big', command: 'head', params: `-c ${SIZE} /dev/urandom` }],
  });
  direct = new ControlClient({ address: node.socketPath });
});

afterAll(async () => {
  await direct?.close();
  await node?.close();
});

describe.runIf(process.platform === 'linux')('streaming - slow consumer', () => {
  it('slow consumer - `meshctl work results | slow reader` on 200 MiB: meshctl and node RSS stay bounded, output byte-exact', async () => {
    const { unitid: id } = await direct.workSubmit({ workType: 'big' }, null);
    try {
      await waitFor('the unit to finish', async () => ((await direct.workStatus(id)).State === WorkState.Succeeded ? true : undefined), 30_000, 100);
      const run = runCli(['-s', node.socketPath, 'work', 'results', id], { stdout: 'pipe' });
      const pid = run.child.pid!;
      const slow = new SlowReader(run.child.stdout!, { chunk: 64 * 1024, everyMs: 20 });
      const peak = { cli: 0, node: 0 };
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const [c, n] = await Promise.all([memoryOf(pid).catch(() => undefined), memoryOf(node.pid).catch(() => undefined)]);
          if (c) peak.cli = Math.max(peak.cli, c.rss);
          if (n) peak.node = Math.max(peak.node, n.rss);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      try {
        await new Promise((r) => setTimeout(r, SLOW_PHASE_MS));
        // While throttled, meshctl has read (socket + its own start-up files) only a little more than its reader took.
        const readByCli = await bytesReadBy(pid);
        const takenByReader = slow.bytes;
        expect(takenByReader).toBeGreaterThan(0);
        expect(takenByReader).toBeLessThan(SIZE / 4);
        expect(readByCli - takenByReader).toBeLessThan(48 * MiB);
        const { bytes, sha256 } = await slow.drain();
        const r = await run.done;
        expect(r.code, r.stderr).toBe(0);
        expect(bytes).toBe(SIZE);
        expect(sha256).toBe(await sha256File(unitStdout(node, id)));
      } finally {
        sampling = false;
        await sampler;
        slow.stop();
      }
      expect(peak.cli).toBeGreaterThan(0);
      expect(peak.node).toBeGreaterThan(0);
      expect(peak.cli, `meshctl peak RSS ${(peak.cli / MiB).toFixed(1)} MiB`).toBeLessThan(BOUND);
      expect(peak.node, `node peak RSS ${(peak.node / MiB).toFixed(1)} MiB`).toBeLessThan(BOUND);
    } finally {
      await direct.workRelease(id, { force: true });
    }
  }, 60_000);
});
