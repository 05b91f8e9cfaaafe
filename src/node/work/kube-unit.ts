// A `work-kubernetes` unit (pkg/workceptor/kubernetes.go KubeUnit), for the case this node meets: no
// Kubernetes API server can be reached. Receptor connects at Start (startOrRestart → connectToKube) and a
// connection failure fails the submit and the unit ("Error starting worker: <err>", set by the control
// service). This unit reads what client-go reads to find a cluster — KUBECONFIG / $HOME/.kube/config for
// authmethod kubeconfig or runtime, KUBERNETES_SERVICE_HOST/PORT and the service-account token for
// incluster — and fails with client-go's text for each missing piece. When a cluster *is* configured, the
// node does not talk to it (it has no Kubernetes client) and says so in the unit's Detail.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { KubeWorkerConfig } from '../../config/types.js';
import { CommandError } from './command-error.js';
import { errnoText } from './lookpath.js';
import { parseGoDuration } from '../../protocol/duration.js';
import { statusForReply, WorkState } from './status.js';
import { combineParams } from './unit.js';
import { UnitBase, type UnitBaseOptions, type UnitOpOutcome } from './unit-base.js';

/** KubeExtraData, fields in the struct's order (the status file is the struct marshalled). */
export interface KubeExtraData {
  Image: string;
  Command: string;
  Params: string;
  KubeNamespace: string;
  KubeConfig: string;
  KubePod: string;
  PodName: string;
}

/** k8s.io/client-go/rest ErrNotInCluster. */
export const NOT_IN_CLUSTER = 'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined';
/** rest.InClusterConfig reads the pod's service-account token from here (a fixed path in client-go). */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where the node looks for a cluster; the process environment unless a test or embedder gives another. */
export interface KubeEnv {
  env: NodeJS.ProcessEnv;
  tokenFile: string;
}

export const processKubeEnv = (): KubeEnv => ({ env: process.env, tokenFile: SERVICE_ACCOUNT_TOKEN });

export function isKubeExtraData(ed: unknown): ed is KubeExtraData {
  return ed !== null && typeof ed === 'object' && 'KubeNamespace' in ed && 'PodName' in ed;
}

export function kubeExtraData(raw: Partial<KubeExtraData> = {}): KubeExtraData {
  return {
    Image: raw.Image ?? '',
    Command: raw.Command ?? '',
    Params: raw.Params ?? '',
    KubeNamespace: raw.KubeNamespace ?? '',
    KubeConfig: raw.KubeConfig ?? '',
    KubePod: raw.KubePod ?? '',
    PodName: raw.PodName ?? '',
  };
}

/** Go's *PathError text ("open X: no such file or directory"). */
function pathError(op: string, file: string, err: unknown): string {
  return `${op} ${file}: ${errnoText(err as NodeJS.ErrnoException)}`;
}

async function readOptionalFile(file: string): Promise<string> {
  if (file === '') return '';
  return readFile(file, 'utf8');
}

/**
 * SetFromParams: the unit's ExtraData from the entry and the submitter's parameters, with Receptor's
 * checks and texts. The pod and kubeconfig files named by the entry are read now, as Receptor does.
 */
export async function kubeExtraDataFromParams(def: KubeWorkerConfig, params: Record<string, string>): Promise<KubeExtraData> {
  const ed = kubeExtraData({ Image: def.image, Command: def.command, KubeNamespace: def.namespace });
  try {
    ed.KubePod = await readOptionalFile(def.pod);
  } catch (err) {
    throw new CommandError(`could not read pod: ${pathError('open', def.pod, err)}`);
  }
  try {
    ed.KubeConfig = await readOptionalFile(def.kubeconfig);
  } catch (err) {
    throw new CommandError(`could not read kubeconfig: ${pathError('open', def.kubeconfig, err)}`);
  }
  const user = { command: '', image: '', params: '', pod: '', podPendingTimeout: '' };
  const settable: [string, boolean, (v: string) => void][] = [
    ['kube_command', def.allowruntimecommand, (v) => (user.command = v)],
    ['kube_image', def.allowruntimecommand, (v) => (user.image = v)],
    ['kube_params', def.allowruntimeparams, (v) => (user.params = v)],
    ['kube_namespace', def.allowruntimeauth, (v) => (ed.KubeNamespace = v)],
    ['secret_kube_config', def.allowruntimeauth, (v) => (ed.KubeConfig = v)],
    ['secret_kube_pod', def.allowruntimepod, (v) => (user.pod = v)],
    ['pod_pending_timeout', def.allowruntimeparams, (v) => (user.podPendingTimeout = v)],
  ];
  for (const [name, allowed, set] of settable) {
    const value = params[name];
    if (value === undefined || value === '') continue;
    if (!allowed) throw new CommandError(`${name} provided but not allowed`);
    set(value);
  }
  if (def.authmethod === 'runtime' && ed.KubeConfig === '') throw new CommandError('param secret_kube_config must be provided if AuthMethod=runtime');
  if (user.pod !== '' && (user.params !== '' || user.command !== '' || user.image !== '')) {
    throw new CommandError('params kube_command, kube_image, kube_params not compatible with secret_kube_pod');
  }
  if (user.podPendingTimeout !== '') {
    // time.ParseDuration; the value only matters once a pod exists, which never happens on this node.
    try {
      parseGoDuration(user.podPendingTimeout);
    } catch (err) {
      throw new CommandError((err as Error).message);
    }
  }
  if (user.command !== '') ed.Command = user.command;
  if (user.image !== '') ed.Image = user.image;
  if (user.pod !== '') {
    ed.KubePod = user.pod;
    ed.Image = '';
    ed.Command = '';
  } else {
    ed.Params = combineParams(def.params, user.params);
  }
  return ed;
}

export interface KubeUnitOptions extends UnitBaseOptions {
  def: KubeWorkerConfig | undefined;
  kubeEnv?: KubeEnv;
}

/** The reason a cluster that is configured is not used (documented in docs/node.md). */
const noClient = (what: string): string =>
  `the meshctl node has no Kubernetes client and does not contact ${what}; run receptor for Kubernetes work`;

export class KubeUnit extends UnitBase {
  private readonly def: KubeWorkerConfig | undefined;
  private readonly kubeEnv: KubeEnv;

  constructor(opts: KubeUnitOptions) {
    super(opts);
    this.def = opts.def;
    this.kubeEnv = opts.kubeEnv ?? processKubeEnv();
  }

  /** KubeUnit.Status hides KubeConfig and KubePod (they may hold credentials); the file keeps them. */
  reply(): Record<string, unknown> {
    const s = this.status;
    if (!this.def) return statusForReply(s, 'Unknown WorkType');
    const ed: unknown = s.ExtraData;
    return statusForReply(s, isKubeExtraData(ed) ? { ...ed, KubeConfig: '', KubePod: '' } : ed);
  }

  /** Start: "Connecting to Kubernetes", then connectToKube; its error fails the submit (workceptor.submit). */
  async start(): Promise<UnitOpOutcome> {
    await this.updateBasic(WorkState.Pending, 'Connecting to Kubernetes', 0);
    // Always throws: no cluster is reachable, or one is configured and this node has no client for it.
    return this.connectToKube();
  }

  private async connectToKube(): Promise<never> {
    const ed = isKubeExtraData(this.current.ExtraData) ? this.current.ExtraData : kubeExtraData();
    const auth = this.def?.authmethod ?? '';
    if (auth === 'kubeconfig' || auth === 'runtime') return this.connectUsingKubeconfig(ed);
    if (auth === 'incluster') return this.connectUsingIncluster();
    throw new Error(`unknown auth method ${auth}`);
  }

  /**
   * connectUsingKubeconfig without kubeconfig text: client-go's default loading rules. The file is the
   * first of KUBECONFIG's list that exists, else the list's first, else $HOME/.kube/config
   * (GetDefaultFilename). Without a namespace, a config with no current context gives "could not
   * determine namespace" before the missing file is reported (Receptor checks that error afterwards).
   */
  private async connectUsingKubeconfig(ed: KubeExtraData): Promise<never> {
    if (ed.KubeConfig !== '') throw new Error(noClient('the cluster in the kubeconfig given'));
    const list = this.precedence();
    let found: string | undefined;
    for (const f of list) {
      if (f !== '' && (await exists(f))) {
        found = f;
        break;
      }
    }
    if (found !== undefined) throw new Error(noClient(`the cluster in ${found}`));
    if (ed.KubeNamespace === '') throw new Error('could not determine namespace');
    const file = list[0] ?? '';
    // BuildConfigFromFlags("", "") falls back to the in-cluster config.
    if (file === '') return this.connectUsingIncluster();
    try {
      await stat(file);
    } catch (err) {
      throw new Error(pathError('stat', file, err));
    }
    throw new Error(noClient(`the cluster in ${file}`));
  }

  /** NewDefaultClientConfigLoadingRules: KUBECONFIG split on ':' (deduplicated), else $HOME/.kube/config. */
  private precedence(): string[] {
    const env = this.kubeEnv.env;
    const list = env.KUBECONFIG ?? '';
    if (list !== '') return [...new Set(list.split(path.delimiter))];
    return [path.join(env.HOME ?? '', '.kube', 'config')];
  }

  /** rest.InClusterConfig: both service variables, then the service-account token. */
  private async connectUsingIncluster(): Promise<never> {
    const env = this.kubeEnv.env;
    if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) throw new Error(NOT_IN_CLUSTER);
    try {
      await readFile(this.kubeEnv.tokenFile);
    } catch (err) {
      const op = (err as NodeJS.ErrnoException).code === 'EISDIR' ? 'read' : 'open';
      throw new Error(pathError(op, this.kubeEnv.tokenFile, err));
    }
    throw new Error(noClient(`the API server at ${env.KUBERNETES_SERVICE_HOST}:${env.KUBERNETES_SERVICE_PORT}`));
  }

  /**
   * KubeUnit.Restart, for a unit found on disk at start: a complete one (Succeeded/Failed) stays as it is; a
   * Running one (stream method logger) reconnects, which fails here; any other — Pending, or Canceled, which
   * is not "complete" — first tries to delete its pod (deletepodonrestart: connecting fails, logged as a
   * warning) and is then refused. The error becomes "Failed to restart: <err>" (workceptor.go scanForUnit).
   */
  async restart(): Promise<void> {
    const state = this.status.State;
    if (state === WorkState.Succeeded || state === WorkState.Failed || !this.def) return;
    const tcp = this.def.streammethod === 'tcp';
    if (state === WorkState.Running && !tcp) {
      await this.connectToKube();
      return;
    }
    if (this.def.deletepodonrestart) {
      try {
        await this.connectToKube();
      } catch (err) {
        const ed = this.status.ExtraData;
        this.logger.warning(`Pod ${isKubeExtraData(ed) ? ed.PodName : ''} could not be deleted: ${(err as Error).message}`);
      }
    }
    throw new Error(tcp ? 'restart not implemented for streammethod tcp' : 'work unit is not in running state, cannot be restarted');
  }

  /** Cancel: "Canceled" (there is never a pod to delete here). */
  async cancel(): Promise<UnitOpOutcome> {
    await this.updateBasic(WorkState.Canceled, 'Canceled', -1);
    return 'done';
  }

  async release(force: boolean): Promise<UnitOpOutcome> {
    await this.cancel();
    await this.removeDirectory(force);
    return 'done';
  }

  async shutdown(): Promise<void> {}
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
