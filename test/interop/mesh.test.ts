// Scenario 2: a three-node real mesh, controller → hop → executor over tcp-peer/tcp-listener, the hop →
// executor link with TLS. meshctl talks to the controller's Unix socket only: routes, ping and traceroute
// across hops, remote work with every payload option, `work list --node`, cancel of a running remote unit,
// `work release --all`.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/certs.js';
import { requirePeers, runMeshctl, runReceptorctl, startReceptor, type RunningReceptor } from '../helpers/receptor.js';
import { rawCommand, waitForState } from './support/raw.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('receptor mesh', () => {
  let dir: string;
  let executor: RunningReceptor;
  let hop: RunningReceptor;
  let controller: RunningReceptor;
  const ctl = () => ['-s', controller.socketPath];

  beforeAll(async () => {
    requirePeers();
    dir = await mkdtemp(join(tmpdir(), 'interop-mesh-'));
    const pki = await makeTestPki(dir, { nodes: [{ name: 'executor' }, { name: 'hop' }] });
    // Service advertisements go out 5 s after a node starts and then only every 60 s (netceptor.go,
    // sendServiceAds via tickrunner), so the nodes are started back to back, listeners first.
    executor = await startReceptor({
      nodeId: 'executor',
      tcpListener: { tls: 'exec-srv' },
      extraItems: [
        {
          'tls-server': {
            name: 'exec-srv',
            cert: pki.nodes.executor!.certPath,
            key: pki.nodes.executor!.keyPath,
            requireclientcert: true,
            clientcas: pki.ca.certPath,
          },
        },
      ],
      workCommands: [
        { worktype: 'cat', command: 'cat' },
        { worktype: 'echo', command: 'echo', allowruntimeparams: true },
        { worktype: 'sleep', command: 'sleep', allowruntimeparams: true },
      ],
    });
    hop = await startReceptor({
      nodeId: 'hop',
      tcpListener: {},
      tcpPeers: [{ address: `127.0.0.1:${executor.listenerPort}`, tls: 'hop-cli' }],
      extraItems: [
        { 'tls-client': { name: 'hop-cli', cert: pki.nodes.hop!.certPath, key: pki.nodes.hop!.keyPath, rootcas: pki.ca.certPath } },
      ],
    });
    controller = await startReceptor({ nodeId: 'controller', tcpPeers: [{ address: `127.0.0.1:${hop.listenerPort}` }] });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const st = JSON.parse(await rawCommand(controller.socketPath, 'status')) as { RoutingTable: Record<string, string> };
      if (st.RoutingTable.executor) break;
      if (Date.now() > deadline) throw new Error(`mesh did not converge: ${JSON.stringify(st)}\n${hop.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  afterAll(async () => {
    await Promise.all([controller?.stop(), hop?.stop(), executor?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('receptor mesh - meshctl status shows the routes and connections of the controller', async () => {
    const r = await runMeshctl([...ctl(), 'status', '--json']);
    expect(r.exitCode).toBe(0);
    const st = JSON.parse(r.stdout.toString());
    expect(st.RoutingTable).toEqual({ executor: 'hop', hop: 'hop' });
    expect(st.Connections).toEqual([{ NodeID: 'hop', Cost: 1 }]);
    expect(st.KnownConnectionCosts).toEqual({ controller: { hop: 1 }, executor: { hop: 1 }, hop: { controller: 1, executor: 1 } });
  });

  it('receptor mesh - meshctl ping and traceroute reach the executor across the hop', async () => {
    const p = await runMeshctl([...ctl(), 'ping', 'executor', '--count', '1', '--json']);
    expect(p.exitCode).toBe(0);
    expect(JSON.parse(p.stdout.toString())[0]).toMatchObject({ From: 'executor', Success: true });
    const t = await runMeshctl([...ctl(), 'traceroute', 'executor', '--json']);
    expect(t.exitCode).toBe(0);
    const hops = JSON.parse(t.stdout.toString()) as Record<string, { From: string }>;
    expect(Object.keys(hops).sort((a, b) => Number(a) - Number(b)).map((k) => hops[k]!.From)).toEqual(['controller', 'hop', 'executor']);
  });

  it('receptor mesh - work submit --node executor --follow --rm with --payload - returns the payload byte for byte', async () => {
    const payload = randomBytes(1024 * 1024 + 5);
    const r = await runMeshctl([...ctl(), 'work', 'submit', 'cat', '--node', 'executor', '--follow', '--rm', '--payload', '-'], { stdin: payload });
    expect(r.exitCode).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(payload));
  });

  it('receptor mesh - work submit --node executor with -l, --no-payload and --param params=', async () => {
    const lit = await runMeshctl([...ctl(), 'work', 'submit', 'cat', '--node', 'executor', '-f', '--rm', '-l', 'literal text']);
    expect([lit.exitCode, lit.stdout.toString()]).toEqual([0, 'literal text\n']);
    const none = await runMeshctl([...ctl(), 'work', 'submit', 'cat', '--node', 'executor', '-f', '--rm', '--no-payload']);
    expect([none.exitCode, none.stdout.toString()]).toEqual([0, '']);
    const par = await runMeshctl([...ctl(), 'work', 'submit', 'echo', '--node', 'executor', '-f', '--rm', '-n', '--param', 'params=a b  c']);
    expect([par.exitCode, par.stdout.toString()]).toEqual([0, 'a b c\n']);
  });

  it('receptor mesh - work list --node executor shows the executor view, as receptorctl does', async () => {
    const sub = await runMeshctl([...ctl(), 'work', 'submit', 'cat', '--node', 'executor', '-l', 'kept', '--json']);
    expect(sub.exitCode).toBe(0);
    const unit = /controller[0-9A-Za-z]{8}/.exec(sub.stdout.toString())![0];
    await waitForState(controller.socketPath, unit, [2, 3]);
    const [m, r] = await Promise.all([
      runMeshctl([...ctl(), 'work', 'list', '--node', 'executor', '--json']),
      runReceptorctl(['--socket', controller.socketPath, 'work', 'list', '--node', 'executor']),
    ]);
    expect(m.exitCode).toBe(0);
    const list = JSON.parse(m.stdout.toString());
    expect(list).toEqual(JSON.parse(r.stdout.toString()));
    // v1.6 hands the controller's unit id to the executor (workUnitID), so both list the same id.
    expect(list[unit]).toMatchObject({ State: 2, WorkType: 'cat', StdoutSize: 5 });
  });

  it('receptor mesh - cancel of a running remote unit ends Canceled on the controller', async () => {
    const sub = await runMeshctl([...ctl(), 'work', 'submit', 'sleep', '--node', 'executor', '-n', '-a', 'params=300', '--json']);
    expect(sub.exitCode).toBe(0);
    const unit = /controller[0-9A-Za-z]{8}/.exec(sub.stdout.toString())![0];
    await waitForState(controller.socketPath, unit, [1]);
    const c = await runMeshctl([...ctl(), 'work', 'cancel', unit]);
    expect(c.exitCode).toBe(0);
    const st = await waitForState(controller.socketPath, unit, [4, 3]);
    expect(st).toMatchObject({ State: 4, StateName: 'Canceled', Detail: 'Canceled', ExtraData: { LocalCancelled: true, RemoteNode: 'executor' } });
  });

  it('receptor mesh - work release --all releases every controller unit, remote ones included', async () => {
    const before = JSON.parse(await rawCommand(controller.socketPath, 'work list')) as Record<string, unknown>;
    expect(Object.keys(before).length).toBeGreaterThan(0);
    const r = await runMeshctl([...ctl(), 'work', 'release', '--all', '--yes']);
    expect(r.exitCode).toBe(0);
    for (const id of Object.keys(before)) expect(r.stdout.toString()).toContain(id);
    // Remote releases answer "released" first and delete the local copy once the executor forgot the unit.
    for (const id of Object.keys(before)) await waitForState(controller.socketPath, id, ['gone'], 30_000);
    const exec = JSON.parse(await rawCommand(executor.socketPath, 'work list')) as Record<string, unknown>;
    for (const id of Object.keys(before)) expect(exec).not.toHaveProperty(id);
  });
});
