// Fault injection: a 4 MiB result read through a proxy that cuts the connection 100 times at random offsets
// (seeded: set MESHCTL_FAULT_SEED to replay a failure) still arrives byte-identical. Cuts land anywhere:
// inside the greeting, inside the `Streaming results` header, inside status replies, and mid-data.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { WorkState } from '../../../src/protocol/types.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { MiB, prng, sha256File, unitStdout, waitFor } from './support.js';

const SIZE = 4 * MiB;
const CUTS = 100;
const SEED = Number(process.env.MESHCTL_FAULT_SEED ?? 20240611);

let node: TestNode;
let direct: ControlClient;

beforeAll(async () => {
  node = await startTestNode({ tcp: true, workCommands: [{ worktype: 'rand', command: 'head', params: `-c ${SIZE} /dev/urandom` }] });
  direct = new ControlClient({ address: node.socketPath });
});

afterAll(async () => {
  await direct?.close();
  await node?.close();
});

describe('streaming - fault injection', () => {
  it(`fault injection - ${CUTS} cuts at random offsets during a ${SIZE / MiB} MiB result give byte-identical output (seed ${SEED})`, async () => {
    const { unitid: id } = await direct.workSubmit({ workType: 'rand' }, null);
    try {
      await waitFor('the unit to finish', async () => ((await direct.workStatus(id)).State === WorkState.Succeeded ? true : undefined));
      const rand = prng(SEED);
      // Mostly mid-data cuts (up to 2 × the average share of a connection), plus 1 in 10 within the first
      // 200 bytes (greeting, header, a status reply). Once CUTS connections were cut, the proxy lets the rest through.
      const proxy = await startFaultProxy({ port: node.tcpPort! }, () => {
        if (proxy.cuts >= CUTS) return {};
        const early = rand() < 0.1;
        return { cutAfter: early ? 1 + Math.floor(rand() * 200) : 1 + Math.floor(rand() * ((2 * SIZE) / CUTS)) };
      });
      const client = new ControlClient({ address: proxy.address });
      try {
        const hash = createHash('sha256');
        let size = 0;
        const stream = client.followResults(id, { reconnectTimeoutMs: 10_000 });
        for await (const chunk of stream) {
          hash.update(chunk);
          size += chunk.length;
        }
        expect(proxy.cuts).toBeGreaterThanOrEqual(CUTS);
        expect(stream.reconnects).toBeGreaterThanOrEqual(CUTS / 2);
        expect(size).toBe(SIZE);
        expect(hash.digest('hex')).toBe(await sha256File(unitStdout(node, id)));
        expect(stream.final?.State).toBe(WorkState.Succeeded);
      } finally {
        await client.close();
        await proxy.close();
      }
    } finally {
      await direct.workRelease(id, { force: true });
    }
  });
});
