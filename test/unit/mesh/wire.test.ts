// Link framing and messages. Expected bytes are built by hand here (never with the encoder under test),
// and parser input is split at every offset and fed byte by byte.
import { describe, expect, it } from 'vitest';
import { FrameError, FrameParser, FrameType, type Frame } from '../../../src/node/mesh/wire/frame.js';
import { decodeMessage, encodeMessage, MessageError, type LinkMessage } from '../../../src/node/mesh/wire/messages.js';

/** `u32 length | u8 type | payload`, written out independently of encodeFrame. */
function frameBytes(type: number, payload: number[] | Buffer): Buffer {
  const p = Buffer.from(payload);
  const len = p.length + 1;
  return Buffer.concat([Buffer.from([(len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, type]), p]);
}

function parseAll(parts: Buffer[]): Frame[] {
  const p = new FrameParser();
  const out: Frame[] = [];
  for (const part of parts) out.push(...p.push(part));
  expect(p.pendingBytes).toBe(0);
  return out;
}

const simplify = (fs: Frame[]): [number, string][] => fs.map((f) => [f.type, f.payload.toString('hex')]);

describe('mesh wire framing', () => {
  const stream = Buffer.concat([
    frameBytes(FrameType.HEARTBEAT, []),
    frameBytes(FrameType.DATA, [0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef]),
    frameBytes(FrameType.FIN, [0, 0, 0, 7]),
  ]);
  const expected: [number, string][] = [
    [FrameType.HEARTBEAT, ''],
    [FrameType.DATA, '00000007deadbeef'],
    [FrameType.FIN, '00000007'],
  ];

  it('mesh wire - parses frames from one chunk', () => {
    expect(simplify(parseAll([stream]))).toEqual(expected);
  });

  it('mesh wire - parses frames split at every offset (front, middle, end)', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(simplify(parseAll([stream.subarray(0, i), stream.subarray(i)]))).toEqual(expected);
    }
  });

  it('mesh wire - parses frames fed byte by byte', () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) parts.push(stream.subarray(i, i + 1));
    expect(simplify(parseAll(parts))).toEqual(expected);
  });

  it('mesh wire - refuses a zero length and a length over the limit', () => {
    expect(() => new FrameParser().push(Buffer.from([0, 0, 0, 0]))).toThrow(FrameError);
    expect(() => new FrameParser(100).push(Buffer.from([0, 0, 0, 101]))).toThrow('bad frame length 101 (allowed 1..100)');
  });

  it('mesh wire - encodes DATA as length, type, channel id, bytes', () => {
    const got = encodeMessage({ type: 'data', id: 7, data: Buffer.from([0xde, 0xad]) });
    expect(got.toString('hex')).toBe(frameBytes(0x13, [0, 0, 0, 7, 0xde, 0xad]).toString('hex'));
  });

  it('mesh wire - encodes CREDIT and OPEN_OK as two u32', () => {
    expect(encodeMessage({ type: 'credit', id: 2, bytes: 65536 }).toString('hex')).toBe(frameBytes(0x14, [0, 0, 0, 2, 0, 1, 0, 0]).toString('hex'));
    expect(encodeMessage({ type: 'open-ok', id: 3, window: 262144 }).toString('hex')).toBe(frameBytes(0x11, [0, 0, 0, 3, 0, 4, 0, 0]).toString('hex'));
  });

  it('mesh wire - encodes a datagram header with u16-prefixed names', () => {
    const got = encodeMessage({ type: 'datagram', datagram: { hopsToLive: 30, fromNode: 'a', fromService: 'xy', toNode: 'b', toService: 'ping', data: Buffer.from([9]) } });
    const payload = [30, 0, 1, 0x61, 0, 2, 0x78, 0x79, 0, 1, 0x62, 0, 4, 0x70, 0x69, 0x6e, 0x67, 9];
    expect(got.toString('hex')).toBe(frameBytes(0x07, payload).toString('hex'));
  });

  it('mesh wire - decodes a HELLO written by hand', () => {
    const json = Buffer.from('{"magic":"meshctl-mesh","min":1,"max":3,"node":"hop1"}');
    const [f] = parseAll([frameBytes(0x01, json)]);
    expect(decodeMessage(f!)).toEqual({ type: 'hello', hello: { magic: 'meshctl-mesh', min: 1, max: 3, node: 'hop1' } });
  });

  const roundTrips: LinkMessage[] = [
    { type: 'hello', hello: { magic: 'meshctl-mesh', min: 1, max: 1, node: 'n' } },
    { type: 'accept', accept: { version: 1, cost: 2.5 } },
    { type: 'reject', reject: { reason: 'we disagree about the connection cost' } },
    { type: 'heartbeat' },
    {
      type: 'route',
      update: { NodeID: 'a', UpdateID: 'abcdefgh', UpdateEpoch: 1700000000000123, UpdateSequence: 4, Connections: { b: 1, c: 2.5 }, ForwardingNode: 'b', SuspectedDuplicate: 0 },
    },
    {
      type: 'advert',
      advert: { NodeID: 'a', Service: 'control', TimeNs: '1700000000123456789', ConnType: 1, Tags: { type: 'Control Service' }, WorkCommands: [{ WorkType: 'echo', Secure: true }], Cancel: false },
    },
    { type: 'datagram', datagram: { hopsToLive: 0, fromNode: 'ä', fromService: 's', toNode: 'b', toService: 'unreach', data: Buffer.from('{}') } },
    { type: 'open', id: 4294967295, window: 1, open: { fromNode: 'a', fromService: 'eph', toNode: 'c', toService: 'control', hopsToLive: 29 } },
    // With the opener's TLS intent (a TLS service refuses "tls":false); without it, as from an older node.
    { type: 'open', id: 7, window: 1, open: { fromNode: 'a', fromService: 'eph', toNode: 'c', toService: 'control', hopsToLive: 29, tls: false } },
    { type: 'open-fail', id: 5, reason: 'service unknown' },
    { type: 'fin', id: 9 },
    { type: 'reset', id: 9, reason: 'connection to b lost' },
  ];
  for (const m of roundTrips) {
    it(`mesh wire - ${m.type} survives encode and decode`, () => {
      const [f] = parseAll([encodeMessage(m)]);
      expect(decodeMessage(f!)).toEqual(m);
    });
  }

  it('mesh wire - an unknown frame type decodes as unknown (skipped, for later versions)', () => {
    const [f] = parseAll([frameBytes(0x7f, [1, 2])]);
    expect(decodeMessage(f!)).toEqual({ type: 'unknown', frameType: 0x7f });
  });

  it('mesh wire - malformed payloads are MessageErrors quoting the field', () => {
    expect(() => decodeMessage({ type: FrameType.HELLO, payload: Buffer.from('nope') })).toThrow(new MessageError('malformed hello message'));
    expect(() => decodeMessage({ type: FrameType.HELLO, payload: Buffer.from('{"magic":1}') })).toThrow("hello message: 'magic' must be a string");
    expect(() => decodeMessage({ type: FrameType.DATA, payload: Buffer.from([0, 0]) })).toThrow('short data frame (2 bytes)');
    const badCost = Buffer.from('{"NodeID":"a","UpdateID":"x","UpdateEpoch":1,"UpdateSequence":1,"Connections":{"b":0},"ForwardingNode":"a","SuspectedDuplicate":0}');
    expect(() => decodeMessage({ type: FrameType.ROUTE, payload: badCost })).toThrow("route message: cost of 'b' must be a positive number");
  });
});
