// Issue 15: a meshctl node wired to something that is not a meshctl node (a receptor, a web client, a TLS
// client on a plain listener) must send it nothing, log one error line naming the peer's address and what it
// speaks, and close. Before the fix both ends sent HELLO at once, which made receptor 1.6.5 panic (its u16 LE
// length reads meshctl's 00 00 as an empty frame), and the meshctl side said why only at debug level.
// Raw sockets play the foreign peer; the interop suite (test/interop/mesh-miswire.test.ts) does it with receptor.
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamLogger } from '../../../src/node/logger.js';
import { meshTestbed, waitFor } from './helpers.js';

const HINT = 'meshctl nodes link only with meshctl nodes until the netceptor wire lands (docs/mesh.md)';

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

  it('mesh mis-wiring - a listener sends nothing until the peer speaks, then refuses receptor split byte by byte with one error line naming its node ID (issue 15)', async () => {
    const log = capture();
    const m = t.node('mlisten', { logger: log.logger });
    const l = await m.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    const c = rawClient(l.address.port);
    sockets.push(c.sock);
    const local = await c.connected;
    // A receptor waits for nothing: it sends its update at once. The node must not have said a word meanwhile.
    await new Promise((r) => setTimeout(r, 800));
    expect(c.got().length).toBe(0);
    for (const b of receptorUpdate('rnode')) {
      c.sock.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    await c.closed;
    expect(c.got().length).toBe(0);
    const errors = log.lines().filter((x) => x.startsWith('ERROR '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`mlisten: rejected connection with 127.0.0.1:${local} because it speaks Receptor's netceptor protocol, node ID rnode: ${HINT}`);
    expect(m.status().Connections).toEqual([]);
  });

  it('mesh mis-wiring - HTTP and TLS on a plain tcp listener are named and refused without a reply (issue 15)', async () => {
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
      expect(c.got().length).toBe(0);
      const line = await waitFor(() => log.lines().find((x) => x.includes(`127.0.0.1:${local} `)), 'the error line');
      expect(line).toMatch(/^ERROR /);
      expect(line).toContain(`because it speaks ${named}`);
      expect(line).toContain(HINT);
    }
  });

  it('mesh mis-wiring - a dialer that hears receptor speak first sends nothing and logs one error line; to a silent peer it says HELLO (issue 15)', async () => {
    const received: Buffer[] = [];
    let closedByNode = false;
    const server = net.createServer((s) => {
      s.on('data', (d: Buffer) => received.push(d));
      s.on('error', () => {});
      s.on('close', () => (closedByNode = true));
      s.write(receptorUpdate('rdial'));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const log = capture();
    const m = t.node('mdial', { logger: log.logger });
    m.addTcpPeer({ address: `127.0.0.1:${port}`, redial: false });
    const line = await waitFor(() => log.lines().find((x) => x.startsWith('ERROR ')), 'the error line');
    expect(line).toContain(`mdial: rejected connection with 127.0.0.1:${port} because it speaks Receptor's netceptor protocol, node ID rdial: ${HINT}`);
    await waitFor(() => closedByNode, 'the node to close the connection');
    expect(Buffer.concat(received).length).toBe(0);

    // A peer that stays silent (a meshctl listener now does) gets the dialer's HELLO after the wait.
    const silent: Buffer[] = [];
    const quiet = net.createServer((s) => {
      s.on('data', (d: Buffer) => silent.push(d));
      s.on('error', () => {});
    });
    servers.push(quiet);
    await new Promise<void>((r) => quiet.listen(0, '127.0.0.1', r));
    m.addTcpPeer({ address: `127.0.0.1:${(quiet.address() as net.AddressInfo).port}`, redial: false });
    const first = await waitFor(() => (Buffer.concat(silent).length >= 5 ? Buffer.concat(silent) : undefined), 'the HELLO');
    expect(first[4]).toBe(0x01);
    expect(first.subarray(5).toString('utf8')).toContain('"magic":"meshctl-mesh"');
  });
});
