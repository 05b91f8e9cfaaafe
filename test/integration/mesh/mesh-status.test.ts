// `meshctl mesh status` and `meshctl work list --all-nodes` through main(), in process, against a real embedded
// mesh (meshctl/testing startMesh): five nodes around a hop, one whose control service is TLS-only on the mesh
// side, one stopped during the run. Output captured for a terminal and for a pipe.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { AbortError } from '../../../src/errors.js';
import { startMesh, waitUntil, type TestMesh } from '../../../src/testing/index.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { fakeIo } from '../../unit/cmdutil/fake-io.js';

let dir: string;
let pki: TestPki;
let mesh: TestMesh;
let sock: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-meshstatus-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'ctl' }, { name: 'secure' }] });
  mesh = await startMesh({
    nodes: [
      {
        id: 'ctl',
        // The tls-client this node uses for the hop to secure's TLS-only control service.
        config: [{ 'tls-client': { name: 'ctlclient', cert: pki.nodes.ctl!.certPath, key: pki.nodes.ctl!.keyPath, rootcas: pki.ca.certPath } }],
      },
      'hop',
      { id: 'worker', workCommands: [{ worktype: 'cat', command: 'cat' }] },
      'leaf',
      {
        id: 'secure',
        workCommands: [{ worktype: 'echo', command: 'echo', params: 'hi' }],
        // Receptor's control-service `tls`: the mesh side of the service speaks TLS only (controlsvc.go); the
        // local Unix socket the fixture adds stays plain.
        config: [
          {
            'tls-server': { name: 'ctlsrv', cert: pki.nodes.secure!.certPath, key: pki.nodes.secure!.keyPath, clientcas: pki.ca.certPath, requireclientcert: true },
          },
          { 'control-service': { service: 'control', tls: 'ctlsrv' } },
        ],
      },
    ],
    links: [
      ['ctl', 'hop'],
      ['worker', 'hop'],
      ['leaf', 'hop'],
      ['secure', 'hop'],
    ],
  });
  sock = mesh.node('ctl').socketPath;
  // The TLS advertisement of secure's control service is what tells mesh status to use the tls-client.
  await waitUntil(() => mesh.node('ctl').node.mesh.serviceInfo('secure', 'control')?.ConnType === 2, 'secure control advertised with TLS', 20_000);
  const c = mesh.client('worker');
  const { unitid } = await c.workSubmit({ workType: 'cat' }, 'hello');
  await c.waitForUnit(unitid, { timeoutMs: 20_000 });
}, 60_000);

afterAll(async () => {
  await mesh?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[], o: { tty?: boolean; signal?: AbortSignal; io?: ReturnType<typeof fakeIo> } = {}) {
  const f = o.io ?? fakeIo({ tty: o.tty, columns: 200, env: { MESHCTL_SOCKET: sock, NO_COLOR: '1' } });
  const code = await main(argv, f.io, { signals: false, signal: o.signal });
  return { code, out: f.stdout(), err: f.stderr() };
}

interface Row {
  node: string;
  reachable: boolean;
  controlTls: boolean;
  nodeId?: string;
  version?: string;
  workTypes?: string[];
  units?: Record<string, number>;
  connections?: { node: string; cost: number }[];
  rttMs?: number | null;
  cpus?: number;
  error?: { code: string; message: string };
}

describe('mesh status - against an embedded mesh', () => {
  it('mesh status - every node answers through connect NODE control, the TLS-only one through --tls-client; exit 0', async () => {
    const r = await run(['mesh', 'status', '--json', '--tls-client', 'ctlclient']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { localNode: string; nodes: Row[] };
    expect(doc.localNode).toBe('ctl');
    expect(doc.nodes.map((n) => n.node)).toEqual(['ctl', 'hop', 'leaf', 'secure', 'worker']);
    for (const n of doc.nodes) {
      expect(n, n.node).toMatchObject({ reachable: true, nodeId: n.node });
      // Each row is that node's own status: compare with what its own socket says.
      const own = await mesh.client(n.node).status();
      expect(n.version).toBe(own.Version);
      expect(n.cpus).toBe(own.SystemCPUCount);
      expect(n.connections!.map((c) => c.node).sort()).toEqual(own.Connections.map((c) => c.NodeID).sort());
      expect(typeof n.rttMs).toBe('number');
    }
    const byId = Object.fromEntries(doc.nodes.map((n) => [n.node, n]));
    expect(byId.worker!.workTypes).toEqual(['cat']);
    expect(byId.worker!.units).toEqual({ Succeeded: 1 });
    expect(byId.secure).toMatchObject({ controlTls: true, workTypes: ['echo'], units: {} });
    expect(byId.hop!.connections!.map((c) => c.node)).toEqual(['ctl', 'leaf', 'secure', 'worker']);
  });

  it('mesh status - without --tls-client the TLS-only node stays in the table, unreachable with the reason; exit 7 and a hint', async () => {
    const r = await run(['mesh', 'status', '--json', '--timeout', '3s']);
    expect(r.code).toBe(7);
    const doc = JSON.parse(r.out) as { nodes: Row[] };
    const secure = doc.nodes.find((n) => n.node === 'secure')!;
    expect(secure).toMatchObject({ reachable: false, controlTls: true });
    expect(secure.error!.message).toMatch(/secure/);
    expect(doc.nodes.filter((n) => n.reachable).map((n) => n.node)).toEqual(['ctl', 'hop', 'leaf', 'worker']);
    expect(r.err).toMatch(/^meshctl: 1 of 5 nodes did not answer: secure \(hint: pass --tls-client NAME/);
  });

  it('mesh status - a terminal gets an aligned table with a summary on stderr; piped, one tab-separated record per node', async () => {
    const tty = await run(['mesh', 'status', '--tls-client', 'ctlclient'], { tty: true });
    expect(tty.code).toBe(0);
    const lines = tty.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Node +Version +CPUs +Memory +Work Types +Units +Conns +RTT +Status$/);
    expect(lines.find((l) => l.startsWith('worker'))).toMatch(/^worker +\S.* MiB +cat +1 succeeded +1 +[\d.]+ ms +ok$/);
    expect(lines.find((l) => l.startsWith('ctl'))).toMatch(/^ctl \*/);
    expect(tty.err).toBe('5 of 5 nodes answered\n');

    const piped = await run(['mesh', 'status', '--tls-client', 'ctlclient']);
    expect(piped.code).toBe(0);
    const rows = piped.out.split('\n').filter(Boolean).map((l) => l.split('\t'));
    expect(rows.map((r) => r[0])).toEqual(['ctl', 'hop', 'leaf', 'secure', 'worker']);
    const worker = rows.find((r) => r[0] === 'worker')!;
    expect(worker).toHaveLength(10);
    expect(worker.slice(0, 2)).toEqual(['worker', 'ok']);
    expect(worker[5]).toBe('cat');
    expect(worker[6]).toBe('Succeeded=1');
    expect(worker[7]).toBe('1');
    expect(Number(worker[8])).toBeGreaterThan(0);
    expect(piped.err).toBe('');
  });

  it('mesh status - --query selects from the document; --concurrency 1 gives the same rows', async () => {
    const r = await run(['mesh', 'status', '--tls-client', 'ctlclient', '--concurrency', '1', '--query', 'nodes[?reachable].node']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(['ctl', 'hop', 'leaf', 'secure', 'worker']);
  });

  it('work list --all-nodes - units of every node under a NODE column; --state and --work-type filter; --json keyed by node', async () => {
    const c = mesh.client('secure');
    const { unitid } = await c.workSubmit({ workType: 'echo' }, null);
    await c.waitForUnit(unitid, { timeoutMs: 20_000 });

    const piped = await run(['work', 'list', '--all-nodes', '--tls-client', 'ctlclient']);
    expect(piped.code).toBe(0);
    const rows = piped.out.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => [r[0], r[2], r[3]]).sort()).toEqual([
      ['secure', 'echo', 'Succeeded'],
      ['worker', 'cat', 'Succeeded'],
    ]);
    expect(rows.find((r) => r[0] === 'secure')![1]).toBe(unitid);

    const tty = await run(['work', 'list', '--all-nodes', '--tls-client', 'ctlclient', '--work-type', 'echo'], { tty: true });
    expect(tty.out).toMatch(/^Node +Unit ID +Work Type +State +Stdout +Detail\n/);
    expect(tty.out).toContain(`secure  ${unitid}`);
    expect(tty.out).not.toContain('worker');

    const json = await run(['work', 'list', '--all-nodes', '--tls-client', 'ctlclient', '--json', '--state', 'running,pending']);
    const doc = JSON.parse(json.out) as Record<string, { units?: Record<string, unknown> }>;
    expect(Object.keys(doc)).toEqual(['ctl', 'hop', 'leaf', 'secure', 'worker']);
    for (const v of Object.values(doc)) expect(v).toEqual({ units: {} });

    const q = await run(['work', 'list', '--all-nodes', '--tls-client', 'ctlclient', '--query', "[?node=='worker'].WorkType"]);
    expect(JSON.parse(q.out)).toEqual(['cat']);

    const bad = await run(['work', 'list', '--all-nodes', '--state', 'done']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown work unit state 'done' in --state/);
    const both = await run(['work', 'list', '--all-nodes', '--node', 'worker']);
    expect([both.code, both.err]).toEqual([2, expect.stringMatching(/--all-nodes and --node cannot be used together/)]);

    // The filters apply to one node's list too (here through --node).
    const one = await run(['work', 'list', '--node', 'worker', '--state', 'failed', '--json']);
    expect([one.code, JSON.parse(one.out)]).toEqual([0, {}]);
    const one2 = await run(['work', 'list', '--node', 'worker', '--work-type', 'cat', '--json']);
    expect(Object.values(JSON.parse(one2.out) as Record<string, { WorkType: string }>).map((u) => u.WorkType)).toEqual(['cat']);
  });

  it('mesh status --watch - piped: the first round prints every row, later rounds only the rows that changed', async () => {
    const io = fakeIo({ env: { MESHCTL_SOCKET: sock } });
    const ac = new AbortController();
    const done = run(['mesh', 'status', '--tls-client', 'ctlclient', '--watch', '300ms'], { io, signal: ac.signal });
    const records = () => io.stdout().split('\n').filter(Boolean);
    await waitUntil(() => records().length >= 5, 'first round', 20_000);
    // Let a few rounds pass with nothing changed but ping times: nothing more is printed.
    await new Promise((r) => setTimeout(r, 1500));
    expect(records()).toHaveLength(5);
    const c = mesh.client('worker');
    const { unitid } = await c.workSubmit({ workType: 'cat' }, 'again');
    await c.waitForUnit(unitid, { timeoutMs: 20_000 });
    await waitUntil(() => records().slice(5).some((l) => l.includes('Succeeded=2')), 'the changed worker row', 20_000);
    ac.abort(new AbortError('interrupted', { signal: 'SIGINT' }));
    const r = await done;
    expect(r.code).toBe(130);
    // Only the worker's row changed (a round may also have caught the unit still Running).
    const later = records().slice(5).map((l) => l.split('\t'));
    expect(new Set(later.map((l) => l[0]))).toEqual(new Set(['worker']));
    expect(later.at(-1)![6]).toBe('Succeeded=2');
    await c.workRelease(unitid);
  });

  it('mesh status --watch - on a terminal the table is redrawn in place at each interval', async () => {
    const io = fakeIo({ tty: true, columns: 200, env: { MESHCTL_SOCKET: sock, NO_COLOR: '1' } });
    const ac = new AbortController();
    const done = run(['mesh', 'status', '--tls-client', 'ctlclient', '--watch', '0.3'], { io, signal: ac.signal });
    const redraws = () => io.stdout().split('\x1b[H\x1b[2J').length - 1;
    await waitUntil(() => redraws() >= 2, 'two redraws', 20_000);
    ac.abort(new AbortError('interrupted', { signal: 'SIGINT' }));
    await done;
    const last = io.stdout().split('\x1b[H\x1b[2J').at(-1)!;
    expect(last).toMatch(/^Every 0\.3s: meshctl mesh status {4}\d{4}-\d\d-\d\dT/);
    expect(last).toMatch(/^worker +.*ok$/m);
    expect(last).toMatch(/5 of 5 nodes answered\n$/);
  });

  it('mesh status - the library call (meshctl meshStatus) returns one entry per node; a failed node is an entry, never a rejection', async () => {
    const { meshStatus, MeshctlError } = await import('../../../src/index.js');
    const report = await meshStatus({ address: sock }, { concurrency: 2, timeoutMs: 3000 });
    expect(report.localNode).toBe('ctl');
    expect(report.nodes.map((n) => [n.node.id, n.ok])).toEqual([
      ['ctl', true],
      ['hop', true],
      ['leaf', true],
      ['secure', false],
      ['worker', true],
    ]);
    const secure = report.nodes[3]!;
    if (secure.ok) throw new Error('secure answered without the tls-client');
    expect(secure.error).toBeInstanceOf(MeshctlError);
    expect(secure.error.data).toMatchObject({ node: 'secure', controlTls: true });
    const worker = report.nodes[4]!;
    if (!worker.ok) throw worker.error;
    expect(worker.summary).toMatchObject({ nodeId: 'worker', workTypes: ['cat'], units: { Succeeded: 1 } });
  });

  it('mesh status --watch - refused with --json (a stream of documents is not one document)', async () => {
    const r = await run(['mesh', 'status', '--watch', '--json']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--watch only applies to the table/);
  });

  // Last: stops a node for good.
  it('mesh status - a node that stopped stays in the table, unreachable with the reason; work list --all-nodes says so too; exit 7', async () => {
    await mesh.node('leaf').stop();
    await waitUntil(async () => !('leaf' in (await mesh.client('ctl').status()).RoutingTable), 'leaf unrouted', 20_000);
    const r = await run(['mesh', 'status', '--json', '--tls-client', 'ctlclient', '--timeout', '3s']);
    expect(r.code).toBe(7);
    const doc = JSON.parse(r.out) as { nodes: Row[] };
    const leaf = doc.nodes.find((n) => n.node === 'leaf')!;
    expect(leaf.reachable).toBe(false);
    expect(leaf.error!.message).toMatch(/leaf.*(no route to node|did not answer)/);
    expect(doc.nodes.filter((n) => n.reachable)).toHaveLength(4);
    expect(r.err).toMatch(/^meshctl: 1 of 5 nodes did not answer: leaf \(hint: each node's reason is shown/);

    const tty = await run(['mesh', 'status', '--tls-client', 'ctlclient', '--timeout', '3s'], { tty: true });
    expect(tty.code).toBe(7);
    expect(tty.out).toMatch(/^leaf +- +- .*unreachable: /m);

    const list = await run(['work', 'list', '--all-nodes', '--tls-client', 'ctlclient', '--json', '--timeout', '3s']);
    expect(list.code).toBe(7);
    const ldoc = JSON.parse(list.out) as Record<string, { error?: { message: string } }>;
    expect(ldoc.leaf!.error!.message).toMatch(/leaf/);
    expect(list.err).toMatch(/^meshctl: warning: .*leaf/m);
  });
});
