// startBackends: typed Receptor config sections (src/config) to running listeners and peers.
import { describe, expect, it } from 'vitest';
import type { EntrySource, MeshConfig } from '../../../src/config/types.js';
import { startBackends, type MeshTlsResolver } from '../../../src/node/mesh/index.js';
import { meshTestbed } from './helpers.js';

const src = (section: string): EntrySource => ({ section, index: 1, canonical: '{}' });
const noTls: MeshTlsResolver = { server: () => undefined, client: () => undefined };

function meshConfig(over: Partial<MeshConfig>): MeshConfig {
  return { tcpListeners: [], tcpPeers: [], wsListeners: [], wsPeers: [], tcpServers: [], tcpClients: [], ...over };
}

describe('mesh config', () => {
  const t = meshTestbed();

  it('mesh config - tcp-listener, ws-listener, tcp-peer and ws-peer entries start and connect', async () => {
    const [hub, x, y] = t.nodes('hub', 'x', 'y');
    const started = await startBackends(
      hub!,
      meshConfig({
        tcpListeners: [{ bindaddr: '127.0.0.1', port: 0, tls: '', cost: 1, source: src('tcp-listener') }],
        wsListeners: [{ bindaddr: '127.0.0.1', port: 0, tls: '', cost: 1, path: '/ws', source: src('ws-listener') }],
      }),
      noTls,
    );
    expect(started.listeners.map((l) => l.kind)).toEqual(['tcp', 'ws']);
    await startBackends(x!, meshConfig({ tcpPeers: [{ address: started.listeners[0]!.url, redial: true, tls: '', cost: 1, source: src('tcp-peer') }] }), noTls);
    await startBackends(
      y!,
      meshConfig({ wsPeers: [{ address: started.listeners[1]!.url, redial: true, tls: '', cost: 1, extraheader: '', source: src('ws-peer') }] }),
      noTls,
    );
    await t.converged([hub!, x!, y!]);
    expect(await x!.ping('y')).toMatchObject({ Success: true, From: 'y' });
  });

  it('mesh config - an unknown tls name and a non-positive cost are configuration errors', async () => {
    const m = t.node('m');
    await expect(
      startBackends(m, meshConfig({ tcpListeners: [{ bindaddr: '127.0.0.1', port: 0, tls: 'nope', cost: 1, source: src('tcp-listener') }] }), noTls),
    ).rejects.toMatchObject({ code: 'EBADCONFIG', message: 'tcp-listener: unknown TLS config nope' });
    await expect(
      startBackends(m, meshConfig({ tcpPeers: [{ address: '127.0.0.1:1', redial: true, tls: '', cost: 0, source: src('tcp-peer') }] }), noTls),
    ).rejects.toMatchObject({ code: 'EBADCONFIG', message: 'tcp-peer: connection cost must be positive' });
    await expect(
      startBackends(
        m,
        meshConfig({ tcpListeners: [{ bindaddr: '127.0.0.1', port: 0, tls: '', cost: 1, nodecost: { x: -1 }, source: src('tcp-listener') }] }),
        noTls,
      ),
    ).rejects.toMatchObject({ message: 'tcp-listener: connection cost must be positive for x' });
    await expect(
      startBackends(m, meshConfig({ wsPeers: [{ address: 'ws://127.0.0.1:1/', redial: true, tls: '', cost: 1, extraheader: 'nocolon', source: src('ws-peer') }] }), noTls),
    ).rejects.toMatchObject({ message: 'ws-peer: extra header must be in the form key:value' });
  });
});
