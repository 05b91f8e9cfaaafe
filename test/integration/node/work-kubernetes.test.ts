// work-kubernetes units on a node that reaches no cluster (issue 12, "Config fidelity": the sections used to be
// refused as a whole). Receptor starts with them, advertises their work types, and fails each unit at submit
// with client-go's reason for not finding a cluster; these tests pin each reason against real files and the
// environment given to the node (KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT, the service-account token).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { NOT_IN_CLUSTER } from '../../../src/node/work/kube-unit.js';
import { exchange, RawConn } from './raw-client.js';

const KUBE_ITEMS = `- work-kubernetes:
    worktype: kcfg
    authmethod: kubeconfig
    allowruntimeauth: true
    allowruntimepod: true
    allowruntimeparams: true
- work-command:
    worktype: cat
    command: cat
- work-kubernetes:
    worktype: kns
    authmethod: kubeconfig
    namespace: default
    image: alpine
    params: "-c true"
- work-kubernetes:
    worktype: kin
    namespace: default
    image: centos:8
    command: echo
    params: hi
- work-kubernetes:
    worktype: krun
    authmethod: runtime
    allowruntimeauth: true
    allowruntimecommand: true
`;

let dir: string;
const nodes: TestNode[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-kube-'));
});
afterAll(async () => {
  for (const n of nodes) await n.close();
  await rm(dir, { recursive: true, force: true });
});

async function kubeNode(env: NodeJS.ProcessEnv, tokenFile = path.join(dir, 'no-token'), reuse?: TestNode): Promise<TestNode> {
  const n = await startTestNode({
    extraYaml: KUBE_ITEMS,
    startOptions: { kubeEnv: { env, tokenFile } },
    ...(reuse ? { dir: reuse.dir, nodeId: reuse.nodeId } : {}),
  });
  nodes.push(n);
  return n;
}

/** `work submit` with an empty payload: the final reply line (an `ERROR: ...` when the unit fails to start). */
async function submitLine(sock: string, workType: string, params: Record<string, string> = {}): Promise<{ created: string; final: string }> {
  const c = await RawConn.connect(sock);
  c.send(JSON.stringify({ command: 'work', subcommand: 'submit', node: 'localhost', worktype: workType, ...params }) + '\n');
  const created = await c.readLine();
  if (!created.startsWith('Work unit created')) {
    c.close();
    return { created, final: '' };
  }
  c.end();
  const final = await c.readLine(20_000);
  c.close();
  return { created, final };
}

async function unitList(sock: string): Promise<Record<string, { State: number; StateName: string; Detail: string; WorkType: string; ExtraData: Record<string, string> }>> {
  const [line] = await exchange(sock, 'work list\n');
  return JSON.parse(line!);
}

describe('work-kubernetes without a cluster', () => {
  it('work-kubernetes - status advertises kube work types with work-command ones, in config order', async () => {
    const n = await kubeNode({ HOME: dir });
    const [line] = await exchange(n.socketPath, 'status\n');
    const status = JSON.parse(line!) as { Advertisements: { WorkCommands: { WorkType: string; Secure: boolean }[] }[] };
    expect(status.Advertisements[0]!.WorkCommands).toEqual(['kcfg', 'cat', 'kns', 'kin', 'krun'].map((WorkType) => ({ WorkType, Secure: false })));
  });

  it('work-kubernetes - no kubeconfig file: Failed with client-go reasons, namespace checked first', async () => {
    const home = path.join(dir, 'home-empty');
    await mkdir(home);
    const n = await kubeNode({ HOME: home });
    expect((await submitLine(n.socketPath, 'kcfg')).final).toBe('ERROR: could not determine namespace');
    const missing = path.join(home, '.kube', 'config');
    expect((await submitLine(n.socketPath, 'kns')).final).toBe(`ERROR: stat ${missing}: no such file or directory`);
    const units = Object.values(await unitList(n.socketPath));
    expect(units.map((u) => [u.WorkType, u.State, u.StateName, u.Detail]).sort()).toEqual([
      ['kcfg', 3, 'Failed', 'Error starting worker: could not determine namespace'],
      ['kns', 3, 'Failed', `Error starting worker: stat ${missing}: no such file or directory`],
    ]);
    const kns = units.find((u) => u.WorkType === 'kns')!;
    expect(kns.ExtraData).toEqual({ Image: 'alpine', Command: '', Params: '-c true', KubeNamespace: 'default', KubeConfig: '', KubePod: '', PodName: '' });
  });

  it('work-kubernetes - KUBECONFIG names the file looked for (the first of its list when none exists)', async () => {
    const a = path.join(dir, 'nope-a');
    const n = await kubeNode({ HOME: dir, KUBECONFIG: `${a}${path.delimiter}${path.join(dir, 'nope-b')}` });
    expect((await submitLine(n.socketPath, 'kns')).final).toBe(`ERROR: stat ${a}: no such file or directory`);
  });

  it('work-kubernetes - incluster outside a cluster: ErrNotInCluster, then the missing token file', async () => {
    const n = await kubeNode({ HOME: dir });
    expect((await submitLine(n.socketPath, 'kin')).final).toBe(`ERROR: ${NOT_IN_CLUSTER}`);
    const token = path.join(dir, 'sa', 'token');
    const m = await kubeNode({ HOME: dir, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '1' }, token);
    expect((await submitLine(m.socketPath, 'kin')).final).toBe(`ERROR: open ${token}: no such file or directory`);
    const [unit] = Object.values(await unitList(m.socketPath));
    expect(unit!.Detail).toBe(`Error starting worker: open ${token}: no such file or directory`);
    // One variable without the other is still "not in cluster".
    const h = await kubeNode({ HOME: dir, KUBERNETES_SERVICE_HOST: '127.0.0.1' }, token);
    expect((await submitLine(h.socketPath, 'kin')).final).toBe(`ERROR: ${NOT_IN_CLUSTER}`);
  });

  it('work-kubernetes - a configured cluster is not contacted: the unit fails saying so', async () => {
    const token = path.join(dir, 'token-present');
    await writeFile(token, 'abc');
    const n = await kubeNode({ HOME: dir, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, token);
    const { final } = await submitLine(n.socketPath, 'kin');
    expect(final).toMatch(/^ERROR: the meshctl node has no Kubernetes client and does not contact the API server at 10\.0\.0\.1:443; run receptor/);
  });

  it('work-kubernetes - runtime parameters: refused before a unit exists, with receptor texts', async () => {
    const n = await kubeNode({ HOME: dir });
    expect((await submitLine(n.socketPath, 'krun')).created).toBe('ERROR: param secret_kube_config must be provided if AuthMethod=runtime');
    expect((await submitLine(n.socketPath, 'kin', { kube_image: 'x' })).created).toBe('ERROR: kube_image provided but not allowed');
    expect((await submitLine(n.socketPath, 'kcfg', { secret_kube_pod: 'x', kube_params: 'y' })).created).toBe(
      'ERROR: params kube_command, kube_image, kube_params not compatible with secret_kube_pod',
    );
    expect(await unitList(n.socketPath)).toEqual({});
  });

  it('work-kubernetes - cancel and release of a failed kube unit', async () => {
    const n = await kubeNode({ HOME: path.join(dir, 'nowhere') });
    await submitLine(n.socketPath, 'kcfg');
    const [id] = Object.keys(await unitList(n.socketPath));
    await exchange(n.socketPath, `work cancel ${id}\n`);
    expect((await unitList(n.socketPath))[id!]).toMatchObject({ State: 4, StateName: 'Canceled', Detail: 'Canceled' });
    await exchange(n.socketPath, `work release ${id}\n`);
    expect(await unitList(n.socketPath)).toEqual({});
  });

  it('work-kubernetes - restart: Failed units stay, Canceled and Pending ones become Failed to restart (as receptor 1.6.5)', async () => {
    const keep = await mkdtemp(path.join(dir, 'restart-'));
    const env = { HOME: path.join(dir, 'nowhere') };
    const first = await startTestNode({ dir: keep, extraYaml: KUBE_ITEMS, startOptions: { kubeEnv: { env, tokenFile: path.join(dir, 'no-token') } } });
    nodes.push(first);
    await submitLine(first.socketPath, 'kin');
    await submitLine(first.socketPath, 'kns');
    const before = await unitList(first.socketPath);
    const kinId = Object.keys(before).find((k) => before[k]!.WorkType === 'kin')!;
    const knsId = Object.keys(before).find((k) => before[k]!.WorkType === 'kns')!;
    await exchange(first.socketPath, `work cancel ${kinId}\n`);
    await first.close();
    // A unit left Pending (a node stopped during its submit), written as receptor writes status files.
    const pendingDir = path.join(first.dataDir, first.nodeId, 'pendingunit1');
    await mkdir(pendingDir);
    await writeFile(
      path.join(pendingDir, 'status'),
      JSON.stringify({ State: 0, Detail: 'Connecting to Kubernetes', StdoutSize: 0, WorkType: 'kns', ExtraData: { Image: 'alpine', Command: '', Params: '', KubeNamespace: 'default', KubeConfig: '', KubePod: '', PodName: '' } }),
    );
    const second = await kubeNode(env, path.join(dir, 'no-token'), first);
    const after = await unitList(second.socketPath);
    const notRestartable = 'Failed to restart: work unit is not in running state, cannot be restarted';
    expect(after[kinId]).toMatchObject({ StateName: 'Failed', Detail: notRestartable });
    expect(after.pendingunit1).toMatchObject({ StateName: 'Failed', Detail: notRestartable });
    expect(after[knsId]).toMatchObject({ StateName: 'Failed', Detail: before[knsId]!.Detail });
  });
});
