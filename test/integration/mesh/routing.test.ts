// Routing, status data, ping and traceroute across real TCP links between in-process nodes.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { meshTestbed, readAll, waitFor } from './helpers.js';

describe('mesh routing', () => {
  const t = meshTestbed();

  it('mesh - a lone node has empty status data with Receptor shapes', () => {
    const a = t.node('a');
    const s = a.status();
    expect(s).toEqual({ NodeID: 'a', Connections: [], RoutingTable: {}, Advertisements: [], KnownConnectionCosts: {} });
  });

  it('mesh - chain a-b-c: routes, known costs and connections converge', async () => {
    const [a, b, c] = t.nodes('a', 'b', 'c');
    await t.link(a, b);
    await t.link(c, b, { cost: 2 }, await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0, cost: 2 }));
    await t.converged([a, b, c]);
    expect(a.status().RoutingTable).toEqual({ b: 'b', c: 'b' });
    expect(c.status().RoutingTable).toEqual({ a: 'b', b: 'b' });
    expect(b.status().RoutingTable).toEqual({ a: 'a', c: 'c' });
    expect(b.status().Connections.sort((x, y) => x.NodeID.localeCompare(y.NodeID))).toEqual([
      { NodeID: 'a', Cost: 1 },
      { NodeID: 'c', Cost: 2 },
    ]);
    await waitFor(() => Object.keys(a.status().KnownConnectionCosts).length === 3, 'known costs at a');
    expect(a.status().KnownConnectionCosts).toEqual({ a: { b: 1 }, b: { a: 1, c: 2 }, c: { b: 2 } });
  });

  it('mesh - diamond picks the cheaper path and reroutes when a hop is closed', async () => {
    const [a, b, c, d] = t.nodes('a', 'b', 'c', 'd');
    // a-b (1), b-d (1), a-c (1), c-d (5): a reaches d via b.
    await t.link(a, b);
    await t.link(b, d);
    await t.link(a, c);
    const dl = await d.addTcpListener({ bindaddr: '127.0.0.1', port: 0, cost: 5 });
    await t.link(c, d, { cost: 5 }, dl);
    await t.converged([a, b, c, d]);
    await waitFor(() => a.status().RoutingTable.d === 'b', 'a → d via b');
    await b.close();
    await waitFor(() => {
      const rt = a.status().RoutingTable;
      return rt.d === 'c' && !('b' in rt);
    }, 'a → d via c, and no b, after b left');
    expect(a.status().RoutingTable).toEqual({ c: 'c', d: 'c' });
    const p = await a.ping('d');
    expect(p).toMatchObject({ Success: true, From: 'd' });
  });

  it('mesh - routes converge again after a node is closed and restarted', async () => {
    const [a, b] = t.nodes('a', 'b');
    let c = t.node('c');
    const bl = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    await t.link(a, b, {}, bl);
    await t.link(c, b, {}, bl);
    await t.converged([a, b, c]);
    await c.close();
    await waitFor(() => !('c' in a.status().RoutingTable), 'c gone from a');
    // Receptor keeps the departed node's entry, emptied, in KnownConnectionCosts.
    await waitFor(() => Object.keys(a.status().KnownConnectionCosts.c ?? { x: 1 }).length === 0, 'c emptied');
    expect((await a.ping('c')).Success).toBe(false);
    c = t.node('c');
    await t.link(c, b, {}, bl);
    await t.converged([a, b, c]);
    expect(await a.ping('c')).toMatchObject({ Success: true, From: 'c' });
  });

  it('mesh - ping across two hops reports the target and a real round trip', async () => {
    const [a, b, c] = t.nodes('a', 'b', 'c');
    await t.link(a, b);
    await t.link(b, c);
    await t.converged([a, b, c]);
    const r = await a.ping('c');
    expect(r.Success).toBe(true);
    if (!r.Success) return;
    expect(r.From).toBe('c');
    expect(r.Time).toBeGreaterThan(0);
    expect(r.TimeStr).toMatch(/^[0-9.]+(ns|µs|ms|s)$/);
    expect(await a.ping('localhost')).toMatchObject({ Success: true, From: 'a' });
  });

  it('mesh - ping to an unknown node fails with no route to node', async () => {
    const [a, b] = t.nodes('a', 'b');
    await t.link(a, b);
    expect(await a.ping('nowhere')).toEqual({ Success: false, Error: 'no route to node' });
  });

  it('mesh - traceroute across two hops names every hop', async () => {
    const [a, b, c] = t.nodes('a', 'b', 'c');
    await t.link(a, b);
    await t.link(b, c);
    await t.converged([a, b, c]);
    const r = await a.traceroute('c');
    expect(Object.keys(r)).toEqual(['0', '1', '2']);
    expect(r['0']!.From).toBe('a');
    expect(r['1']!.From).toBe('b');
    expect(r['2']!.From).toBe('c');
    for (const hop of Object.values(r)) {
      expect(hop.Error).toBeUndefined();
      expect(hop.Time).toBeGreaterThan(0);
    }
    // Receptor checks the hop limit before the route: hop 0 expires here, hop 1 has no route.
    const bad = await a.traceroute('nowhere');
    expect(Object.keys(bad)).toEqual(['0', '1']);
    expect(bad['0']!.From).toBe('a');
    expect(bad['0']!.Error).toBeUndefined();
    expect(bad['1']).toMatchObject({ From: 'a', Error: 'no route to node' });
  });

  it('mesh - a second node with the same ID elsewhere in the mesh is detected and the newer one shuts down', async () => {
    const [a, b, c] = t.nodes('a', 'b', 'c');
    await t.link(a, b);
    await t.link(b, c);
    const x1 = t.node('x');
    await t.link(x1, a);
    await t.converged([a, b, c, x1]);
    // The twin starts later, so its epoch is newer: the older x names it, and it stands down (routing.ts newEpoch:
    // receptor's seconds × 2^24, then the millisecond, so a few ms later is newer).
    await new Promise((r) => setTimeout(r, 5));
    const x2 = t.node('x');
    const dup = once(x2, 'duplicate');
    await x2.addTcpListener({ bindaddr: '127.0.0.1', port: 0 }).then((l) => c.addTcpPeer({ address: l.url }));
    await dup;
    await waitFor(() => x2.closed, 'twin closed');
    expect(x1.closed).toBe(false);
    await waitFor(() => c.status().RoutingTable.x === 'b', 'c routes x via b again');
    expect(await c.ping('x')).toMatchObject({ Success: true, From: 'x' });
  });

  it('mesh - a dial to a node already in KnownConnectionCosts waits for its route instead of failing with no route to node', async () => {
    // receptorctl's own suite waits until status lists every node in KnownConnectionCosts, then submits remote work:
    // the route to the newest node comes routeRecalcDelayMs later, and a dial in between failed (`Job Submitted`).
    const timers = { routeRecalcDelayMs: 600 };
    const [a, b] = [t.node('a', { timers }), t.node('b', { timers })];
    await t.link(a, b);
    await t.converged([a, b]);
    const c = t.node('c', { timers });
    c.listenService('echo', (s) => s.pipe(s));
    await t.link(c, b);
    await waitFor(() => ('c' in a.status().KnownConnectionCosts && a.status().RoutingTable.c === undefined ? true : undefined), 'a to know c before it routes to c');
    const s = await a.dialService('c', 'echo');
    s.end('ping');
    expect((await readAll(s)).toString()).toBe('ping');
  });
});
