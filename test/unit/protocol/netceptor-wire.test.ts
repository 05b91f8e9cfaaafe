import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  decodeUnreachable,
  encodeData,
  encodeReject,
  encodeRoutingUpdate,
  encodeServiceAdvertisement,
  encodeStreamFrame,
  encodeUnreachable,
  formatGoTime,
  NameTable,
  NetceptorFramingError,
  nodeNameHash,
  parseGoTime,
  StreamDeframer,
  checkDatagramMessage,
  type RoutingUpdate,
} from '../../../src/protocol/netceptor/index.js';

// Expected JSON bodies are Go's json.Marshal output of structs shaped like receptor's (netceptor-vectors.gen.sh);
// expected binary layouts are written out byte by byte here, never produced by the code under test.
const goJson = (JSON.parse(readFileSync(new URL('./netceptor-vectors.json', import.meta.url), 'utf8')) as { json: Record<string, string> }).json;

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Every split of `bytes` into three pieces (front, middle, end) plus byte by byte. */
function splits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let a = 0; a <= bytes.length; a++) {
    for (const b of [a, Math.floor((a + bytes.length) / 2), bytes.length]) out.push([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]);
  }
  out.push([...bytes].map((x) => Buffer.of(x)));
  return out;
}

describe('netceptor stream framing', () => {
  it('netceptor framing - a message is preceded by its length as a little-endian uint16', () => {
    expect(encodeStreamFrame(hex('03 5b 5d'))).toEqual(hex('0300 035b5d'));
    const big = Buffer.alloc(0x1234, 7);
    expect(encodeStreamFrame(big).subarray(0, 2)).toEqual(hex('3412'));
    expect(encodeStreamFrame(Buffer.alloc(0xffff)).length).toBe(0xffff + 2);
  });

  it('netceptor framing - an empty message is refused (receptor 1.6.5 panics on a zero-length frame)', () => {
    expect(() => encodeStreamFrame(Buffer.alloc(0))).toThrow(NetceptorFramingError);
    expect(() => encodeStreamFrame(Buffer.alloc(0))).toThrow(/panics on a zero-length frame/);
    expect(() => checkDatagramMessage(Buffer.alloc(0), 'websocket')).toThrow(/empty netceptor message over websocket/);
  });

  it('netceptor framing - more than 65535 bytes is refused (the length would wrap), UDP above 65507', () => {
    expect(() => encodeStreamFrame(Buffer.alloc(0x10000))).toThrow('netceptor message of 65536 bytes exceeds the 65535-byte stream frame limit');
    expect(() => checkDatagramMessage(Buffer.alloc(65508), 'udp')).toThrow(/65508 bytes exceeds the 65507-byte UDP limit/);
    expect(checkDatagramMessage(Buffer.alloc(65507), 'udp').length).toBe(65507);
  });

  it('netceptor framing - the deframer returns the same messages for every split of the stream', () => {
    const stream = hex('0300 035b5d  0100 01  0000  0500 0102030405');
    const want = [hex('035b5d'), hex('01'), Buffer.alloc(0), hex('0102030405')];
    for (const parts of splits(stream)) {
      const d = new StreamDeframer();
      const got = parts.flatMap((p) => d.push(p));
      expect(got).toEqual(want);
      expect(d.pendingBytes).toBe(0);
    }
  });

  it('netceptor framing - a partial frame stays pending until its last byte arrives', () => {
    const d = new StreamDeframer();
    expect(d.push(hex('0500 0102'))).toEqual([]);
    expect(d.pendingBytes).toBe(4);
    expect(d.push(hex('030405 0100'))).toEqual([hex('0102030405')]);
    expect(d.pendingBytes).toBe(2);
    expect(d.push(hex('ff'))).toEqual([hex('ff')]);
    expect(d.pendingBytes).toBe(0);
  });
});

describe('netceptor data messages', () => {
  const layout = hex(`
    00 1e 0000
    ${nodeNameHash('controller').toString(16).padStart(16, '0')}
    ${nodeNameHash('meshctl-probe').toString(16).padStart(16, '0')}
    70696e6700000000
    4162436445664768
    68656c6c6f`);

  it('netceptor data - encodes type, hops, two zero bytes, big-endian name hashes, NUL-padded 8-byte services, payload', () => {
    const m = encodeData({
      hopsToLive: 30,
      fromNodeHash: nodeNameHash('controller'),
      toNodeHash: nodeNameHash('meshctl-probe'),
      fromService: 'ping',
      toService: 'AbCdEfGh',
      data: Buffer.from('hello'),
    });
    expect(m).toEqual(layout);
  });

  it('netceptor data - decodes the same layout, trailing NULs only stripped from service names', () => {
    const d = decodeMessage(layout);
    expect(d).toEqual({
      type: 'data',
      hopsToLive: 30,
      fromNodeHash: nodeNameHash('controller'),
      toNodeHash: nodeNameHash('meshctl-probe'),
      fromService: 'ping',
      toService: 'AbCdEfGh',
      data: Buffer.from('hello'),
    });
    const inner = Buffer.from(layout);
    inner.write('a\0b\0\0\0\0\0', 20, 'latin1');
    expect((decodeMessage(inner) as { fromService: string }).fromService).toBe('a\0b');
  });

  it('netceptor data - an empty payload (ping) is the 36-byte header alone; shorter is refused with its length', () => {
    const ping = encodeData({ hopsToLive: 0, fromNodeHash: 1n, toNodeHash: 2n, fromService: 'x', toService: 'ping', data: Buffer.alloc(0) });
    expect(ping.length).toBe(36);
    expect(() => decodeMessage(ping.subarray(0, 35))).toThrow('data too short to be a valid message: 35 bytes, at least 36');
  });

  it('netceptor data - a service name over 8 bytes is refused naming it', () => {
    expect(() => encodeData({ hopsToLive: 1, fromNodeHash: 1n, toNodeHash: 2n, fromService: 'ninechars', toService: 'x', data: Buffer.alloc(0) })).toThrow(
      'service name too long: "ninechars" is 9 bytes, at most 8',
    );
  });
});

describe('netceptor routing updates', () => {
  const update: RoutingUpdate = {
    NodeID: 'controller',
    UpdateID: 'aB3dE5gH',
    UpdateEpoch: 29100000000000123n,
    UpdateSequence: 7n,
    Connections: { 'zeta<&>': 2.5, alpha: 1, big: 1e21, tiny: 1e-7, mid: 0.1 },
    ForwardingNode: 'hop',
    SuspectedDuplicate: 0n,
  };

  it('netceptor route - encodes type 1 and exactly the JSON Go marshals (field order, sorted keys, floats, HTML escapes)', () => {
    expect(encodeRoutingUpdate(update)).toEqual(Buffer.concat([hex('01'), Buffer.from(goJson.route!)]));
  });

  it('netceptor route - decodes Go JSON keeping uint64 epochs exact beyond 2^53', () => {
    const d = decodeMessage(Buffer.concat([hex('01'), Buffer.from(goJson.route!)]));
    expect(d).toEqual({ type: 'route', ...update, Connections: { ...update.Connections } });
    const max = decodeMessage(Buffer.concat([hex('01'), Buffer.from(goJson.routeMaxU64!)])) as RoutingUpdate;
    expect(max.UpdateEpoch).toBe(18446744073709551615n);
    expect(max.SuspectedDuplicate).toBe(9007199254740993n);
    expect(encodeRoutingUpdate(max)).toEqual(Buffer.concat([hex('01'), Buffer.from(goJson.routeMaxU64!)]));
  });

  it('netceptor route - keys match as Go does: case-folded, unknown ignored, last wins, null is zero', () => {
    const d = decodeMessage(Buffer.from('\x01{"nodeid":"a","NodeID":"b","extra":[1,{"x":null}],"Connections":null,"UpdateEpoch":null}', 'latin1')) as RoutingUpdate;
    expect(d.NodeID).toBe('b');
    expect(d.Connections).toEqual({});
    expect(d.UpdateEpoch).toBe(0n);
  });

  it('netceptor route - bad bodies are refused with the field and value', () => {
    const bad = (body: string) => () => decodeMessage(Buffer.concat([hex('01'), Buffer.from(body)]));
    expect(bad('{"UpdateEpoch":1.5}')).toThrow('routing update UpdateEpoch: expected a uint64, got number 1.5');
    expect(bad('{"UpdateEpoch":-1}')).toThrow('routing update UpdateEpoch: expected a uint64, got number -1');
    expect(bad('{"UpdateEpoch":18446744073709551616}')).toThrow('routing update UpdateEpoch: 18446744073709551616 overflows uint64');
    expect(bad('{"Connections":{"a":"1"}}')).toThrow('routing update Connections["a"]: expected a number, got string "1"');
    expect(bad('[]')).toThrow('routing update: expected a JSON object, got an array');
    expect(bad('{"NodeID":"a"')).toThrow(/routing update: invalid JSON at offset 13/);
  });
});

describe('netceptor service advertisements, rejects, unreachable datagrams', () => {
  it('netceptor advert - encodes and decodes exactly as Go marshals serviceAdvertisementFull', () => {
    const ad = {
      NodeID: 'controller',
      Service: 'control',
      Time: '2026-11-29T15:04:05.1234567Z',
      ConnType: 1,
      Tags: { type: 'Control Service' },
      WorkCommands: [
        { WorkType: 'echo', Secure: false },
        { WorkType: 'signed', Secure: true },
      ],
      Cancel: false,
    };
    const wire = Buffer.concat([hex('02'), Buffer.from(goJson.advert!)]);
    expect(encodeServiceAdvertisement(ad)).toEqual(wire);
    expect(decodeMessage(wire)).toEqual({ type: 'advert', ...ad });
    const cancel = Buffer.concat([hex('02'), Buffer.from(goJson.advertCancel!)]);
    const c = decodeMessage(cancel);
    expect(c).toEqual({ type: 'advert', NodeID: 'n', Service: 'svc', Time: '2026-11-29T15:04:05-05:30', ConnType: 0, Tags: null, WorkCommands: null, Cancel: true });
    expect(encodeServiceAdvertisement(c as never)).toEqual(cancel);
  });

  it('netceptor advert - Go times: RFC 3339 with trimmed nanoseconds, any zone, compared as nanoseconds', () => {
    expect(formatGoTime(1_795_964_645_123_456_700n)).toBe('2026-11-29T15:04:05.1234567Z');
    expect(formatGoTime(1_795_964_645_000_000_000n)).toBe('2026-11-29T15:04:05Z');
    expect(parseGoTime('2026-11-29T15:04:05.1234567Z')).toBe(1_795_964_645_123_456_700n);
    expect(parseGoTime('2026-11-29T15:04:05-05:30')).toBe(1_795_964_645_000_000_000n + 19_800_000_000_000n);
    expect(parseGoTime('0001-01-01T00:00:00Z')).toBe(-62_135_596_800_000_000_000n);
    expect(() => parseGoTime('yesterday')).toThrow('bad time "yesterday": expected RFC 3339');
  });

  it('netceptor reject - is type 3 with an empty JSON list, and any type-3 body decodes as a reject', () => {
    expect(encodeReject()).toEqual(hex('035b5d'));
    expect(decodeMessage(hex('03'))).toEqual({ type: 'reject' });
    expect(decodeMessage(hex('035b5d'))).toEqual({ type: 'reject' });
  });

  it('netceptor decode - an empty message is refused naming the receptor panic; an unknown type is reported, not thrown', () => {
    expect(() => decodeMessage(Buffer.alloc(0))).toThrow('empty netceptor message (receptor 1.6.5 would panic on it: index out of range [0] with length 0)');
    expect(decodeMessage(hex('09aabb'))).toEqual({ type: 'unknown', code: 9, body: hex('aabb') });
  });

  it('netceptor unreachable - the payload is the JSON Go marshals for UnreachableMessage', () => {
    const u = { FromNode: 'a', ToNode: 'b', FromService: 'AbCdEfGh', ToService: 'ping', Problem: 'message expired' };
    expect(encodeUnreachable(u).toString()).toBe(goJson.unreach);
    expect(decodeUnreachable(Buffer.from(goJson.unreach!))).toEqual(u);
  });

  it('netceptor names - the table resolves hashes of names it met, localhost meaning the local node', () => {
    const t = new NameTable('meshctl-probe');
    expect(t.lookup(nodeNameHash('meshctl-probe'))).toBe('meshctl-probe');
    expect(t.lookup(nodeNameHash('controller'))).toBeUndefined();
    expect(t.add('controller')).toBe(nodeNameHash('controller'));
    expect(t.lookup(nodeNameHash('controller'))).toBe('controller');
    expect(t.add('LocalHost')).toBe(nodeNameHash('meshctl-probe'));
  });
});
