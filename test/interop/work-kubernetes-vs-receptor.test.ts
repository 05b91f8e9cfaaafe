// A walkthrough-style work-kubernetes configuration (issue 12, "Config fidelity") given to receptor 1.6.5 and to
// `meshctl node` (the built bundle) with the same environment and no cluster anywhere: both start, `status`
// advertises the same work types, and each kube unit ends in the same State with the same Detail and ExtraData,
// receptorctl's submit printing the same error. Also: `Initialization complete` is the last start-up line of both
// (meshctl used to log it before its `listening on` lines).
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshctlBin, requirePeers, runReceptorctl, spawnUntilListening, type ListeningProcess } from '../helpers/receptor.js';

const BOUND_MS = 20_000;

let dir: string;
const running: ChildProcess[] = [];

beforeAll(async () => {
  requirePeers();
  if (!existsSync(path.join(meshctlBin(), '..', '..', 'dist', 'cli-bundle', 'main.cjs'))) throw new Error('meshctl is not built: run `npm run build`');
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-interop-kube-'));
});

afterAll(async () => {
  for (const c of running) await stopChild(c);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(t);
}

type Kind = 'receptor' | 'meshctl';

// The Kubernetes work entries of receptor's docs walkthrough (kubeconfig without a file, incluster, runtime),
// plus a listener so receptor has a backend to run.
const kubeYaml = (sub: string, sock: string): string => `- node:
    id: kube
    datadir: ${JSON.stringify(path.join(sub, 'data'))}
- log-level: info
- control-service:
    service: control
    filename: ${JSON.stringify(sock)}
- tcp-listener:
    port: 0
- work-kubernetes:
    worktype: kubeit
    authmethod: kubeconfig
    allowruntimeauth: true
    allowruntimepod: true
    allowruntimeparams: true
- work-command:
    worktype: echo
    command: echo
- work-kubernetes:
    worktype: kubens
    authmethod: kubeconfig
    namespace: default
    image: alpine
    params: "-c true"
- work-kubernetes:
    worktype: kubein
    namespace: default
    image: centos:8
    command: echo
    params: hi
- work-kubernetes:
    worktype: kuberun
    authmethod: runtime
    allowruntimeauth: true
    allowruntimecommand: true
`;

async function start(kind: Kind, label: string, env: Record<string, string>): Promise<ListeningProcess> {
  const sub = await mkdtemp(path.join(dir, `${kind}-${label}-`));
  const sock = path.join(sub, 'ctl.sock');
  const config = path.join(sub, 'receptor.yaml');
  await writeFile(config, kubeYaml(sub, sock));
  const [file, argv] = kind === 'receptor' ? [requirePeers().receptor, ['-c', config]] : [process.execPath, [meshctlBin(), 'node', '-c', config]];
  // Only what a kube unit reads (plus PATH): nothing from this machine's own Kubernetes setup leaks in.
  return spawnUntilListening(kind, file, argv, {
    sock,
    cwd: sub,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    boundMs: BOUND_MS,
    ready: (out) => out.includes('Initialization complete'),
    started: (c) => running.push(c),
  });
}

async function workTypes(sock: string): Promise<unknown> {
  const r = await runReceptorctl(['--socket', sock, 'status', '--json'], { timeoutMs: 30_000 });
  expect(r.exitCode).toBe(0);
  const reply = JSON.parse(r.stdout.toString()) as { Advertisements: { WorkCommands?: unknown }[] };
  return reply.Advertisements.map((a) => a.WorkCommands);
}

/** receptorctl `work submit TYPE --no-payload [-a k=v]`: what it prints and its exit code. */
async function submit(sock: string, workType: string, params: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = ['--socket', sock, 'work', 'submit', workType, '--no-payload', ...params.flatMap((p) => ['-a', p])];
  const r = await runReceptorctl(args, { timeoutMs: 30_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr };
}

/** `work list` by work type (unit ids differ from node to node). */
async function unitsByType(sock: string): Promise<Record<string, unknown>> {
  const r = await runReceptorctl(['--socket', sock, 'work', 'list'], { timeoutMs: 30_000 });
  expect(r.exitCode).toBe(0);
  const units = JSON.parse(r.stdout.toString()) as Record<string, { WorkType: string }>;
  const out: Record<string, unknown> = {};
  for (const u of Object.values(units)) {
    expect(out[u.WorkType]).toBeUndefined();
    out[u.WorkType] = u;
  }
  return out;
}

/** Runs the same submits on both and returns what each printed and kept. */
async function sameRun(label: string, env: Record<string, string>): Promise<{ r: unknown; m: unknown; rLog: string; mLog: string }> {
  const results: Record<Kind, { submits: unknown[]; units: unknown; types: unknown; log: string }> = {} as never;
  for (const kind of ['receptor', 'meshctl'] as const) {
    const n = await start(kind, label, env);
    try {
      const submits = [];
      for (const [type, params] of [
        ['kubeit', []],
        ['kubens', []],
        ['kubein', []],
        ['kuberun', []],
        ['kubein', ['kube_image=x']],
      ] as [string, string[]][]) {
        submits.push({ type, params, ...(await submit(n.sock, type, params)) });
      }
      results[kind] = { submits, units: await unitsByType(n.sock), types: await workTypes(n.sock), log: n.output() };
    } finally {
      await stopChild(n.child);
    }
  }
  const strip = (k: Kind) => ({ submits: results[k].submits, units: results[k].units, types: results[k].types });
  return { r: strip('receptor'), m: strip('meshctl'), rLog: results.receptor.log, mLog: results.meshctl.log };
}

describe('interop work-kubernetes', () => {
  it('interop work-kubernetes - no kubeconfig, not in a cluster: same submits, states, Details and work types as receptor', async () => {
    const home = path.join(dir, 'home');
    await mkdir(home, { recursive: true });
    const { r, m } = await sameRun('plain', { HOME: home });
    expect(m).toEqual(r);
    // The comparison must be about failures that really happened on receptor's side.
    const units = (r as { units: Record<string, { StateName: string; Detail: string }> }).units;
    expect(units.kubeit).toMatchObject({ StateName: 'Failed', Detail: 'Error starting worker: could not determine namespace' });
    expect(units.kubein!.Detail).toMatch(/KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined/);
    expect(units.kubens!.Detail).toBe(`Error starting worker: stat ${path.join(home, '.kube', 'config')}: no such file or directory`);
  });

  it('interop work-kubernetes - KUBECONFIG to a missing file and the in-cluster variables set: same failures as receptor', async () => {
    const { r, m } = await sameRun('envs', {
      HOME: dir,
      KUBECONFIG: path.join(dir, 'missing-kubeconfig'),
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '1',
    });
    expect(m).toEqual(r);
    const units = (r as { units: Record<string, { Detail: string }> }).units;
    expect(units.kubein!.Detail).toBe('Error starting worker: open /var/run/secrets/kubernetes.io/serviceaccount/token: no such file or directory');
  });

  it('interop work-kubernetes - Initialization complete is the last start-up line, after every listener line', async () => {
    const home = path.join(dir, 'home2');
    await mkdir(home, { recursive: true });
    for (const kind of ['receptor', 'meshctl'] as const) {
      const n = await start(kind, 'order', { HOME: home });
      // A status round trip after start-up: whatever the node logged while starting has reached us by then.
      await workTypes(n.sock);
      // INFO lines only: the readiness probes' connections make receptor log ERROR lines (broken pipe) meanwhile.
      const lines = n.output().trimEnd().split('\n').filter((l) => l.startsWith('INFO '));
      await stopChild(n.child);
      const init = lines.findIndex((l) => l.includes('Initialization complete'));
      expect(init, `${kind} log:\n${lines.join('\n')}`).toBe(lines.length - 1);
      expect(lines.findIndex((l) => l.includes('Running control service control'))).toBeGreaterThanOrEqual(0);
      if (kind === 'meshctl') expect(lines.filter((l) => l.includes('listening on')).length).toBeGreaterThan(0);
    }
  });
});
