// In-process mesh nodes for integration tests: fast timers, loopback listeners on port 0, and cleanup of
// everything a test started.
//
//   const t = meshTestbed();            // in describe(); afterEach closes every node
//   const [a, b] = t.nodes('a', 'b');
//   await t.link(a, b);                 // b listens, a dials
//   await t.converged([a, b]);
import { createHash } from 'node:crypto';
import { afterEach } from 'vitest';
import { FAST_MESH_TIMERS } from '../../helpers/mesh.js';
import { Mesh, type ListenerHandle, type MeshOptions, type MeshTimers, type PeerHandle, type PeerOptions } from '../../../src/node/mesh/index.js';

// The same fast timers as the node-level mesh helper, so both kinds of mesh test run at one pace.
export const FAST_TIMERS: Partial<MeshTimers> = FAST_MESH_TIMERS;

/** Polls `cond` every 20 ms; fails with `what` and the last value after `timeoutMs`. */
export async function waitFor<T>(cond: () => T | undefined | false, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface Testbed {
  node(id: string, options?: Partial<MeshOptions>): Mesh;
  nodes(...ids: string[]): Mesh[];
  /** `to` listens on TCP (127.0.0.1, port 0) unless a listener is given; `from` dials it. */
  link(from: Mesh, to: Mesh, peer?: Partial<PeerOptions>, listener?: ListenerHandle): Promise<{ listener: ListenerHandle; peer: PeerHandle }>;
  /** Every node has a route to every other node and no extra. */
  converged(meshes: Mesh[], timeoutMs?: number): Promise<void>;
}

export function meshTestbed(): Testbed {
  const started: Mesh[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((m) => m.close()));
  });
  const tb: Testbed = {
    node(id, options = {}) {
      const m = new Mesh({ nodeId: id, ...options, timers: { ...FAST_TIMERS, ...options.timers } });
      started.push(m);
      return m;
    },
    nodes(...ids) {
      return ids.map((id) => tb.node(id));
    },
    async link(from, to, peer = {}, listener) {
      const l = listener ?? (await to.addTcpListener({ bindaddr: '127.0.0.1', port: 0 }));
      const p = from.addTcpPeer({ address: l.url, ...peer });
      await waitFor(() => from.status().Connections.some((c) => c.NodeID === to.nodeId) && to.status().Connections.some((c) => c.NodeID === from.nodeId), `${from.nodeId} → ${to.nodeId} link`);
      return { listener: l, peer: p };
    },
    async converged(meshes, timeoutMs = 8000) {
      const ids = meshes.map((m) => m.nodeId);
      await waitFor(
        () =>
          meshes.every((m) => {
            const dests = Object.keys(m.status().RoutingTable).sort();
            const want = ids.filter((i) => i !== m.nodeId).sort();
            return dests.length === want.length && dests.every((d, i) => d === want[i]);
          }),
        `routes among ${ids.join(', ')}`,
        timeoutMs,
      );
    },
  };
  return tb;
}

/**
 * Reads a stream to its end with events: `for await` would destroy a Duplex when the loop ends, killing
 * its still-open writable half.
 */
export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}
