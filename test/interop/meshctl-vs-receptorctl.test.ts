// Scenario 1: one real receptor with a Unix socket, a plain TCP control listener and a mutual-TLS one
// (tcptls, certificates made in the test). Over each transport every meshctl command must give the same data
// as receptorctl against the same node: status equal apart from advertisement times, work list/status equal,
// results byte-identical (sha256), and the same outcome (success / failure) for failures.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certs.js';
import { requirePeers, runMeshctl, runPython, runReceptorctl, startReceptor, type RunningReceptor } from '../helpers/receptor.js';
import { waitForState } from './support/raw.js';
import { RECORDED_WORK_COMMANDS, unitIdPattern } from './support/transcripts.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Transport {
  name: string;
  meshctl: () => string[];
  receptorctl: () => string[];
  /** Socket address for receptorctl.ReceptorControl plus its TLS keyword arguments. */
  python: () => string;
}

describe('meshctl vs receptorctl', () => {
  let dir: string;
  let pki: TestPki;
  let node: RunningReceptor;

  beforeAll(async () => {
    requirePeers();
    dir = await mkdtemp(join(tmpdir(), 'interop-s1-'));
    pki = await makeTestPki(dir, { nodes: [{ name: 'foo-1' }, { name: 'client', nodeIds: [] }] });
    node = await startReceptor({
      nodeId: 'foo-1',
      workCommands: RECORDED_WORK_COMMANDS,
      controlTls: { tlsServer: 'ctltls' },
      extraItems: [
        {
          'tls-server': {
            name: 'ctltls',
            cert: pki.nodes['foo-1']!.certPath,
            key: pki.nodes['foo-1']!.keyPath,
            requireclientcert: true,
            clientcas: pki.ca.certPath,
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const tlsFiles = () => ['--rootcas', pki.ca.certPath, '--cert', pki.nodes.client!.certPath, '--key', pki.nodes.client!.keyPath];
  const transports: Transport[] = [
    {
      name: 'unix',
      meshctl: () => ['-s', node.socketPath],
      receptorctl: () => ['--socket', node.socketPath],
      python: () => `ReceptorControl(${JSON.stringify(node.socketPath)})`,
    },
    {
      name: 'tcp',
      meshctl: () => ['-s', `tcp://127.0.0.1:${node.tcpPort}`],
      receptorctl: () => ['--socket', `tcp://127.0.0.1:${node.tcpPort}`],
      python: () => `ReceptorControl("tcp://127.0.0.1:${node.tcpPort}")`,
    },
    {
      name: 'mutual tls',
      meshctl: () => ['-s', `tls://127.0.0.1:${node.tlsPort}`, ...tlsFiles()],
      receptorctl: () => ['--socket', `tls://127.0.0.1:${node.tlsPort}`, ...tlsFiles()],
      python: () =>
        `ReceptorControl("tls://127.0.0.1:${node.tlsPort}", rootcas=${JSON.stringify(pki.ca.certPath)}, cert=${JSON.stringify(pki.nodes.client!.certPath)}, key=${JSON.stringify(pki.nodes.client!.keyPath)})`,
    },
  ];

  // Ad order follows Go map iteration (random with two control services), and Time is "now" per call.
  const withoutTimes = (status: Record<string, any>) => ({
    ...status,
    Advertisements: (status.Advertisements as Record<string, unknown>[])
      .map(({ Time: _t, ...ad }) => ad)
      .sort((a, b) => `${a.NodeID}/${a.Service}`.localeCompare(`${b.NodeID}/${b.Service}`)),
  });

  for (const t of transports) {
    describe(t.name, () => {
      it(`meshctl vs receptorctl - ${t.name}: status --json equals receptorctl status --json apart from times`, async () => {
        const [m, r] = await Promise.all([runMeshctl([...t.meshctl(), 'status', '--json']), runReceptorctl([...t.receptorctl(), 'status', '--json'])]);
        expect(m.stderr).toBe('');
        expect(r.exitCode).toBe(0);
        expect(m.exitCode).toBe(0);
        expect(withoutTimes(JSON.parse(m.stdout.toString()))).toEqual(withoutTimes(JSON.parse(r.stdout.toString())));
      });

      it(`meshctl vs receptorctl - ${t.name}: a unit submitted by meshctl has byte-identical results in both and equal list/status`, async () => {
        const payload = randomBytes(2 * 1024 * 1024 + 3);
        const sub = await runMeshctl([...t.meshctl(), 'work', 'submit', 'cat', '-p', '-', '--json'], { stdin: payload });
        expect(sub.stderr).toBe('');
        expect(sub.exitCode).toBe(0);
        const unit = unitIdPattern('foo-1').exec(sub.stdout.toString())?.[0];
        expect(unit).toBeDefined();
        await waitForState(node.socketPath, unit!, [2, 3]);
        const [mr, rr] = await Promise.all([
          runMeshctl([...t.meshctl(), 'work', 'results', unit!]),
          runReceptorctl([...t.receptorctl(), 'work', 'results', unit!]),
        ]);
        expect([mr.exitCode, rr.exitCode]).toEqual([0, 0]);
        expect(sha256(mr.stdout)).toBe(sha256(payload));
        expect(sha256(rr.stdout)).toBe(sha256(payload));

        const [ml, rl] = await Promise.all([
          runMeshctl([...t.meshctl(), 'work', 'list', '--json']),
          runReceptorctl([...t.receptorctl(), 'work', 'list']),
        ]);
        expect(JSON.parse(ml.stdout.toString())).toEqual(JSON.parse(rl.stdout.toString()));
        const [ms, ps] = await Promise.all([
          runMeshctl([...t.meshctl(), 'work', 'status', unit!, '--json']),
          runPython(`rc = ${t.python()}\nprint(json.dumps(rc.simple_command("work status ${unit}")))`),
        ]);
        expect(ps.stderr).toBe('');
        expect(JSON.parse(ms.stdout.toString())).toEqual(JSON.parse(ps.stdout.toString()));
        expect(JSON.parse(ms.stdout.toString())).toMatchObject({ State: 2, StdoutSize: payload.length });

        const rel = await runMeshctl([...t.meshctl(), 'work', 'release', unit!]);
        expect(rel.exitCode).toBe(0);
        const after = await runReceptorctl([...t.receptorctl(), 'work', 'list']);
        expect(Object.keys(JSON.parse(after.stdout.toString()))).not.toContain(unit);
      });

      it(`meshctl vs receptorctl - ${t.name}: a unit submitted by receptorctl --follow gives meshctl the same results`, async () => {
        const sub = await runReceptorctl([...t.receptorctl(), 'work', 'submit', 'echo', '-n', '-a', 'params=from receptorctl']);
        expect(sub.exitCode).toBe(0);
        const unit = /Unit ID: (\S+)/.exec(sub.stdout.toString())![1]!;
        await waitForState(node.socketPath, unit, [2, 3]);
        const mr = await runMeshctl([...t.meshctl(), 'work', 'results', unit]);
        expect(mr.stdout.toString()).toBe('hello from receptorctl\n');
        const rel = await runReceptorctl([...t.receptorctl(), 'work', 'release', unit]);
        expect(rel.stdout.toString()).toBe(`Released:\n(${unit}, released)\n`);
      });

      it(`meshctl vs receptorctl - ${t.name}: a failing unit fails in both (exit status and Detail)`, async () => {
        const m = await runMeshctl([...t.meshctl(), 'work', 'submit', 'fail', '-n', '-f']);
        const r = await runReceptorctl([...t.receptorctl(), 'work', 'submit', 'fail', '-n', '-f']);
        expect(m.stdout.toString()).toBe('failing\nto-stderr\n');
        expect(r.stdout.toString()).toBe('failing\nto-stderr\n');
        expect(r.exitCode).toBe(1);
        expect(m.exitCode).not.toBe(0);
        expect(m.stderr).toContain('exit status 3');
        expect(r.stderr).toContain('exit status 3');
        await runReceptorctl([...t.receptorctl(), 'work', 'release', '--all']);
      });

      it(`meshctl vs receptorctl - ${t.name}: failures fail in both (unknown unit, unknown node, unknown work type)`, async () => {
        const pairs: [string[], string[]][] = [
          [['work', 'results', 'nosuchunit'], ['work', 'results', 'nosuchunit']],
          [['work', 'cancel', 'nosuchunit'], ['work', 'cancel', 'nosuchunit']],
          [['work', 'release', 'nosuchunit'], ['work', 'release', 'nosuchunit']],
          [['ping', 'nosuchnode', '--count', '1'], ['ping', 'nosuchnode', '--count', '1']],
          [['work', 'submit', 'nosuchtype', '-n'], ['work', 'submit', 'nosuchtype', '-n']],
          [['work', 'submit', 'cat', '-n', '--ttl', '10m'], ['work', 'submit', 'cat', '-n', '--ttl', '10m']],
        ];
        for (const [margs, rargs] of pairs) {
          const [m, r] = await Promise.all([runMeshctl([...t.meshctl(), ...margs]), runReceptorctl([...t.receptorctl(), ...rargs])]);
          expect({ args: margs.join(' '), meshctlFailed: m.exitCode !== 0, receptorctlFailed: r.exitCode !== 0 }).toEqual({
            args: margs.join(' '),
            meshctlFailed: true,
            receptorctlFailed: true,
          });
        }
      });

      it(`meshctl vs receptorctl - ${t.name}: ping, traceroute, reload and version agree`, async () => {
        const mp = await runMeshctl([...t.meshctl(), 'ping', 'localhost', '--count', '1', '--json']);
        const rp = await runReceptorctl([...t.receptorctl(), 'ping', 'localhost', '--count', '1']);
        expect([mp.exitCode, rp.exitCode]).toEqual([0, 0]);
        expect(JSON.parse(mp.stdout.toString())[0]).toMatchObject({ From: 'foo-1', Success: true });
        expect(rp.stdout.toString()).toMatch(/^Reply from foo-1 in /);

        const mt = await runMeshctl([...t.meshctl(), 'traceroute', 'localhost', '--json']);
        const rt = await runReceptorctl([...t.receptorctl(), 'traceroute', 'localhost']);
        expect(Object.values(JSON.parse(mt.stdout.toString()) as Record<string, { From: string }>).map((h) => h.From)).toEqual(['foo-1']);
        expect(rt.stdout.toString()).toMatch(/^0: foo-1 in /);

        // One after the other: receptor runs overlapping reloads side by side and the second fails with
        // "address already in use" (docs/receptor-observed.md).
        const mr = await runMeshctl([...t.meshctl(), 'reload', '--json']);
        const rr = await runReceptorctl([...t.receptorctl(), 'reload']);
        expect(JSON.parse(mr.stdout.toString())).toEqual({ Success: true });
        expect(rr.stdout.toString()).toBe('Reload successful\n');

        const [mv, rv] = await Promise.all([runMeshctl([...t.meshctl(), 'version', '--json']), runReceptorctl([...t.receptorctl(), 'version'])]);
        const nodeVersion = /receptor\s+(\S+)/.exec(rv.stdout.toString().split('\n')[1] ?? '')?.[1];
        expect(JSON.parse(mv.stdout.toString())).toMatchObject({ NodeID: 'foo-1', Version: nodeVersion });
      });
    });
  }
});
