// startMesh for tests: several embedded nodes in this process, linked as the topology says. Every link runs
// through a TCP hop of its own (link-proxy.ts) so a test can drop it, or keep it down, as a network would.
// See docs/testing.md.
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ControlClient } from '../client/control-client.js';
import type { ReceptorConfig } from './config.js';
import { LinkProxy } from './link-proxy.js';
import { removeDir, startTestNode, type NodeOptions, type TestNode, type WaitOptions } from './node.js';
import { waitUntil } from './wait.js';

export interface MeshNodeSpec extends Omit<NodeOptions, 'id' | 'listen' | 'peers' | 'tmpDir'> {
  id: string;
}

export interface MeshLink {
  /** The node that dials (`tcp-peer` / `ws-peer`). */
  from: string;
  /** The node that listens (`tcp-listener` / `ws-listener` on 127.0.0.1, port 0). */
  to: string;
  /** Default `tcp`. */
  via?: 'tcp' | 'ws';
  /** Link cost (Receptor's `cost` on the peer, `nodecost` on the listener). Default 1. */
  cost?: number;
}

export interface MeshTopology {
  /** Node IDs, or per-node options (`workCommands`, `config` YAML, `tcp`, ...). */
  nodes: (string | MeshNodeSpec)[];
  /** `[from, to]` pairs (from dials to) or link objects. */
  links: ([string, string] | MeshLink)[];
  /** Wait until every node has a route to every other one before returning (default true). */
  waitForRoutes?: boolean;
  /** Every node's log lines, with the node ID. Default: nowhere. */
  log?: (nodeId: string, line: string) => void;
  /** Default for each node's `logLevel`. */
  logLevel?: NodeOptions['logLevel'];
  /** Default for each node's `timers` (`fast`). */
  timers?: NodeOptions['timers'];
  /** Parent of the mesh's temp directory. Default: os.tmpdir(). */
  tmpDir?: string;
}

export interface DropLinkOptions {
  /** Keep the link down (the dialling node's redials are refused) until `restore()`. Default false: it redials. */
  keepDown?: boolean;
}

export interface LinkDrop {
  /** Lets the link come back (the dialling node's next redial gets through). */
  restore(): void;
}

export interface WaitForRoutesOptions extends WaitOptions {
  /** Only these nodes (default: every running node). */
  nodes?: readonly string[];
}

export interface TestMesh extends AsyncDisposable {
  readonly dir: string;
  readonly nodes: readonly TestNode[];
  node(id: string): TestNode;
  /** A ControlClient on `id`'s socket; closed by stop(). */
  client(id: string): ControlClient;
  /** Waits until every running node (or `nodes`) has a route to every other one of them. */
  waitForRoutes(options?: WaitForRoutesOptions): Promise<void>;
  /** Closes the link(s) between `a` and `b` (either direction), at both ends at once. */
  dropLink(a: string, b: string, options?: DropLinkOptions): LinkDrop;
  /** Stops every node, closes the links, removes the directory. */
  stop(): Promise<void>;
}

interface LinkState {
  link: Required<MeshLink>;
  proxy: LinkProxy;
}

function normalizeLink(l: [string, string] | MeshLink): Required<MeshLink> {
  const spec = Array.isArray(l) ? { from: l[0], to: l[1] } : l;
  return { via: 'tcp', cost: 1, ...spec };
}

/**
 * Starts the nodes of `topology` in this process and links them.
 *
 *   const mesh = await startMesh({ nodes: ['a', 'b', { id: 'c', workCommands: [...] }], links: [['a', 'b'], ['b', 'c']] });
 *   mesh.node('a').socketPath; await mesh.stop();
 */
export async function startMesh(topology: MeshTopology): Promise<TestMesh> {
  const specs: MeshNodeSpec[] = topology.nodes.map((n) => (typeof n === 'string' ? { id: n } : n));
  const ids = specs.map((s) => s.id);
  if (new Set(ids).size !== ids.length) throw new Error(`startMesh: node IDs repeat: ${ids.join(', ')}`);
  const links = topology.links.map(normalizeLink);
  for (const l of links) {
    if (!ids.includes(l.from) || !ids.includes(l.to)) throw new Error(`startMesh: link ${l.from} → ${l.to} names a node not in nodes (${ids.join(', ')})`);
    if (l.from === l.to) throw new Error(`startMesh: link ${l.from} → ${l.to} links a node to itself`);
  }
  const dir = await mkdtemp(path.join(topology.tmpDir ?? os.tmpdir(), 'meshctl-mesh-'));
  const nodes = new Map<string, TestNode>();
  const states: LinkState[] = [];
  const clients: ControlClient[] = [];
  /** The listening port of each node's mesh listener, by `${id}/${via}` (pinned after the first start). */
  const listenPorts = new Map<string, number>();

  const mesh: TestMesh = {
    dir,
    get nodes() {
      return [...nodes.values()];
    },
    node(id) {
      const n = nodes.get(id);
      if (!n) throw new Error(`startMesh: no node '${id}' (nodes: ${[...nodes.keys()].join(', ')})`);
      return n;
    },
    client(id) {
      const c = mesh.node(id).client();
      clients.push(c);
      return c;
    },
    async waitForRoutes(options = {}) {
      const want = (options.nodes ?? [...nodes.keys()]).filter((id) => mesh.node(id).state === 'running');
      await waitUntil(
        () =>
          want.every((id) => {
            const table = mesh.node(id).node.mesh.status().RoutingTable;
            return want.every((w) => w === id || table[w] !== undefined);
          }),
        `routes among ${want.join(', ')}`,
        options.timeoutMs ?? 15_000,
      );
    },
    dropLink(a, b, options = {}) {
      const hit = states.filter((s) => (s.link.from === a && s.link.to === b) || (s.link.from === b && s.link.to === a));
      if (hit.length === 0) throw new Error(`startMesh: no link between '${a}' and '${b}'`);
      for (const s of hit) {
        if (options.keepDown) s.proxy.hold();
        else s.proxy.drop();
      }
      return {
        restore: () => {
          for (const s of hit) s.proxy.release();
        },
      };
    },
    async stop() {
      await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
      // Every node and link is stopped and the directory removed even if one node fails to stop; then that error.
      const results = await Promise.allSettled([...nodes.values()].map((n) => n.stop()));
      await Promise.all(states.map((s) => s.proxy.close()));
      await removeDir(dir);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async [Symbol.asyncDispose]() {
      await mesh.stop();
    },
  };

  try {
    for (const link of links) {
      const key = `${link.to}/${link.via}`;
      const proxy = new LinkProxy(() => listenPorts.get(key));
      await proxy.listen();
      states.push({ link, proxy });
    }
    for (const [i, spec] of specs.entries()) {
      const { id, log: _ignored, ...rest } = spec;
      const extra: ReceptorConfig = [];
      for (const via of ['tcp', 'ws'] as const) {
        const inbound = states.filter((s) => s.link.to === id && s.link.via === via);
        if (inbound.length === 0) continue;
        const body: Record<string, unknown> = { bindaddr: '127.0.0.1', port: 0 };
        const costs = inbound.filter((s) => s.link.cost !== 1);
        if (costs.length > 0) body.nodecost = Object.fromEntries(costs.map((s) => [s.link.from, s.link.cost]));
        extra.push({ [via === 'tcp' ? 'tcp-listener' : 'ws-listener']: body });
      }
      for (const s of states.filter((x) => x.link.from === id)) {
        const body: Record<string, unknown> = {
          address: s.link.via === 'tcp' ? `127.0.0.1:${s.proxy.port}` : `ws://127.0.0.1:${s.proxy.port}/`,
        };
        if (s.link.cost !== 1) body.cost = s.link.cost;
        extra.push({ [s.link.via === 'tcp' ? 'tcp-peer' : 'ws-peer']: body });
      }
      const nodeDir = path.join(dir, /^[\w.-]{1,40}$/.test(id) ? id : `node${i}`);
      await mkdir(nodeDir);
      const log = topology.log;
      const n = await startTestNode(
        {
          ...(topology.logLevel ? { logLevel: topology.logLevel } : {}),
          ...(topology.timers ? { timers: topology.timers } : {}),
          ...rest,
          id,
          ...(log ? { log: (line: string) => log(id, line) } : spec.log ? { log: spec.log } : {}),
        },
        { dir: nodeDir, extraEntries: extra },
      );
      nodes.set(id, n);
      for (const l of n.meshListeners) listenPorts.set(`${id}/${l.section === 'tcp-listener' ? 'tcp' : 'ws'}`, l.port);
    }
    if (topology.waitForRoutes ?? true) await mesh.waitForRoutes();
  } catch (err) {
    await mesh.stop();
    throw err;
  }
  return mesh;
}
