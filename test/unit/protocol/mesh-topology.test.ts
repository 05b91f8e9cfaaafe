// The topology builder on real status replies (receptor 1.6.5 and meshctl's demo mesh, test/fixtures/mesh-graph)
// and on small hand-made ones for what a live mesh rarely shows (ties, asymmetric costs, unreachable nodes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { meshTopology, type MeshTopology, type TopologyStatus } from '../../../src/protocol/mesh-topology.js';
import type { Status } from '../../../src/protocol/types.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/mesh-graph');
function fixture(name: string): Status {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Status;
}

/** The first hop of `id` along the tree (what the local node's RoutingTable should say). */
function treeFirstHop(t: MeshTopology, id: string): string {
  const byId = new Map(t.nodes.map((n) => [n.id, n]));
  let cur = byId.get(id)!;
  while (cur.parent !== t.root) cur = byId.get(cur.parent!)!;
  return cur.id;
}

/** Every object's keys and every array in reverse order: the same reply as another Go map order would give. */
function reordered<T>(v: T): T {
  if (Array.isArray(v)) return [...v].reverse().map(reordered) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reordered(x)])) as T;
  return v;
}

const status = (s: Partial<Status> & { NodeID: string }): TopologyStatus => s;

describe('mesh topology', () => {
  it('mesh topology - receptor triangle: tree along the routes, the unused direct link as an extra link', () => {
    const t = meshTopology(fixture('receptor-1.6.5-triangle.json'));
    expect(t.root).toBe('ctl.example.com');
    expect(t.nodes.map((n) => [n.id, n.parent, n.cost, n.pathCost, n.hops, n.via])).toEqual([
      ['ctl.example.com', null, null, 0, 0, null],
      ['hop-1.dc', 'ctl.example.com', 1, 1, 1, 'hop-1.dc'],
      ['exec_1@east:a', 'hop-1.dc', 2, 3, 2, 'hop-1.dc'],
    ]);
    expect(t.links).toEqual([
      { from: 'ctl.example.com', to: 'hop-1.dc', cost: 1, tree: true },
      { from: 'hop-1.dc', to: 'exec_1@east:a', cost: 2, tree: true },
      { from: 'ctl.example.com', to: 'exec_1@east:a', cost: 5, tree: false },
    ]);
  });

  it('mesh topology - roles and work types from the adverts (every receptor node with a control-service advertises control)', () => {
    const t = meshTopology(fixture('receptor-1.6.5-triangle.json'));
    const node = (id: string) => t.nodes.find((n) => n.id === id)!;
    expect(node('ctl.example.com')).toMatchObject({ roles: ['control'], services: ['control'], workTypes: [] });
    expect(node('hop-1.dc')).toMatchObject({ roles: ['control'], services: ['control'], workTypes: [] });
    expect(node('exec_1@east:a')).toMatchObject({
      roles: ['executor', 'control'],
      workTypes: [
        { workType: 'cat', secure: false },
        { workType: 'echo', secure: false },
      ],
    });
  });

  it('mesh topology - a control service under another name is known by its Control Service tag; other services make no role', () => {
    const ad = (NodeID: string, Service: string, Tags: Record<string, string> | null) => ({ NodeID, Service, Time: '2026-01-01T00:00:00Z', ConnType: 1, Tags, WorkCommands: null });
    const t = meshTopology(
      status({
        NodeID: 'a',
        KnownConnectionCosts: { a: { b: 1, c: 1 }, b: { a: 1 }, c: { a: 1 } },
        RoutingTable: { b: 'b', c: 'c' },
        Advertisements: [ad('b', 'ctl', { type: 'Control Service' }), ad('c', 'web', null), ad('c', 'ssh', { type: 'tcp' })],
      }),
    );
    expect(t.nodes.map((n) => [n.id, n.roles, n.services])).toEqual([
      ['a', ['hop'], []],
      ['b', ['control'], ['ctl']],
      ['c', ['hop'], ['ssh', 'web']],
    ]);
  });

  it('mesh topology - a receptor hop without a control-service advertises nothing and is a hop', () => {
    const t = meshTopology(fixture('receptor-1.6.5-hop-without-control.json'));
    expect(t.nodes.find((n) => n.id === 'hop-1.dc')).toMatchObject({ roles: ['hop'], services: [], workTypes: [], reachable: true, parent: 'ctl.example.com' });
  });

  it('mesh topology - demo mesh: controller → hop → executor, cost 1 each', () => {
    const t = meshTopology(fixture('demo-mesh.json'));
    expect(t.nodes.map((n) => [n.id, n.parent, n.roles])).toEqual([
      ['controller', null, ['control']],
      ['hop', 'controller', ['control']],
      ['executor', 'hop', ['executor', 'control']],
    ]);
    expect(t.nodes[2]!.workTypes.map((w) => w.workType)).toEqual(['echo', 'line-count']);
    expect(t.links).toEqual([
      { from: 'controller', to: 'hop', cost: 1, tree: true },
      { from: 'hop', to: 'executor', cost: 1, tree: true },
    ]);
  });

  it("mesh topology - the tree's first hops are the node's RoutingTable, for every fixture", () => {
    for (const name of ['receptor-1.6.5-triangle.json', 'receptor-1.6.5-hop-without-control.json', 'demo-mesh.json']) {
      const s = fixture(name);
      const t = meshTopology(s);
      for (const [dest, via] of Object.entries(s.RoutingTable)) expect([name, dest, treeFirstHop(t, dest)]).toEqual([name, dest, via]);
    }
  });

  it('mesh topology - the same reply in another map order gives the same topology (stable ordering)', () => {
    for (const name of ['receptor-1.6.5-triangle.json', 'demo-mesh.json']) {
      const s = fixture(name);
      expect(JSON.stringify(meshTopology(reordered(s)))).toBe(JSON.stringify(meshTopology(s)));
    }
  });

  it('mesh topology - equal-cost paths: the parent is the one the RoutingTable goes through', () => {
    // a diamond: a-b-d and a-c-d, every link cost 1. Receptor's Dijkstra picks either (Go map order).
    const known = { a: { b: 1, c: 1 }, b: { a: 1, d: 1 }, c: { a: 1, d: 1 }, d: { b: 1, c: 1 } };
    const viaC = meshTopology(status({ NodeID: 'a', KnownConnectionCosts: known, RoutingTable: { b: 'b', c: 'c', d: 'c' } }));
    expect(viaC.nodes.find((n) => n.id === 'd')!.parent).toBe('c');
    expect(viaC.links.filter((l) => !l.tree)).toEqual([{ from: 'b', to: 'd', cost: 1, tree: false }]);
    const viaB = meshTopology(status({ NodeID: 'a', KnownConnectionCosts: known, RoutingTable: { b: 'b', c: 'c', d: 'b' } }));
    expect(viaB.nodes.find((n) => n.id === 'd')!.parent).toBe('b');
    expect(viaB.links.filter((l) => !l.tree)).toEqual([{ from: 'c', to: 'd', cost: 1, tree: false }]);
  });

  it('mesh topology - costs are directed as in Receptor (a → b weighs KnownConnectionCosts[a][b]); a difference is kept', () => {
    // Going a → b → c costs 1 + 1 by a's and b's reports; c → a would be 10 by c's.
    const t = meshTopology(
      status({ NodeID: 'a', KnownConnectionCosts: { a: { b: 1, c: 4 }, b: { a: 3, c: 1 }, c: { a: 10, b: 1 } }, RoutingTable: { b: 'b', c: 'b' } }),
    );
    expect(t.nodes.map((n) => [n.id, n.parent, n.pathCost])).toEqual([
      ['a', null, 0],
      ['b', 'a', 1],
      ['c', 'b', 2],
    ]);
    expect(t.links).toEqual([
      { from: 'a', to: 'b', cost: 1, reverseCost: 3, tree: true },
      { from: 'b', to: 'c', cost: 1, tree: true },
      { from: 'a', to: 'c', cost: 4, reverseCost: 10, tree: false },
    ]);
  });

  it('mesh topology - nodes with no path from the local node are listed last, unreachable, without parent or cost', () => {
    const t = meshTopology(
      status({
        NodeID: 'a',
        KnownConnectionCosts: { a: { b: 2.5 }, b: { a: 2.5 }, z: { y: 1 }, y: { z: 1 } },
        RoutingTable: { b: 'b' },
        Advertisements: [{ NodeID: 'gone', Service: 'control', Time: '2026-01-01T00:00:00Z', ConnType: 1, Tags: null, WorkCommands: [{ WorkType: 'w', Secure: true }] }],
      }),
    );
    expect(t.nodes.map((n) => [n.id, n.reachable, n.parent, n.pathCost, n.hops])).toEqual([
      ['a', true, null, 0, 0],
      ['b', true, 'a', 2.5, 1],
      ['gone', false, null, null, null],
      ['y', false, null, null, null],
      ['z', false, null, null, null],
    ]);
    expect(t.nodes[2]).toMatchObject({ roles: ['executor', 'control'], workTypes: [{ workType: 'w', secure: true }] });
    expect(t.links).toEqual([
      { from: 'a', to: 'b', cost: 2.5, tree: true },
      { from: 'y', to: 'z', cost: 1, tree: false },
    ]);
  });

  it('mesh topology - a node alone, or a reply without KnownConnectionCosts, still has its own direct links', () => {
    expect(meshTopology(status({ NodeID: 'solo' }))).toEqual({
      root: 'solo',
      nodes: [{ id: 'solo', roles: ['hop'], workTypes: [], services: [], reachable: true, parent: null, cost: null, pathCost: 0, hops: 0, via: null }],
      links: [],
    });
    const t = meshTopology(status({ NodeID: 'a', Connections: [{ NodeID: 'b', Cost: 1 }], RoutingTable: { b: 'b' } }));
    expect(t.links).toEqual([{ from: 'a', to: 'b', cost: 1, tree: true }]);
  });
});
