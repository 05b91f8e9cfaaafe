// Issue 15: mesh links speak Receptor's netceptor protocol. A peer that speaks something else (meshctl's own link
// protocol from before the netceptor wire, a web client, a TLS client on a plain listener) gets one error line on
// our side naming its address and what it speaks, and the connection is closed; a node never sends an empty
// message (receptor 1.6.5 panics on one). Raw sockets play the peers; the interop suites do it with receptor
// (test/interop/mesh-miswire.test.ts, mixed-mesh.test.ts).
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamLogger } from '../../../src/node/logger.js';
import { encodeFrame, FrameType } from '../../../src/node/mesh/wire/frame.js';
import { meshTestbed, waitFor } from './helpers.js';

const HINT = "mesh links speak Receptor's netceptor protocol (docs/netceptor-wire.md)";

function capture(): { logger: StreamLogger; lines: () => string[] } {
  let text = '';
  const out = new PassThrough();
  out.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return { logger: new StreamLogger(out, 'info'), lines: () => text.split('\n').filter((l) => l !== '') };
}

/** receptor 1.6.5's first message on a connection, framed for tcp: u16 LE length, type 1, Go's JSON. */
function receptorUpdate(node: string): Buffer {
  const body = Buffer.from(
    `\x01{"NodeID":"${node}","UpdateID":"0badf00d","UpdateEpoch":1764420000000000000,"UpdateSequence":0,"Connections":{},"ForwardingNode":"${node}","SuspectedDuplicate":0}`,
    'latin1',
  );
  const len = Buffer.alloc(2);
  len.writeUInt16LE(body.length, 0);
  return Buffer.concat([len, body]);
}

/** A raw client: everything it received, and a promise of its close. */
function rawClient(port: number): { sock: net.Socket; got: () => Buffer; closed: Promise<void>; connected: Promise<number> } {
  const sock = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.on('error', () => {});
  return {
    sock,
    got: () => Buffer.concat(chunks),
    closed: new Promise((r) => sock.once('close', () => r())),
    /** Resolves with the local port (gone from the socket once it closes). */
    connected: new Promise((r) => sock.once('connect', () => r(sock.localPort!))),
  };
}

describe('mesh mis-wiring', () => {
  const t = meshTestbed();
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  /** Splits what a netceptor peer sent over tcp into its messages (u16 LE length, message); never an empty one. */
  function messages(b: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (b.length - at >= 2) {
      const len = b.readUInt16LE(at);
      if (b.length - at - 2 < len) break;
      out.push(b.subarray(at + 2, at + 2 + len));
      at += 2 + len;
    }
    return out;
  }

  it("mesh mis-wiring - a listener speaks netceptor first and refuses meshctl's old link protocol with one error line (issue 15)", async () => {
    const log = capture();
    const m = t.node('mlisten', { logger: log.logger });
    const l = await m.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    const c = rawClient(l.address.port);
    sockets.push(c.sock);
    const local = await c.connected;
    // As receptor: the node's routing update comes at once, naming the node; no empty message ever.
    const first = await waitFor(() => messages(c.got())[0], 'the routing update');
    expect(first[0]).toBe(0x01);
    expect(JSON.parse(first.subarray(1).toString('utf8'))).toMatchObject({ NodeID: 'mlisten', ForwardingNode: 'mlisten' });
    // An older meshctl node's HELLO (u32 BE length, type 1), split byte by byte.
    const hello = encodeFrame(FrameType.HELLO, Buffer.from('{"magic":"meshctl-mesh","min":1,"max":1,"node":"old"}'));
    for (const b of hello) {
      if (c.sock.destroyed) break;
      c.sock.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    await c.closed;
    for (const msg of messages(c.got())) expect(msg.length).toBeGreaterThan(0);
    const errors = log.lines().filter((x) => x.startsWith('ERROR '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`mlisten: rejected connection with 127.0.0.1:${local} because it speaks meshctl's link protocol v1`);
    expect(errors[0]).toContain(HINT);
    expect(m.status().Connections).toEqual([]);
  });

  it('mesh mis-wiring - HTTP and TLS on a plain tcp listener are named and refused at once (issue 15)', async () => {
    const log = capture();
    const m = t.node('mhttp', { logger: log.logger });
    const l = await m.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    for (const [bytes, named] of [
      [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'HTTP'],
      [Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), 'a TLS handshake'],
    ] as const) {
      const c = rawClient(l.address.port);
      sockets.push(c.sock);
      const local = await c.connected;
      c.sock.write(bytes);
      await c.closed;
      const line = await waitFor(() => log.lines().find((x) => x.includes(`127.0.0.1:${local} `)), 'the error line');
      expect(line).toMatch(/^ERROR /);
      expect(line).toContain(`because it speaks ${named}`);
      expect(line).toContain(HINT);
    }
  });

  it('mesh mis-wiring - a dialer speaks first with its routing update and refuses a peer answering with an empty frame (issue 15)', async () => {
    const received: Buffer[] = [];
    let closedByNode = false;
    const server = net.createServer((s) => {
      s.on('data', (d: Buffer) => {
        received.push(d);
        // Answers with a zero-length frame: what made receptor 1.6.5 panic; we log it and close.
        if (received.length === 1) s.write(Buffer.from([0, 0]));
      });
      s.on('error', () => {});
      s.on('close', () => (closedByNode = true));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const log = capture();
    const m = t.node('mdial', { logger: log.logger });
    m.addTcpPeer({ address: `127.0.0.1:${port}`, redial: false });
    const line = await waitFor(() => log.lines().find((x) => x.startsWith('ERROR ')), 'the error line');
    expect(line).toContain(`mdial: rejected connection with 127.0.0.1:${port} because it speaks a zero-length netceptor frame`);
    await waitFor(() => closedByNode, 'the node to close the connection');
    const first = messages(Buffer.concat(received))[0]!;
    expect(first[0]).toBe(0x01);
    expect(JSON.parse(first.subarray(1).toString('utf8'))).toMatchObject({ NodeID: 'mdial', ForwardingNode: 'mdial' });
  });
});
