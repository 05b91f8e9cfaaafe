// A mesh of embedded nodes for tests: each node is a real Receptor v1 YAML config (written by
// writeTestNodeConfig) started in this process with startNode, with fast mesh timers. Links are
// `tcp-listener`/`ws-listener` entries on 127.0.0.1 (port 0, then pinned for restarts) and
// `tcp-peer`/`ws-peer` entries on the dialling side, optionally TLS with mutual authentication.
//
//   const mesh = await startTestMesh({
//     nodes: ['controller', 'hop', { id: 'executor', workCommands: [{ worktype: 'cat', command: 'cat' }] }],
//     links: [['controller', 'hop'], { from: 'hop', to: 'executor', via: 'tls' }],   // from dials to
//   });
//   const client = mesh.client('controller');           // ControlClient on the controller's socket
//   await mesh.node('hop').restart();                    // same config, same listener ports
//   await mesh.close();
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ControlClient } from '../../src/client/control-client.js';
import type { MeshTimers } from '../../src/node/mesh/index.js';
import { FAST_MESH_TIMERS, FAST_REMOTE_WORK, waitUntil } from '../../src/testing/index.js';
import type { NodeHandle } from '../../src/node/node.js';
import type { RemoteWorkTiming } from '../../src/node/work/remote.js';
import { makeTestPki, type TestPki } from './certs.js';
import { startTestNode, type TestNode, type TestNodeOptions, type TestWorkCommand } from './node.js';

// The fast timers and the polling wait are meshctl/testing's (src/testing), which this helper predates; the
// helper stays for what the package does not offer (TLS links, pinned start order, a TestNode per node).
export { FAST_MESH_TIMERS, FAST_REMOTE_WORK, waitUntil } from '../../src/testing/index.js';

export type LinkKind = 'tcp' | 'tls' | 'ws' | 'wss';

export interface MeshNodeSpec extends Omit<TestNodeOptions, 'nodeId' | 'dir' | 'extraYaml'> {
  id: string;
  /** YAML list items appended to the node's config (after the mesh entries). */
  extraYaml?: string;
}

export interface MeshLinkSpec {
  /** The node that dials (tcp-peer / ws-peer). */
  from: string;
  /** The node that listens (tcp-listener / ws-listener). */
  to: string;
  /** Default 'tcp'. 'tls' and 'wss' use certificates from one test CA, client certificates required. */
  via?: LinkKind;
  cost?: number;
}

export interface TestMeshOptions {
  nodes: (string | MeshNodeSpec)[];
  links: ([string, string] | MeshLinkSpec)[];
  /** Default FAST_MESH_TIMERS / FAST_REMOTE_WORK. */
  meshTimers?: Partial<MeshTimers>;
  remoteWork?: Partial<RemoteWorkTiming>;
  /** Wait until every node has a route to every other node (default true). */
  waitForRoutes?: boolean;
  logLevel?: TestNodeOptions['logLevel'];
  /** Where log lines of every node go (each line prefixed by the node ID). */
  log?: (nodeId: string, line: string) => void;
  /**
   * Certificates for TLS links (`pki.nodes[id]` for every node that has one); made in the mesh's
   * directory when a link needs TLS and none is given. Pass one to refer to its files in extraYaml.
   */
  pki?: TestPki;
}

export interface TestMeshNode {
  readonly id: string;
  /** The running node (replaced by start/restart). Throws while stopped. */
  readonly node: NodeHandle;
  readonly running: boolean;
  readonly socketPath: string;
  readonly configPath: string;
  readonly dir: string;
  /** `<datadir>/<id>`: the units. */
  readonly unitsDir: string;
  /** Closes the node (its files stay). */
  stop(): Promise<void>;
  /** Starts it again from the same config (listener ports pinned to the first run's). */
  start(): Promise<void>;
  restart(): Promise<void>;
}

export interface TestMesh {
  readonly dir: string;
  /** The CA and node certificates, when a link uses TLS. */
  readonly pki: TestPki | undefined;
  node(id: string): TestMeshNode;
  readonly nodes: readonly TestMeshNode[];
  /** A ControlClient on `id`'s Unix socket; closed by close(). */
  client(id: string): ControlClient;
  /** Waits until the running nodes (or `ids`) each have a route to every other one of them. */
  converged(ids?: string[], timeoutMs?: number): Promise<void>;
  /** Stops every node and removes the directory. */
  close(): Promise<void>;
}

const q = (s: string): string => JSON.stringify(s);

function normalizeLink(l: [string, string] | MeshLinkSpec): Required<MeshLinkSpec> {
  const spec = Array.isArray(l) ? { from: l[0], to: l[1] } : l;
  return { via: 'tcp', cost: 1, ...spec };
}

/** Start order: every node after the nodes it dials (their listener ports must be known). */
function startOrder(ids: string[], links: Required<MeshLinkSpec>[]): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`startTestMesh: links dial in a cycle through ${id}; let one side of the cycle listen instead`);
    state.set(id, 'visiting');
    for (const l of links) if (l.from === id) visit(l.to);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of ids) visit(id);
  return order;
}

export async function startTestMesh(options: TestMeshOptions): Promise<TestMesh> {
  const specs: MeshNodeSpec[] = options.nodes.map((n) => (typeof n === 'string' ? { id: n } : n));
  const ids = specs.map((s) => s.id);
  const links = options.links.map(normalizeLink);
  for (const l of links) {
    if (!ids.includes(l.from) || !ids.includes(l.to)) throw new Error(`startTestMesh: link ${l.from} → ${l.to} names an unknown node`);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-mesh-'));
  const needsTls = links.some((l) => l.via === 'tls' || l.via === 'wss');
  let pki: TestPki | undefined = options.pki;
  const nodes = new Map<string, MeshNode>();
  const clients: ControlClient[] = [];
  /** Bound listener ports per node and kind, pinned after the first start. */
  const ports = new Map<string, number>();

  class MeshNode implements TestMeshNode {
    private handle: TestNode | undefined;
    readonly dir: string;
    constructor(readonly spec: MeshNodeSpec) {
      this.dir = path.join(dir, spec.id);
    }
    get id(): string {
      return this.spec.id;
    }
    get node(): NodeHandle {
      if (!this.handle) throw new Error(`test mesh node ${this.id} is stopped`);
      return this.handle.node;
    }
    get running(): boolean {
      return this.handle !== undefined;
    }
    get socketPath(): string {
      return path.join(this.dir, 'control.sock');
    }
    get configPath(): string {
      return path.join(this.dir, 'receptor.yaml');
    }
    get unitsDir(): string {
      return path.join(this.dir, 'data', this.id);
    }

    private meshYaml(): string {
      const lines: string[] = [];
      const id = this.id;
      const inbound = links.filter((l) => l.to === id);
      const outbound = links.filter((l) => l.from === id);
      if (pki && (inbound.some((l) => l.via === 'tls' || l.via === 'wss') || outbound.some((l) => l.via === 'tls' || l.via === 'wss'))) {
        const c = pki.nodes[id]!;
        lines.push('- tls-server:', '    name: mesh-server', `    cert: ${q(c.certPath)}`, `    key: ${q(c.keyPath)}`);
        lines.push(`    clientcas: ${q(pki.ca.certPath)}`, '    requireclientcert: true');
        lines.push('- tls-client:', '    name: mesh-client', `    cert: ${q(c.certPath)}`, `    key: ${q(c.keyPath)}`, `    rootcas: ${q(pki.ca.certPath)}`);
      }
      for (const kind of ['tcp', 'tls', 'ws', 'wss'] as const) {
        const ins = inbound.filter((l) => l.via === kind);
        if (ins.length === 0) continue;
        const section = kind === 'tcp' || kind === 'tls' ? 'tcp-listener' : 'ws-listener';
        lines.push(`- ${section}:`, '    bindaddr: 127.0.0.1', `    port: ${ports.get(`${id}/${kind}`) ?? 0}`);
        if (kind === 'tls' || kind === 'wss') lines.push('    tls: mesh-server');
        const costs = ins.filter((l) => l.cost !== 1);
        if (costs.length > 0) lines.push('    nodecost:', ...costs.map((l) => `      ${q(l.from)}: ${l.cost}`));
      }
      for (const l of outbound) {
        const port = ports.get(`${l.to}/${l.via}`);
        if (port === undefined) throw new Error(`startTestMesh: ${l.to} must be started before ${id}`);
        if (l.via === 'tcp' || l.via === 'tls') {
          lines.push('- tcp-peer:', `    address: 127.0.0.1:${port}`);
        } else {
          lines.push('- ws-peer:', `    address: ${l.via}://127.0.0.1:${port}/`);
        }
        if (l.via === 'tls' || l.via === 'wss') lines.push('    tls: mesh-client');
        if (l.cost !== 1) lines.push(`    cost: ${l.cost}`);
      }
      return lines.join('\n');
    }

    async start(): Promise<void> {
      if (this.handle) return;
      await mkdir(this.dir, { recursive: true });
      const { id, extraYaml, startOptions, ...rest } = this.spec;
      const log = options.log;
      this.handle = await startTestNode({
        logLevel: options.logLevel ?? 'info',
        ...rest,
        nodeId: id,
        dir: this.dir,
        extraYaml: [this.meshYaml(), extraYaml ?? ''].filter((t) => t !== '').join('\n'),
        ...(log
          ? {
              logStream: new Writable({
                write(chunk: Buffer, _enc, cb) {
                  for (const line of chunk.toString().split('\n')) if (line !== '') log(id, line);
                  cb();
                },
              }),
            }
          : {}),
        startOptions: {
          meshTimers: { ...FAST_MESH_TIMERS, ...options.meshTimers },
          remoteWork: { ...FAST_REMOTE_WORK, ...options.remoteWork },
          ...startOptions,
        },
      });
      for (const l of this.handle.node.meshListeners) {
        const kind = l.kind;
        ports.set(`${id}/${kind}`, l.port);
      }
    }

    async stop(): Promise<void> {
      const h = this.handle;
      this.handle = undefined;
      await h?.close();
    }

    async restart(): Promise<void> {
      await this.stop();
      await this.start();
    }
  }

  const mesh: TestMesh = {
    dir,
    get pki() {
      return pki;
    },
    get nodes() {
      return [...nodes.values()];
    },
    node(id) {
      const n = nodes.get(id);
      if (!n) throw new Error(`no test mesh node ${id}`);
      return n;
    },
    client(id) {
      const c = new ControlClient({ address: mesh.node(id).socketPath });
      clients.push(c);
      return c;
    },
    async converged(only, timeoutMs = 15_000) {
      const running = (only ?? ids).map((id) => mesh.node(id)).filter((n) => n.running);
      const want = running.map((n) => n.id);
      await waitUntil(
        () =>
          running.every((n) => {
            const dests = Object.keys(n.node.mesh.status().RoutingTable);
            return want.every((w) => w === n.id || dests.includes(w));
          }),
        `routes among ${want.join(', ')}`,
        timeoutMs,
      );
    },
    async close() {
      await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
      await Promise.all([...nodes.values()].map((n) => n.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    if (needsTls && !pki) pki = await makeTestPki(dir, { nodes: ids.map((name) => ({ name })) });
    for (const s of specs) nodes.set(s.id, new MeshNode(s));
    for (const id of startOrder(ids, links)) await nodes.get(id)!.start();
    if (options.waitForRoutes ?? true) await mesh.converged();
  } catch (err) {
    await mesh.close();
    throw err;
  }
  return mesh;
}

export type { TestWorkCommand };
