import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  decodeUnreachable,
  encodeData,
  encodeRoutingUpdate,
  encodeServiceAdvertisement,
  encodeStreamFrame,
  LinkHandshake,
  nodeNameHash,
  StreamDeframer,
  type DataMessage,
  type NetceptorMessage,
  type RoutingUpdate,
  type ServiceAdvertisement,
} from '../../../src/protocol/netceptor/index.js';

// A real receptor 1.6.5 session: every byte `rcpt` sent on a tcp-listener (cost 2.5) to the interop test's
// probe node `meshctl-probe`, recorded by test/interop/netceptor-wire.test.ts with NETCEPTOR_CAPTURE=FILE.
const session = JSON.parse(readFileSync(new URL('./netceptor-receptor-session.json', import.meta.url), 'utf8')) as {
  receptor: string;
  node: string;
  probe: string;
  listenerCost: number;
  stream: string;
};
const stream = Buffer.from(session.stream, 'hex');

function deframeAll(parts: Buffer[]): Buffer[] {
  const d = new StreamDeframer();
  const out = parts.flatMap((p) => d.push(p));
  expect(d.pendingBytes).toBe(0);
  return out;
}

describe('netceptor - a recorded receptor 1.6.5 session', () => {
  const messages = deframeAll([stream]);
  const decoded: NetceptorMessage[] = messages.map((m) => decodeMessage(m));

  it('netceptor session - was recorded from receptor 1.6.5 and holds routes, adverts and data', () => {
    expect(session.receptor).toBe('1.6.5');
    const types = new Set(decoded.map((m) => m.type));
    expect([...types].sort()).toEqual(['advert', 'data', 'route']);
  });

  it('netceptor session - deframes to the same messages at every split of the stream and byte by byte', () => {
    const step = Math.max(1, Math.floor(stream.length / 120));
    for (let a = 0; a <= stream.length; a += step) {
      for (const b of [a, Math.floor((a + stream.length) / 2), stream.length]) {
        expect(deframeAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)])).toEqual(messages);
      }
    }
    expect(deframeAll([...stream].map((x) => Buffer.of(x)))).toEqual(messages);
    // And the framing we write is the framing receptor wrote.
    expect(Buffer.concat(messages.map((m) => encodeStreamFrame(m)))).toEqual(stream);
  });

  it("netceptor session - every route and advert re-encodes to receptor's exact bytes (Go's JSON), every data message too", () => {
    for (let i = 0; i < messages.length; i++) {
      const m = decoded[i]!;
      const again =
        m.type === 'route'
          ? encodeRoutingUpdate(m)
          : m.type === 'advert'
            ? encodeServiceAdvertisement(m)
            : m.type === 'data'
              ? encodeData(m)
              : undefined;
      expect(again, `message ${i} (${m.type})`).toEqual(messages[i]);
    }
  });

  it("netceptor session - starts with receptor's initial update, then lists the probe at the listener's cost", () => {
    const routes = decoded.filter((m): m is { type: 'route' } & RoutingUpdate => m.type === 'route');
    expect(decoded[0]).toMatchObject({ type: 'route', NodeID: session.node, ForwardingNode: session.node, Connections: {}, SuspectedDuplicate: 0n });
    expect(routes[0]!.UpdateEpoch > 1n << 53n).toBe(true);
    expect(routes.some((r) => r.Connections[session.probe] === session.listenerCost)).toBe(true);
    // Our link rules accept the whole session as receptor sent it.
    const h = new LinkHandshake(session.probe, { cost: session.listenerCost }, () => true);
    const events = messages.map((m) => h.receive(m));
    expect(events[0]).toEqual({ kind: 'established', remote: session.node, cost: session.listenerCost });
    expect(events.filter((e) => !['message', 'ignore'].includes(e.kind)).slice(1)).toEqual([]);
  });

  it('netceptor session - data messages name both nodes by the hashes we compute; the adverts hold the control service', () => {
    const data = decoded.filter((m): m is DataMessage => m.type === 'data');
    for (const d of data) {
      expect(d.fromNodeHash).toBe(nodeNameHash(session.node));
      expect(d.toNodeHash).toBe(nodeNameHash(session.probe));
    }
    const unreach = data.find((d) => d.toService === 'unreach');
    expect(decodeUnreachable(unreach!.data).Problem).toBe('service unknown');
    const ads = decoded.filter((m): m is { type: 'advert' } & ServiceAdvertisement => m.type === 'advert');
    expect(ads.find((a) => a.Service === 'control')).toMatchObject({ NodeID: session.node, ConnType: 1, Tags: { type: 'Control Service' } });
  });
});
