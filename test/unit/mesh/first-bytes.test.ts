// Issue 15: a meshctl node must tell Receptor's netceptor protocol (and other foreign bytes) from its own link
// protocol before it sends a byte, since receptor 1.6.5 panics on meshctl's HELLO. Expected bytes are built by
// hand here (a u16 LE length, a type byte, Go's JSON), never with the netceptor encoder; every split of the
// first message must classify as 'wait' until the message is whole.
import { describe, expect, it } from 'vitest';
import { classifyFirstBytes, type FirstBytes } from '../../../src/node/mesh/link.js';

// receptor 1.6.5's first message on a new connection: makeRoutingUpdate(0) (netceptor.go sendInitialConnectMessage).
const routeJson =
  '{"NodeID":"rnode","UpdateID":"8f2b1c3a","UpdateEpoch":1764420000000000000,"UpdateSequence":0,' +
  '"Connections":{},"ForwardingNode":"rnode","SuspectedDuplicate":0}';
const bare = Buffer.concat([Buffer.from([1]), Buffer.from(routeJson, 'utf8')]);
const le16 = Buffer.alloc(2);
le16.writeUInt16LE(bare.length, 0);
const framed = Buffer.concat([le16, bare]);

// meshctl's HELLO: u32 BE length (type byte + payload), type 0x01, JSON.
const helloJson = Buffer.from('{"magic":"meshctl-mesh","min":1,"max":1,"node":"m"}');
const be32 = Buffer.alloc(4);
be32.writeUInt32BE(helloJson.length + 1, 0);
const hello = Buffer.concat([be32, Buffer.from([1]), helloJson]);

const receptorSpeaks = { kind: 'foreign', speaks: "Receptor's netceptor protocol, node ID rnode" } satisfies FirstBytes;

describe('mesh first bytes', () => {
  it('mesh first bytes - a tcp/tls receptor routing update names its node, and every shorter prefix waits', () => {
    expect(classifyFirstBytes(framed)).toEqual(receptorSpeaks);
    for (let n = 0; n < framed.length; n++) expect(classifyFirstBytes(framed.subarray(0, n)), `prefix of ${n} bytes`).toEqual({ kind: 'wait' });
    // A second message in the same read does not change the verdict.
    expect(classifyFirstBytes(Buffer.concat([framed, framed]))).toEqual(receptorSpeaks);
  });

  it('mesh first bytes - a routing update of exactly 256 bytes (length word 00 01) is netceptor, not a 66 KiB meshctl frame', () => {
    const pad = 256 - bare.length;
    const json = routeJson.replace('"8f2b1c3a"', `"${'x'.repeat(8 + pad)}"`);
    const msg = Buffer.concat([Buffer.from([1]), Buffer.from(json)]);
    expect(msg.length).toBe(256);
    const f = Buffer.concat([Buffer.from([0x00, 0x01]), msg]);
    expect(classifyFirstBytes(f)).toEqual(receptorSpeaks);
  });

  it('mesh first bytes - a ws receptor message (no length, one per WebSocket message) names its node', () => {
    expect(classifyFirstBytes(bare)).toEqual(receptorSpeaks);
    expect(classifyFirstBytes(Buffer.from('\x03[]', 'latin1'))).toEqual({ kind: 'foreign', speaks: "Receptor's netceptor protocol (it sent a reject)" });
  });

  it("mesh first bytes - meshctl's HELLO goes on to the frame parser once its header is in", () => {
    for (let n = 0; n < 5; n++) expect(classifyFirstBytes(hello.subarray(0, n))).toEqual({ kind: 'wait' });
    for (let n = 5; n <= hello.length; n++) expect(classifyFirstBytes(hello.subarray(0, n))).toEqual({ kind: 'meshctl' });
  });

  it('mesh first bytes - HTTP, TLS and unknown bytes are named for the log line', () => {
    expect(classifyFirstBytes(Buffer.from('GET / HTTP/1.1\r\n'))).toMatchObject({ kind: 'foreign', speaks: expect.stringContaining('HTTP') });
    expect(classifyFirstBytes(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))).toMatchObject({ kind: 'foreign', speaks: expect.stringContaining('TLS handshake') });
    expect(classifyFirstBytes(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'))).toEqual({ kind: 'foreign', speaks: 'an unknown protocol (first bytes 5353482d322e302d4f70656e5353485f)' });
    // Framed like netceptor but not decodable: named by foreignProtocol or as unknown, never taken for meshctl.
    expect(classifyFirstBytes(Buffer.from([0x03, 0x00, 0x01, 0x7b, 0x7d]))).toMatchObject({ kind: 'foreign' });
  });
});
