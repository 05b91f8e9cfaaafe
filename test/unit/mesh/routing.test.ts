// RoutingState without sockets: Receptor's update acceptance rules and Dijkstra next hops.
import { describe, expect, it } from 'vitest';
import { newEpoch, RoutingState } from '../../../src/node/mesh/routing.js';
import type { RoutingUpdate as RouteUpdate } from '../../../src/protocol/netceptor/index.js';

let n = 0;
function update(node: string, connections: Record<string, number>, over: Partial<RouteUpdate> = {}): RouteUpdate {
  return { NodeID: node, UpdateID: `u${n++}`, UpdateEpoch: 100n, UpdateSequence: 1n, Connections: connections, ForwardingNode: node, SuspectedDuplicate: 0n, ...over };
}

const costsOf = (r: RoutingState): Record<string, Record<string, number>> =>
  Object.fromEntries([...r.costs].map(([k, v]) => [k, Object.fromEntries(v)]));

describe('mesh routing state', () => {
  it('routing - connect records both directions; disconnect empties but keeps the entries', () => {
    const r = new RoutingState('a', 1n);
    expect(costsOf(r)).toEqual({});
    r.connect('b', 2);
    expect(costsOf(r)).toEqual({ a: { b: 2 }, b: { a: 2 } });
    r.disconnect('b');
    expect(costsOf(r)).toEqual({ a: {}, b: {} });
  });

  it('routing - a newer sequence replaces, an older or repeated one is dropped', () => {
    const r = new RoutingState('a', 1n);
    expect(r.handle(update('b', { a: 1 }, { UpdateSequence: 2n }), 0)).toEqual({ forward: true, changed: true, newNode: true });
    expect(r.handle(update('b', { a: 1, c: 1 }, { UpdateSequence: 2n }), 0).forward).toBe(false);
    expect(r.handle(update('b', { a: 1, c: 1 }, { UpdateSequence: 1n }), 0).forward).toBe(false);
    expect(r.handle(update('b', { a: 1, c: 1 }, { UpdateSequence: 3n }), 0)).toEqual({ forward: true, changed: true, newNode: false });
    expect(r.handle(update('b', { a: 1, c: 1 }, { UpdateSequence: 4n }), 0)).toEqual({ forward: true, changed: false, newNode: false });
  });

  it('routing - a restarted node (newer epoch) is accepted with a lower sequence', () => {
    const r = new RoutingState('a', 1n);
    r.handle(update('b', { a: 1 }, { UpdateSequence: 50n }), 0);
    expect(r.handle(update('b', { a: 1, c: 3 }, { UpdateEpoch: 200n, UpdateSequence: 1n }), 0).changed).toBe(true);
    expect(r.handle(update('b', { a: 1 }, { UpdateEpoch: 100n, UpdateSequence: 99n }), 0).forward).toBe(false);
  });

  it('routing - the same update ID is handled once', () => {
    const r = new RoutingState('a', 1n);
    const u = update('b', { a: 1 });
    expect(r.handle(u, 0).forward).toBe(true);
    expect(r.handle({ ...u, ForwardingNode: 'c' }, 0).forward).toBe(false);
  });

  it('routing - a node that drops a peer removes the reverse edge too', () => {
    const r = new RoutingState('a', 1n);
    r.connect('b', 1);
    r.handle(update('b', { a: 1, c: 1 }), 0);
    r.handle(update('c', { b: 1 }), 0);
    expect(costsOf(r).c).toEqual({ b: 1 });
    r.handle(update('b', { a: 1 }, { UpdateSequence: 2n }), 0);
    expect(costsOf(r)).toEqual({ a: { b: 1 }, b: { a: 1 }, c: {} });
  });

  it('routing - our own ID with a newer epoch is a suspected duplicate; naming our epoch means we are it', () => {
    const r = new RoutingState('a', 500n);
    expect(r.handle(update('a', {}, { UpdateEpoch: 500n }), 0).forward).toBe(false);
    expect(r.handle(update('a', {}, { UpdateEpoch: 900n }), 0)).toMatchObject({ suspectEpoch: 900n });
    expect(r.handle(update('a', {}, { UpdateEpoch: 100n }), 0)).toEqual({ forward: false, changed: false, newNode: false });
    expect(r.handle(update('a', {}, { UpdateEpoch: 100n, SuspectedDuplicate: 500n }), 0)).toMatchObject({ weAreDuplicate: true });
  });

  it('routing - Dijkstra picks the cheapest first hop and skips unreachable nodes', () => {
    const r = new RoutingState('a', 1n);
    r.connect('b', 1);
    r.connect('c', 1);
    r.handle(update('b', { a: 1, d: 1 }), 0);
    r.handle(update('c', { a: 1, d: 5 }), 0);
    r.handle(update('d', { b: 1, c: 5, e: 1 }), 0);
    r.handle(update('e', { d: 1 }), 0);
    r.handle(update('island', { lagoon: 1 }), 0);
    expect(r.recompute()).toBe(true);
    expect(Object.fromEntries(r.table)).toEqual({ b: 'b', c: 'c', d: 'b', e: 'b' });
    expect(r.pathCosts.get('e')).toBe(3);
    expect(r.recompute()).toBe(false);
  });

  it('routing - equal-cost paths choose the smaller node ID, whatever the order learnt', () => {
    for (const order of [
      ['b', 'c'],
      ['c', 'b'],
    ]) {
      const r = new RoutingState('a', 1n);
      for (const x of order) r.connect(x, 1);
      for (const x of order) r.handle(update(x, { a: 1, d: 1 }), 0);
      r.handle(update('d', { b: 1, c: 1 }), 0);
      r.recompute();
      expect(r.table.get('d')).toBe('b');
    }
  });

  it('routing - makeUpdate numbers updates and lists connections', () => {
    const r = new RoutingState('a', 77n);
    const u1 = r.makeUpdate(new Map([['b', 2]]));
    const u2 = r.makeUpdate(new Map());
    expect(u1).toMatchObject({ NodeID: 'a', UpdateEpoch: 77n, UpdateSequence: 1n, Connections: { b: 2 }, ForwardingNode: 'a', SuspectedDuplicate: 0n });
    expect(u1.UpdateID).toMatch(/^[a-zA-Z]{8}$/);
    expect(u2.UpdateSequence).toBe(2n);
    expect(u2.UpdateID).not.toBe(u1.UpdateID);
  });

  it('routing - expireSeen forgets old update IDs', () => {
    const r = new RoutingState('a', 1n);
    const u = update('b', { a: 1 });
    r.handle(u, 0);
    r.expireSeen(10_000, 5_000);
    // Seen ID forgotten, but the sequence rule still drops the replay.
    expect(r.handle(u, 10_000).forward).toBe(false);
  });

  it('routing - an epoch has receptor\'s form (unix seconds × 2^24 + 24 bits) and a restart a millisecond later is always newer', () => {
    const t0 = Date.UTC(2026, 10, 29, 18, 0, 0, 998);
    for (let i = 0; i < 2000; i++) {
      const a = newEpoch(t0 + i);
      const b = newEpoch(t0 + i + 1);
      expect(a >> 24n).toBe(BigInt(Math.floor((t0 + i) / 1000)));
      expect(b > a).toBe(true);
    }
    // Beyond 2^53: only a bigint keeps it exact on the wire (receptor's epochs are about 2^54 too).
    expect(newEpoch(t0) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });
});
