// `meshctl mesh graph` against a real receptor 1.6.5 mesh and against the same mesh of `meshctl node` processes
// (the same YAML): ctl.example.com dials hop-1.dc (cost 1) and exec_1@east:a (cost 5); hop-1.dc dials
// exec_1@east:a (cost 2), whose tcp-listener gives both links their cost with nodecost (receptor refuses a link
// whose two ends disagree about its cost: netceptor.go "we disagree about the connection cost"). The routes from
// the controller go through the hop (1 + 2 < 5), so the direct link is the tree's extra link. Node IDs use
// `.-_@:`. Both meshes must give the same graph, and it must be the graph of what receptorctl reads from the node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshTopology } from '../../src/protocol/mesh-topology.js';
import type { Status } from '../../src/protocol/types.js';
import { freePort, requirePeers, runMeshctl, runReceptorctl, startMeshctlNode, startReceptor, type ReceptorOptions, type RunningReceptor } from '../helpers/receptor.js';

type Kind = 'receptor' | 'meshctl';
const started: RunningReceptor[] = [];
const controllers = new Map<Kind, RunningReceptor>();

async function startTriangle(kind: Kind): Promise<RunningReceptor> {
  const start = (o: ReceptorOptions) => (kind === 'receptor' ? startReceptor(o) : startMeshctlNode(o)).then((n) => (started.push(n), n));
  const execPort = await freePort();
  await start({
    nodeId: 'exec_1@east:a',
    extraItems: [{ 'tcp-listener': { bindaddr: '127.0.0.1', port: execPort, nodecost: { 'hop-1.dc': 2, 'ctl.example.com': 5 } } }],
    workCommands: [
      { worktype: 'echo', command: 'echo', allowruntimeparams: true },
      { worktype: 'cat', command: 'cat' },
    ],
  });
  const hop = await start({ nodeId: 'hop-1.dc', tcpListener: {}, tcpPeers: [{ address: `127.0.0.1:${execPort}`, cost: 2 }] });
  return start({
    nodeId: 'ctl.example.com',
    tcpPeers: [{ address: `127.0.0.1:${hop.listenerPort}` }, { address: `127.0.0.1:${execPort}`, cost: 5 }],
  });
}

async function statusOf(node: RunningReceptor): Promise<Status> {
  const r = await runReceptorctl(['--socket', node.socketPath, 'status', '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout.toString()) as Status;
}

beforeAll(async () => {
  requirePeers();
  for (const kind of ['receptor', 'meshctl'] as const) controllers.set(kind, await startTriangle(kind));
  // Receptor sends its service adverts ~5 s after start (netceptor.go sendServiceAds via tickrunner).
  for (const node of controllers.values()) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const s = await statusOf(node);
      const ready =
        s.RoutingTable['exec_1@east:a'] === 'hop-1.dc' &&
        s.KnownConnectionCosts['hop-1.dc']?.['exec_1@east:a'] === 2 &&
        s.KnownConnectionCosts['ctl.example.com']?.['exec_1@east:a'] === 5 &&
        ['ctl.example.com', 'hop-1.dc'].every((id) => s.Advertisements.some((a) => a.NodeID === id)) &&
        s.Advertisements.some((a) => a.NodeID === 'exec_1@east:a' && (a.WorkCommands?.length ?? 0) === 2);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`the ${node.nodeId} mesh did not converge in 60 s: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(started.map((n) => n.stop()));
});

const EXPECTED_PIPED = [
  'node\tctl.example.com\t-\t-\t0\tcontrol\t-',
  'node\thop-1.dc\tctl.example.com\t1\t1\tcontrol\t-',
  'node\texec_1@east:a\thop-1.dc\t2\t3\texecutor,control\tcat,echo',
  'link\tctl.example.com\thop-1.dc\t1\ttree',
  'link\thop-1.dc\texec_1@east:a\t2\ttree',
  'link\tctl.example.com\texec_1@east:a\t5\textra',
  '',
].join('\n');

describe('mesh graph interop', () => {
  it('mesh graph interop - receptor 1.6.5 and meshctl node meshes give the same tree, roles and costs', async () => {
    for (const [kind, node] of controllers) {
      const r = await runMeshctl(['--socket', node.socketPath, 'mesh', 'graph']);
      expect([kind, r.exitCode, r.stderr, r.stdout.toString()]).toEqual([kind, 0, '', EXPECTED_PIPED]);
    }
    const json = await Promise.all([...controllers.values()].map((n) => runMeshctl(['--socket', n.socketPath, 'mesh', 'graph', '--json'])));
    expect(json[0]!.stdout.toString()).toBe(json[1]!.stdout.toString());
    const dot = await Promise.all([...controllers.values()].map((n) => runMeshctl(['--socket', n.socketPath, 'mesh', 'graph', '--format', 'dot'])));
    expect(dot[0]!.stdout.toString()).toBe(dot[1]!.stdout.toString());
    expect(dot[0]!.stdout.toString()).toContain('  "ctl.example.com" -- "exec_1@east:a" [label="5", style=dashed, constraint=false];\n');
  });

  it("mesh graph interop - the graph is the topology of the status receptorctl reads from the same node", async () => {
    for (const node of controllers.values()) {
      const r = await runMeshctl(['--socket', node.socketPath, 'mesh', 'graph', '--json']);
      expect(JSON.parse(r.stdout.toString())).toEqual(meshTopology(await statusOf(node)));
    }
  });
});
