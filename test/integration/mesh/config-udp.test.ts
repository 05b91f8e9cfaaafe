// startBackends with receptor's udp-listener / udp-peer sections (pkg/backends/udp.go UDPListenerCfg,
// UDPDialerCfg): they start, links form over UDP, and bad values are refused with receptor's texts.
import { describe, expect, it } from 'vitest';
import type { EntrySource, MeshConfig } from '../../../src/config/types.js';
import { startBackends, type MeshTlsResolver } from '../../../src/node/mesh/index.js';
import { FAST_MESH_TIMERS, waitUntil } from '../../helpers/mesh.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { rawCommand } from '../../interop/support/raw.js';
import { meshTestbed } from './helpers.js';

const src = (section: string): EntrySource => ({ section, index: 1, canonical: '{}' });
const noTls: MeshTlsResolver = { server: () => undefined, client: () => undefined };

function meshConfig(over: Partial<MeshConfig>): MeshConfig {
  return { tcpListeners: [], tcpPeers: [], wsListeners: [], wsPeers: [], tcpServers: [], tcpClients: [], ...over };
}

describe('mesh config udp', () => {
  const t = meshTestbed();

  it('mesh config - udp-listener and udp-peer entries start and connect; routes and ping cross the UDP links', async () => {
    const [hub, x, y] = t.nodes('hub', 'x', 'y');
    const started = await startBackends(
      hub!,
      meshConfig({ udpListeners: [{ bindaddr: '127.0.0.1', port: 0, cost: 1, source: src('udp-listener') }] }),
      noTls,
    );
    expect(started.listeners.map((l) => l.kind)).toEqual(['udp']);
    const url = started.listeners[0]!.url;
    expect(url).toMatch(/^127\.0\.0\.1:\d+$/);
    for (const n of [x!, y!]) {
      const s = await startBackends(n, meshConfig({ udpPeers: [{ address: url, redial: true, cost: 1, source: src('udp-peer') }] }), noTls);
      expect(s.peers).toHaveLength(1);
    }
    await t.converged([hub!, x!, y!]);
    expect(await x!.ping('y')).toMatchObject({ Success: true, From: 'y' });
  });

  it('mesh config - udp entries refuse a non-positive cost or nodecost and an address without a port', async () => {
    const m = t.node('m');
    await expect(
      startBackends(m, meshConfig({ udpPeers: [{ address: '127.0.0.1:1', redial: true, cost: 0, source: src('udp-peer') }] }), noTls),
    ).rejects.toMatchObject({ code: 'EBADCONFIG', message: 'udp-peer: connection cost must be positive' });
    await expect(
      startBackends(m, meshConfig({ udpListeners: [{ bindaddr: '127.0.0.1', port: 0, cost: 1, nodecost: { x: -1 }, source: src('udp-listener') }] }), noTls),
    ).rejects.toMatchObject({ code: 'EBADCONFIG', message: 'udp-listener: connection cost must be positive for x' });
    await expect(
      startBackends(m, meshConfig({ udpPeers: [{ address: '127.0.0.1', redial: true, cost: 1, source: src('udp-peer') }] }), noTls),
    ).rejects.toMatchObject({ code: 'EBADCONFIG', message: 'udp-peer: address 127.0.0.1: missing port in address' });
  });
});

describe('node config udp', () => {
  it('node config - a node started from YAML runs its udp-listener and udp-peer entries: the link forms and ping crosses it', async () => {
    const nodes: TestNode[] = [];
    try {
      const a = await startTestNode({ nodeId: 'udpa', extraYaml: '- udp-listener:\n    bindaddr: 127.0.0.1\n    port: 0\n    cost: 2\n', startOptions: { meshTimers: FAST_MESH_TIMERS } });
      nodes.push(a);
      expect(a.node.meshListeners.map((l) => [l.section, l.kind])).toEqual([['udp-listener', 'udp']]);
      const url = a.node.meshListeners[0]!.url;
      const b = await startTestNode({ nodeId: 'udpb', extraYaml: `- udp-peer:\n    address: ${url}\n    cost: 2\n`, startOptions: { meshTimers: FAST_MESH_TIMERS } });
      nodes.push(b);
      await waitUntil(() => b.node.mesh.status().RoutingTable.udpa === 'udpa' && a.node.mesh.status().RoutingTable.udpb === 'udpb', 'routes over the udp link');
      expect(a.node.mesh.status().Connections).toEqual([{ NodeID: 'udpb', Cost: 2 }]);
      expect(JSON.parse(await rawCommand(b.socketPath, 'ping udpa'))).toMatchObject({ Success: true, From: 'udpa' });
    } finally {
      for (const n of nodes.reverse()) await n.close();
    }
  });
});
