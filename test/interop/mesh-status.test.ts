// `meshctl mesh status` against a three-node real receptor 1.6.5 mesh (controller → hop ← executor), the
// executor's control service TLS-only on the mesh side (`control-service` `tls:`, advertised as StreamTLS). meshctl
// talks to the controller's socket only; each row is compared with what receptorctl reads from that node's own
// socket: node ID, version, work types, connections, and the units by state.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/certs.js';
import { requirePeers, runMeshctl, runReceptorctl, startReceptor, type RunningReceptor } from '../helpers/receptor.js';
import { rawCommand, waitForState } from './support/raw.js';

interface ReceptorStatus {
  NodeID: string;
  Version: string;
  SystemCPUCount: number;
  Connections: { NodeID: string; Cost: number }[] | null;
  Advertisements: { NodeID: string; Service: string; ConnType: number; WorkCommands: { WorkType: string }[] | null }[] | null;
}

interface Row {
  node: string;
  reachable: boolean;
  controlTls: boolean;
  nodeId?: string;
  version?: string;
  cpus?: number;
  workTypes?: string[];
  units?: Record<string, number>;
  connections?: { node: string; cost: number }[];
  rttMs?: number | null;
  error?: { code: string; message: string };
}

describe('receptor mesh status', () => {
  let dir: string;
  const nodes: Record<string, RunningReceptor> = {};

  beforeAll(async () => {
    requirePeers();
    dir = await mkdtemp(join(tmpdir(), 'interop-meshstatus-'));
    const pki = await makeTestPki(dir, { nodes: [{ name: 'executor' }, { name: 'controller' }] });
    // Service advertisements go out 5 s after a node starts (netceptor.go sendServiceAds): start back to back.
    nodes.hop = await startReceptor({ nodeId: 'hop', tcpListener: {} });
    nodes.executor = await startReceptor({
      nodeId: 'executor',
      tcpPeers: [{ address: `127.0.0.1:${nodes.hop.listenerPort}` }],
      controlServiceTls: 'ctl-srv',
      extraItems: [
        { 'tls-server': { name: 'ctl-srv', cert: pki.nodes.executor!.certPath, key: pki.nodes.executor!.keyPath, requireclientcert: true, clientcas: pki.ca.certPath } },
      ],
      workCommands: [
        { worktype: 'echo', command: 'echo', params: 'hi' },
        { worktype: 'cat', command: 'cat' },
      ],
    });
    nodes.controller = await startReceptor({
      nodeId: 'controller',
      tcpPeers: [{ address: `127.0.0.1:${nodes.hop.listenerPort}` }],
      extraItems: [{ 'tls-client': { name: 'ctl-cli', cert: pki.nodes.controller!.certPath, key: pki.nodes.controller!.keyPath, rootcas: pki.ca.certPath } }],
    });
    // One finished unit on the executor, submitted on its own socket.
    const sub = await runReceptorctl(['--socket', nodes.executor.socketPath, 'work', 'submit', 'echo', '--no-payload']);
    expect(sub.exitCode, sub.stderr.toString()).toBe(0);
    const unitId = /Unit ID: (\S+)/.exec(sub.stdout.toString())![1]!;
    await waitForState(nodes.executor.socketPath, unitId, [2]);
    // The controller must know every node's control advertisement, the executor's as StreamTLS (ConnType 2).
    const deadline = Date.now() + 40_000;
    for (;;) {
      const st = JSON.parse(await rawCommand(nodes.controller.socketPath, 'status')) as ReceptorStatus & { RoutingTable: Record<string, string> };
      const ctl = (st.Advertisements ?? []).filter((a) => a.Service === 'control');
      if (st.RoutingTable.executor && ctl.length === 3 && ctl.some((a) => a.NodeID === 'executor' && a.ConnType === 2)) break;
      if (Date.now() > deadline) throw new Error(`mesh did not converge: ${JSON.stringify(st)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(Object.values(nodes).map((n) => n.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('receptor mesh status - every row matches receptorctl status on that node: node ID, version, work types, connections, units', async () => {
    const r = await runMeshctl(['-s', nodes.controller!.socketPath, 'mesh', 'status', '--json', '--tls-client', 'ctl-cli']);
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    const doc = JSON.parse(r.stdout.toString()) as { localNode: string; nodes: Row[] };
    expect(doc.localNode).toBe('controller');
    expect(doc.nodes.map((n) => n.node)).toEqual(['controller', 'executor', 'hop']);
    for (const row of doc.nodes) {
      const own = await runReceptorctl(['--socket', nodes[row.node]!.socketPath, 'status', '--json']);
      expect(own.exitCode).toBe(0);
      const st = JSON.parse(own.stdout.toString()) as ReceptorStatus;
      const ownTypes = (st.Advertisements ?? [])
        .filter((a) => a.NodeID === st.NodeID)
        .flatMap((a) => (a.WorkCommands ?? []).map((w) => w.WorkType))
        .sort();
      expect(row, row.node).toMatchObject({
        reachable: true,
        nodeId: st.NodeID,
        version: st.Version,
        cpus: st.SystemCPUCount,
        workTypes: [...new Set(ownTypes)],
        connections: (st.Connections ?? []).map((c) => ({ node: c.NodeID, cost: c.Cost })).sort((a, b) => a.node.localeCompare(b.node)),
      });
      expect(row.rttMs).toBeGreaterThan(0);
      const units = JSON.parse((await runReceptorctl(['--socket', nodes[row.node]!.socketPath, 'work', 'list'])).stdout.toString()) as Record<string, { StateName: string }>;
      const byState: Record<string, number> = {};
      for (const u of Object.values(units)) byState[u.StateName] = (byState[u.StateName] ?? 0) + 1;
      expect(row.units).toEqual(byState);
    }
    const executor = doc.nodes.find((n) => n.node === 'executor')!;
    expect(executor).toMatchObject({ controlTls: true, workTypes: ['cat', 'echo'], units: { Succeeded: 1 } });
  });

  it("receptor mesh status - without --tls-client the executor's TLS-only control service is unreachable with the reason; exit 7", async () => {
    const r = await runMeshctl(['-s', nodes.controller!.socketPath, 'mesh', 'status', '--json', '--timeout', '3s']);
    expect(r.exitCode).toBe(7);
    const doc = JSON.parse(r.stdout.toString()) as { nodes: Row[] };
    const executor = doc.nodes.find((n) => n.node === 'executor')!;
    expect(executor).toMatchObject({ reachable: false, controlTls: true });
    expect(executor.error!.message).toMatch(/executor/);
    expect(doc.nodes.filter((n) => n.reachable).map((n) => n.node)).toEqual(['controller', 'hop']);
    expect(r.stderr.toString()).toMatch(/1 of 3 nodes did not answer: executor \(hint: pass --tls-client NAME/);
  });

  it('receptor mesh status - work list --all-nodes lists the executor unit under its node, as receptorctl work list does there', async () => {
    const r = await runMeshctl(['-s', nodes.controller!.socketPath, 'work', 'list', '--all-nodes', '--tls-client', 'ctl-cli', '--json']);
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    const doc = JSON.parse(r.stdout.toString()) as Record<string, { units: Record<string, unknown> }>;
    const own = JSON.parse((await runReceptorctl(['--socket', nodes.executor!.socketPath, 'work', 'list'])).stdout.toString()) as Record<string, unknown>;
    expect(doc.executor!.units).toEqual(own);
    expect(doc.controller!.units).toEqual({});
    expect(doc.hop!.units).toEqual({});
  });
});
