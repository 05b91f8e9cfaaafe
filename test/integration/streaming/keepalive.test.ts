// TCP keepalive on control connections, read back from the kernel: a results stream that carries nothing for
// minutes (a quiet job) must not be cut as idle by a cloud load balancer (~4 min on Azure/AKS, see
// receptor-user-asks.md), so both ends send keepalive probes well before that. /proc/net/tcp shows a socket's
// pending timer: `tr` 2 is the keepalive timer and `tm->when` the clock ticks (USER_HZ, 100/s) until it fires.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { ensureBuilt } from '../../e2e/build.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { runCli, waitFor } from './support.js';

const USER_HZ = 100;
const linux = process.platform === 'linux';

interface TcpRow {
  localPort: number;
  remotePort: number;
  state: number;
  timer: number;
  whenTicks: number;
  inode: number;
}

async function tcpRows(): Promise<TcpRow[]> {
  const rows: TcpRow[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10) continue;
      const [timer, when] = c[5]!.split(':');
      rows.push({
        localPort: parseInt(c[1]!.split(':')[1]!, 16),
        remotePort: parseInt(c[2]!.split(':')[1]!, 16),
        state: parseInt(c[3]!, 16),
        timer: parseInt(timer!, 16),
        whenTicks: parseInt(when!, 16),
        inode: Number(c[9]),
      });
    }
  }
  return rows;
}

async function socketInodes(pid: number): Promise<Set<number>> {
  const out = new Set<number>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
    if (m) out.add(Number(m[1]));
  }
  return out;
}

const ESTABLISHED = 1;
const FIN_WAIT2 = 5; // the client half-closes after `work results`: its socket waits in FIN_WAIT2 while data flows
const CLOSE_WAIT = 8; // ... and the node's end of that connection sits in CLOSE_WAIT
const KEEPALIVE_TIMER = 2;

let node: TestNode;
let direct: ControlClient;

beforeAll(async () => {
  ensureBuilt();
  node = await startTestNode({ tcp: true, workCommands: [{ worktype: 'quiet', command: 'sleep', params: '30' }] });
  direct = new ControlClient({ address: node.socketPath });
});

afterAll(async () => {
  await direct?.close();
  await node?.close();
});

describe.runIf(linux)('streaming - TCP keepalive', () => {
  it('keepalive - both ends of a quiet `meshctl work results` stream over TCP run a keepalive timer of at most 30 s', async () => {
    const { unitid: id } = await direct.workSubmit({ workType: 'quiet' }, null);
    const run = runCli(['-s', node.tcpAddress!, 'work', 'results', id]);
    try {
      const pid = run.child.pid!;
      // The child's socket to the node, once idle (no retransmit timer pending): its keepalive timer shows.
      const client = await waitFor('the client socket with a keepalive timer', async () => {
        const mine = await socketInodes(pid);
        const row = (await tcpRows()).find(
          (r) => mine.has(r.inode) && r.remotePort === node.tcpPort && (r.state === ESTABLISHED || r.state === FIN_WAIT2),
        );
        return row && row.timer === KEEPALIVE_TIMER ? row : undefined;
      });
      expect(client.whenTicks).toBeGreaterThan(0);
      expect(client.whenTicks / USER_HZ).toBeLessThanOrEqual(30);
      // The node's end of the same connection (its local port is the listener's, its peer port the client's).
      const server = await waitFor('the node socket with a keepalive timer', async () => {
        const row = (await tcpRows()).find((r) => r.localPort === node.tcpPort && r.remotePort === client.localPort);
        return row && row.timer === KEEPALIVE_TIMER ? row : undefined;
      });
      expect([ESTABLISHED, CLOSE_WAIT]).toContain(server.state);
      expect(server.whenTicks).toBeGreaterThan(0);
      expect(server.whenTicks / USER_HZ).toBeLessThanOrEqual(30);
    } finally {
      run.child.kill('SIGTERM');
      await run.done;
      await direct.workRelease(id, { force: true });
    }
  });
});
