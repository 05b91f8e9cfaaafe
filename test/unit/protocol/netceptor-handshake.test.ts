import { describe, expect, it } from 'vitest';
import {
  encodeData,
  encodeReject,
  encodeRoutingUpdate,
  foreignProtocol,
  LinkHandshake,
  type RoutingUpdate,
} from '../../../src/protocol/netceptor/index.js';
import { encodeFrame, FrameType } from '../../../src/node/mesh/wire/frame.js';

// Rules and reason texts follow receptor 1.6.5's runProtocol (pkg/netceptor/netceptor.go); the interop test
// test/interop/netceptor-wire.test.ts checks receptor's side of the same rules.
const route = (over: Partial<RoutingUpdate>): Buffer =>
  encodeRoutingUpdate({
    NodeID: 'peer',
    UpdateID: 'abcdefgh',
    UpdateEpoch: 1n << 54n,
    UpdateSequence: 1n,
    Connections: {},
    ForwardingNode: 'peer',
    SuspectedDuplicate: 0n,
    ...over,
  });

const up = (policy = { cost: 2 }) => {
  const h = new LinkHandshake('me', policy, () => true);
  expect(h.receive(route({}))).toEqual({ kind: 'established', remote: 'peer', cost: policy.cost });
  return h;
};

describe('netceptor link handshake', () => {
  it("netceptor handshake - the first routing update names the peer by ForwardingNode and establishes at the listener's cost, nodecost first", () => {
    const h = new LinkHandshake('me', { cost: 2, nodecost: { relay: 7 } }, () => true);
    expect(h.receive(route({ NodeID: 'origin', ForwardingNode: 'relay' }))).toEqual({ kind: 'established', remote: 'relay', cost: 7 });
    expect(h.isEstablished).toBe(true);
  });

  it('netceptor handshake - before establishment only routes and rejects count; data is ignored, an empty frame is a protocol error', () => {
    const h = new LinkHandshake('me', { cost: 1 }, () => true);
    expect(h.receive(encodeData({ hopsToLive: 1, fromNodeHash: 1n, toNodeHash: 2n, fromService: 'a', toService: 'b', data: Buffer.alloc(0) }))).toMatchObject({
      kind: 'ignore',
    });
    expect(h.receive(Buffer.alloc(0))).toEqual({
      kind: 'protocol-error',
      error: 'empty netceptor message (receptor 1.6.5 would panic on it: index out of range [0] with length 0)',
    });
    expect(h.receive(encodeReject())).toEqual({ kind: 'rejected-by-peer', remote: '' });
  });

  it("netceptor handshake - refuses our own node ID, a peer outside allowedpeers, a node ID already connected (receptor's reasons)", () => {
    expect(new LinkHandshake('me', { cost: 1 }, () => true).receive(route({ ForwardingNode: 'me' }))).toEqual({
      kind: 'reject',
      remote: 'me',
      reason: 'it tried to connect using our own node ID',
    });
    expect(new LinkHandshake('me', { cost: 1, allowedpeers: ['other'] }, () => true).receive(route({}))).toEqual({
      kind: 'reject',
      remote: 'peer',
      reason: 'it is not in the allowed peers list',
    });
    const claimed: string[] = [];
    expect(new LinkHandshake('me', { cost: 1 }, (n) => (claimed.push(n), false)).receive(route({}))).toEqual({
      kind: 'reject',
      remote: 'peer',
      reason: 'it connected using a node ID we are already connected to',
    });
    expect(claimed).toEqual(['peer']);
  });

  it("netceptor handshake - once up, the peer's own update must list us at the link cost; a late update without us is ignored until it has listed us", () => {
    const h = up();
    expect(h.receive(route({ UpdateID: 'late0001' }))).toEqual({ kind: 'ignore', why: 'late initialization request from the remote node' });
    expect(h.receive(route({ UpdateID: 'ok000001', Connections: { me: 2 } }))).toMatchObject({ kind: 'message', message: { type: 'route', UpdateID: 'ok000001' } });
    expect(h.receive(route({ UpdateID: 'gone0001' }))).toEqual({ kind: 'reject', remote: 'peer', reason: 'remote node no longer lists us as a connection' });
    expect(up().receive(route({ Connections: { me: 2.5 } }))).toEqual({ kind: 'reject', remote: 'peer', reason: 'we disagree about the connection cost' });
  });

  it('netceptor handshake - once up, every update must come from the peer (ForwardingNode); others’ updates pass', () => {
    const h = up();
    expect(h.receive(route({ NodeID: 'far', ForwardingNode: 'peer', Connections: { x: 1 } }))).toMatchObject({ kind: 'message', message: { NodeID: 'far' } });
    expect(h.receive(route({ NodeID: 'imposter', ForwardingNode: 'imposter' }))).toEqual({
      kind: 'reject',
      remote: 'peer',
      reason: 'remote node ID changed unexpectedly from peer to imposter',
    });
  });

  it('netceptor handshake - once up: data passes, a reject ends the link, an unknown type is ignored, a cost must be positive', () => {
    const h = up();
    expect(h.receive(encodeData({ hopsToLive: 3, fromNodeHash: 1n, toNodeHash: 2n, fromService: 'a', toService: 'b', data: Buffer.from('x') }))).toMatchObject({
      kind: 'message',
      message: { type: 'data', hopsToLive: 3 },
    });
    expect(h.receive(Buffer.from([7, 1]))).toEqual({ kind: 'ignore', why: 'Unknown message type 7' });
    expect(h.receive(encodeReject())).toEqual({ kind: 'rejected-by-peer', remote: 'peer' });
    expect(() => new LinkHandshake('me', { cost: 0 }, () => true)).toThrow('connection cost must be positive, got 0');
  });

  it("netceptor foreign protocol - names meshctl's link v1 HELLO, a bare zero-length frame, HTTP and TLS; netceptor bytes pass", () => {
    const hello = encodeFrame(FrameType.HELLO, Buffer.from('{"magic":"meshctl-mesh","min":1,"max":1,"node":"m"}'));
    expect(foreignProtocol(hello)).toMatch(/^meshctl's link protocol v1/);
    expect(foreignProtocol(Buffer.from([0, 0, 5]))).toMatch(/zero-length netceptor frame/);
    expect(foreignProtocol(Buffer.from('GET / HTTP/1.1\r\n'))).toMatch(/^HTTP/);
    expect(foreignProtocol(Buffer.from([0x16, 0x03, 0x01, 0x02]))).toMatch(/TLS handshake/);
    expect(foreignProtocol(Buffer.concat([Buffer.from([0x20, 0]), route({})]))).toBeUndefined();
    // A 790-byte routing update is framed 16 03 01 7b: netceptor, not a TLS record (whose length never starts 0x7b).
    expect(foreignProtocol(Buffer.from([0x16, 0x03, 0x01, 0x7b]))).toBeUndefined();
  });
});

describe('netceptor decoding of hostile input', () => {
  it('netceptor handshake - 20000 random and truncated messages give an event, never an exception', () => {
    // Deterministic xorshift so a failure reproduces.
    let x = 0x9e3779b9;
    const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
    const valid = [
      route({ Connections: { me: 2, 'a"b': 1e-7 } }),
      encodeData({ hopsToLive: 9, fromNodeHash: 5n, toNodeHash: 6n, fromService: 'svc', toService: 'ping', data: Buffer.from('x') }),
      Buffer.from('\x02{"NodeID":"n","Service":"s","Time":"2026-01-01T00:00:00Z","ConnType":1,"Tags":{"a":"b"},"WorkCommands":[{"WorkType":"w","Secure":true}],"Cancel":false}', 'latin1'),
    ];
    const kinds = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const h = i % 2 ? up() : new LinkHandshake('me', { cost: 2 }, () => true);
      let msg: Buffer;
      const base = valid[i % valid.length]!;
      if (i % 3 === 0) msg = base.subarray(0, Math.floor(rnd() * base.length));
      else {
        msg = Buffer.from(base);
        for (let k = 0; k < 1 + rnd() * 4; k++) msg[Math.floor(rnd() * msg.length)] = Math.floor(rnd() * 256);
      }
      kinds.add(h.receive(msg).kind);
    }
    // Both the decoding failures and the accepted paths were reached.
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['ignore', 'message', 'protocol-error']));
  });
});
