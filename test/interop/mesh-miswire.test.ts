// Issue 15: mis-wiring a meshctl node to a real receptor node must not crash receptor. Before the fix a meshctl
// node sent its link HELLO at once on every new connection; its 4-byte big-endian length word starts 00 00,
// which receptor 1.6.5 reads as a zero-length netceptor frame and panics on in runProtocol ("index out of
// range [0] with length 0"), taking the receptor node down whichever side dialled. Now a meshctl node sends
// nothing until it knows the peer speaks meshctl's link protocol, names Receptor's netceptor protocol (and the
// peer's node ID) in one error line, and closes. Both directions, over tcp, tls and ws; each side redials
// a few times, and both processes must still be running and answering `status` afterwards.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certs.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { freePort, requirePeers, startReceptor, type RunningReceptor } from '../helpers/receptor.js';
import { rawCommand } from './support/raw.js';

type Backend = 'tcp' | 'tls' | 'ws';

const HINT = 'meshctl nodes link only with meshctl nodes until the netceptor wire lands (docs/mesh.md)';

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

describe('mesh mis-wiring vs receptor 1.6.5', () => {
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

  /** Both alive after ≥2 refused attempts (one redial at least), both answering `status`. */
  async function expectBothSurvive(r: RunningReceptor, m: { node: TestNode; log: () => string }): Promise<void> {
    const since = Date.now();
    const logs = () => `--- meshctl node log:\n${m.log()}\n--- receptor log:\n${r.log()}`;
    const refusals = () => m.log().split('\n').filter((l) => l.includes('rejected connection with') && l.includes("Receptor's netceptor protocol"));
    // At least two attempts (so a redial too) and 5 s of them: a panicking receptor would be gone by then.
    await until('two refusals logged by the meshctl node (a first attempt and a redial)', () => (refusals().length >= 2 && Date.now() - since >= 5000 ? true : undefined), 40_000, logs);
    const line = refusals()[0]!;
    expect(line).toMatch(/^ERROR /);
    expect(line).toContain("mmis: rejected connection with 127.0.0.1:");
    expect(line).toContain("it speaks Receptor's netceptor protocol, node ID rmis");
    expect(line).toContain(HINT);
    // Receptor is still up: no panic, and its control service answers.
    expect(r.process.exitCode, logs()).toBeNull();
    expect(r.process.signalCode, logs()).toBeNull();
    expect(r.log()).not.toContain('panic');
    const rs = JSON.parse(await rawCommand(r.socketPath, '{"command":"status"}')) as { NodeID: string; Connections: unknown };
    expect(rs.NodeID).toBe('rmis');
    expect(rs.Connections ?? []).toEqual([]);
    const ms = JSON.parse(await rawCommand(m.node.socketPath, '{"command":"status"}')) as { NodeID: string; Connections: unknown };
    expect(ms.NodeID).toBe('mmis');
    expect(ms.Connections ?? []).toEqual([]);
  }

  const listenerItem = (backend: Backend, port: number, tls?: string): Record<string, unknown> =>
    backend === 'ws'
      ? { 'ws-listener': { bindaddr: '127.0.0.1', port } }
      : { 'tcp-listener': { bindaddr: '127.0.0.1', port, ...(tls ? { tls } : {}) } };

  describe.each(['tcp', 'tls', 'ws'] as Backend[])('%s', (backend) => {
    it(`mesh mis-wiring - a receptor ${backend} peer dialling a meshctl listener is refused with one error line and both stay up (issue 15: receptor panicked)`, async () => {
      const port = await freePort();
      let yaml = '';
      const items: unknown[] = [];
      if (backend === 'tls') {
        const p = await pki();
        yaml += ['- tls-server:', '    name: msrv', `    cert: ${q(p.nodes.mmis!.certPath)}`, `    key: ${q(p.nodes.mmis!.keyPath)}`].join('\n') + '\n';
        items.push({ 'tls-client': { name: 'rcli', cert: p.nodes.rmis!.certPath, key: p.nodes.rmis!.keyPath, rootcas: p.ca.certPath } });
      }
      yaml +=
        backend === 'ws'
          ? ['- ws-listener:', '    bindaddr: 127.0.0.1', `    port: ${port}`].join('\n')
          : ['- tcp-listener:', '    bindaddr: 127.0.0.1', `    port: ${port}`, ...(backend === 'tls' ? ['    tls: msrv'] : [])].join('\n');
      const m = await meshctl(yaml);
      items.push(
        backend === 'ws'
          ? { 'ws-peer': { address: `ws://127.0.0.1:${port}/` } }
          : { 'tcp-peer': { address: `127.0.0.1:${port}`, ...(backend === 'tls' ? { tls: 'rcli' } : {}) } },
      );
      const r = await receptor(items);
      await expectBothSurvive(r, m);
    }, 90_000);

    it(`mesh mis-wiring - a meshctl ${backend} peer dialling a receptor listener sends nothing, logs one error line, and both stay up (issue 15: receptor panicked)`, async () => {
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
      yaml +=
        backend === 'ws'
          ? ['- ws-peer:', `    address: ws://127.0.0.1:${port}/`].join('\n')
          : ['- tcp-peer:', `    address: 127.0.0.1:${port}`, ...(backend === 'tls' ? ['    tls: mcli'] : [])].join('\n');
      const m = await meshctl(yaml);
      await expectBothSurvive(r, m);
    }, 90_000);
  });
});
