// Issue 15: a meshctl node wired straight to a real receptor node. Before the netceptor wire, meshctl's own link
// HELLO made receptor 1.6.5 panic (its 4-byte big-endian length starts 00 00, which receptor reads as a zero-length
// frame: "index out of range [0] with length 0" in runProtocol), taking the receptor node down whichever side
// dialled; then both sides refused each other cleanly. Now both speak netceptor: the link comes up in both
// directions over tcp, tls, ws and udp, each side's status lists the other at the configured cost, and receptor
// never logs a panic. (Three-node mixed meshes, routes, ping, traceroute and remote work: mixed-mesh.test.ts.)
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certs.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { freePort, requirePeers, startReceptor, type RunningReceptor } from '../helpers/receptor.js';
import { rawCommand } from './support/raw.js';

type Backend = 'tcp' | 'tls' | 'ws' | 'udp';

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms: number, log: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const q = (s: string): string => JSON.stringify(s);

describe('mesh direct links with receptor 1.6.5', () => {
  const receptors: RunningReceptor[] = [];
  const nodes: TestNode[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    await Promise.all(receptors.splice(0).map((r) => r.stop()));
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function pki(): Promise<TestPki> {
    const dir = await mkdtemp(join(tmpdir(), 'miswire-pki-'));
    dirs.push(dir);
    await mkdir(dir, { recursive: true });
    return makeTestPki(dir, { nodes: [{ name: 'rmis' }, { name: 'mmis' }] });
  }

  /** The meshctl node (in-process), its log lines collected. */
  async function meshctl(extraYaml: string): Promise<{ node: TestNode; log: () => string }> {
    let text = '';
    const logStream = new PassThrough();
    logStream.on('data', (d: Buffer) => (text += d.toString('utf8')));
    const node = await startTestNode({ nodeId: 'mmis', logLevel: 'info', extraYaml, logStream });
    nodes.push(node);
    return { node, log: () => text };
  }

  async function receptor(items: unknown[]): Promise<RunningReceptor> {
    requirePeers();
    const r = await startReceptor({ nodeId: 'rmis', extraItems: items });
    receptors.push(r);
    return r;
  }

  /** Linked both ways at cost 2.5: each status lists the other; receptor alive, no panic; both log the connection. */
  async function expectLinked(r: RunningReceptor, m: { node: TestNode; log: () => string }): Promise<void> {
    const logs = () => `--- meshctl node log:\n${m.log()}\n--- receptor log:\n${r.log()}`;
    type St = { NodeID: string; Connections: { NodeID: string; Cost: number }[] | null; KnownConnectionCosts: Record<string, Record<string, number>> };
    const st = async (sock: string): Promise<St> => JSON.parse(await rawCommand(sock, '{"command":"status"}')) as St;
    const rs = await until('receptor to list the meshctl node', async () => ((await st(r.socketPath)).Connections?.length ? st(r.socketPath) : undefined), 40_000, logs);
    expect(rs.Connections).toEqual([{ NodeID: 'mmis', Cost: 2.5 }]);
    const ms = await until('the meshctl node to list receptor', async () => ((await st(m.node.socketPath)).Connections?.length ? st(m.node.socketPath) : undefined), 40_000, logs);
    expect(ms.Connections).toEqual([{ NodeID: 'rmis', Cost: 2.5 }]);
    // KnownConnectionCosts converge to the same edge on both sides once each has the other's routing update.
    await until('both known-cost tables to hold the edge both ways', async () => {
      const [a, b] = [await st(r.socketPath), await st(m.node.socketPath)];
      const ok = (k: St['KnownConnectionCosts']) => k.rmis?.mmis === 2.5 && k.mmis?.rmis === 2.5;
      return ok(a.KnownConnectionCosts) && ok(b.KnownConnectionCosts) ? true : undefined;
    }, 40_000, logs);
    expect(m.log()).toContain('Connection established with rmis');
    expect(r.log()).toContain('Connection established with mmis');
    expect(r.process.exitCode, logs()).toBeNull();
    expect(r.log()).not.toContain('panic');
    expect(m.log()).not.toMatch(/^ERROR /m);
  }

  const listenerItem = (backend: Backend, port: number, tls?: string): Record<string, unknown> =>
    backend === 'ws'
      ? { 'ws-listener': { bindaddr: '127.0.0.1', port, cost: 2.5 } }
      : backend === 'udp'
        ? { 'udp-listener': { bindaddr: '127.0.0.1', port, cost: 2.5 } }
        : { 'tcp-listener': { bindaddr: '127.0.0.1', port, cost: 2.5, ...(tls ? { tls } : {}) } };
  const section = (backend: Backend, kind: 'listener' | 'peer'): string => `${backend === 'tls' ? 'tcp' : backend}-${kind}`;

  describe.each(['tcp', 'tls', 'ws', 'udp'] as Backend[])('%s', (backend) => {
    it(`mesh direct link - a receptor ${backend} peer dialling a meshctl listener links, both statuses list the other (issue 15: receptor panicked)`, async () => {
      const port = await freePort();
      let yaml = '';
      const items: unknown[] = [];
      if (backend === 'tls') {
        const p = await pki();
        yaml += ['- tls-server:', '    name: msrv', `    cert: ${q(p.nodes.mmis!.certPath)}`, `    key: ${q(p.nodes.mmis!.keyPath)}`].join('\n') + '\n';
        items.push({ 'tls-client': { name: 'rcli', cert: p.nodes.rmis!.certPath, key: p.nodes.rmis!.keyPath, rootcas: p.ca.certPath } });
      }
      yaml += [`- ${section(backend, 'listener')}:`, '    bindaddr: 127.0.0.1', `    port: ${port}`, '    cost: 2.5', ...(backend === 'tls' ? ['    tls: msrv'] : [])].join('\n');
      const m = await meshctl(yaml);
      items.push(
        backend === 'ws'
          ? { 'ws-peer': { address: `ws://127.0.0.1:${port}/`, cost: 2.5 } }
          : { [section(backend, 'peer')]: { address: `127.0.0.1:${port}`, cost: 2.5, ...(backend === 'tls' ? { tls: 'rcli' } : {}) } },
      );
      const r = await receptor(items);
      await expectLinked(r, m);
    }, 90_000);

    it(`mesh direct link - a meshctl ${backend} peer dialling a receptor listener links, both statuses list the other (issue 15: receptor panicked)`, async () => {
      const port = await freePort();
      const items: unknown[] = [];
      let yaml = '';
      if (backend === 'tls') {
        const p = await pki();
        items.push({ 'tls-server': { name: 'rsrv', cert: p.nodes.rmis!.certPath, key: p.nodes.rmis!.keyPath } });
        yaml += ['- tls-client:', '    name: mcli', `    cert: ${q(p.nodes.mmis!.certPath)}`, `    key: ${q(p.nodes.mmis!.keyPath)}`, `    rootcas: ${q(p.ca.certPath)}`].join('\n') + '\n';
      }
      items.push(listenerItem(backend, port, backend === 'tls' ? 'rsrv' : undefined));
      const r = await receptor(items);
      yaml += [
        `- ${section(backend, 'peer')}:`,
        `    address: ${backend === 'ws' ? `ws://127.0.0.1:${port}/` : `127.0.0.1:${port}`}`,
        '    cost: 2.5',
        ...(backend === 'tls' ? ['    tls: mcli'] : []),
      ].join('\n');
      const m = await meshctl(yaml);
      await expectLinked(r, m);
    }, 90_000);
  });
});
