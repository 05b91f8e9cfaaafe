// Link backends and admission: TLS with mutual authentication, WebSocket (ws, wss), Receptor's refusal
// rules (own ID, duplicate ID, allowedpeers, cost disagreement), dead-peer detection and redial.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, makeUnknownCaCert, type TestCertFiles, type TestPki } from '../../helpers/certs.js';
import { secureClientStream, secureServerStream, type LinkClientTls, type LinkServerTls, type Mesh } from '../../../src/node/mesh/index.js';
import { startBlackhole } from './blackhole.js';
import { meshTestbed, readAll, waitFor } from './helpers.js';

let dir: string;
let pki: TestPki;
let evil: TestCertFiles;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-mesh-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
  evil = await makeUnknownCaCert(pki, { name: 'evil', nodeIds: ['a'] });
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function serverTls(name: string, requireClientCert = true): LinkServerTls {
  const n = pki.nodes[name]!;
  return { options: { cert: n.certPem, key: n.keyPem, ca: pki.ca.certPem, requestCert: requireClientCert, rejectUnauthorized: requireClientCert } };
}

function clientTls(files: TestCertFiles | undefined): LinkClientTls {
  return { options: { ca: pki.ca.certPem, ...(files ? { cert: files.certPem, key: files.keyPem } : {}) } };
}

function connectedTo(m: Mesh, node: string): boolean {
  return m.status().Connections.some((c) => c.NodeID === node);
}

describe('mesh links', () => {
  const t = meshTestbed();

  it('mesh - TLS link with mutual authentication carries routes and streams', async () => {
    const [a, b] = t.nodes('a', 'b');
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0, tls: serverTls('b'), requirePeerNodeIdInCert: true });
    expect(l.kind).toBe('tls');
    a.addTcpPeer({ address: l.url, tls: clientTls(pki.nodes.a), requirePeerNodeIdInCert: true });
    await t.converged([a, b]);
    b.listenService('echo', (s) => s.pipe(s));
    const s = await a.dialService('b', 'echo');
    s.end('over tls');
    expect((await readAll(s)).toString()).toBe('over tls');
  });

  it('mesh - TLS listener refuses a client whose certificate comes from an unknown CA, or none', async () => {
    const [a, b, c] = t.nodes('a', 'b', 'c');
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0, tls: serverTls('b') });
    const errors: string[] = [];
    b.on('link-error', (e) => errors.push(e.error.message));
    a.addTcpPeer({ address: l.url, tls: clientTls(evil) });
    await waitFor(() => errors.length > 0, 'refusal of the unknown CA');
    // Go's words for the refusal, as Receptor logs it.
    expect(errors[0]).toBe('client certificate rejected: x509: certificate signed by unknown authority');
    errors.length = 0;
    c.addTcpPeer({ address: l.url, tls: clientTls(undefined) });
    await waitFor(() => errors.length > 0, 'refusal of no certificate');
    expect(errors[0]).toMatch(/^client certificate rejected: [a-z ]+$/);
    expect(b.status().Connections).toEqual([]);
    expect(a.status().Connections).toEqual([]);
  });

  it('mesh - a peer whose certificate lacks its node ID is rejected when the listener requires it', async () => {
    const b = t.node('b');
    const impostor = t.node('c');
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0, tls: serverTls('b'), requirePeerNodeIdInCert: true });
    const refused = once(b, 'rejected');
    const rejected = once(impostor, 'rejected');
    // Node c presents a's certificate (trusted CA, node ID a).
    impostor.addTcpPeer({ address: l.url, tls: clientTls(pki.nodes.a) });
    const [mine] = (await refused) as [{ reason: string; byPeer: boolean }];
    expect(mine).toEqual({ node: 'c', byPeer: false, reason: 'its certificate does not carry node ID c (found [a])' });
    // Receptor's reject message carries no reason (03 5b 5d): the refused side learns only that it was refused.
    const [r] = (await rejected) as [{ reason: string; byPeer: boolean }];
    expect(r).toMatchObject({ byPeer: true, reason: 'remote node rejected the connection' });
  });

  it('mesh - a client refuses a server certificate it does not trust', async () => {
    const [a, b] = t.nodes('a', 'b');
    const other = await makeUnknownCaCert(pki, { name: 'b-other', nodeIds: ['b'] });
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0, tls: { options: { cert: other.certPem, key: other.keyPem } } });
    const failed = once(a, 'link-error');
    a.addTcpPeer({ address: l.url, tls: clientTls(pki.nodes.a) });
    const [info] = (await failed) as [{ error: Error }];
    expect(info.error.message).toMatch(/certificate/i);
    expect(a.status().Connections).toEqual([]);
  });

  it('mesh - WebSocket link (ws) with a path carries streams', async () => {
    const [a, b] = t.nodes('a', 'b');
    const l = await b.addWsListener({ bindaddr: '127.0.0.1', port: 0, path: '/mesh' });
    expect(l.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mesh$/);
    a.addWsPeer({ address: l.url });
    await t.converged([a, b]);
    b.listenService('echo', (s) => s.pipe(s));
    const s = await a.dialService('b', 'echo');
    const payload = Buffer.alloc(3 * 1024 * 1024, 7);
    s.end(payload);
    expect((await readAll(s)).equals(payload)).toBe(true);
  });

  it('mesh - WebSocket dial to the wrong path is refused with the HTTP status', async () => {
    const [a, b] = t.nodes('a', 'b');
    const l = await b.addWsListener({ bindaddr: '127.0.0.1', port: 0, path: '/mesh' });
    const failed = once(a, 'link-error');
    a.addWsPeer({ address: l.url.replace('/mesh', '/other') });
    const [info] = (await failed) as [{ error: Error }];
    expect(info.error.message).toBe('websocket upgrade refused: HTTP 404');
  });

  it('mesh - secure WebSocket link (wss) with mutual authentication', async () => {
    const [a, b] = t.nodes('a', 'b');
    const l = await b.addWsListener({ bindaddr: '127.0.0.1', port: 0, tls: serverTls('b') });
    expect(l.url).toMatch(/^wss:\/\//);
    a.addWsPeer({ address: l.url.replace('127.0.0.1', 'localhost'), tls: clientTls(pki.nodes.a) });
    await t.converged([a, b]);
    expect(await a.ping('b')).toMatchObject({ Success: true, From: 'b' });
    const refused = once(b, 'link-error');
    t.node('c').addWsPeer({ address: l.url, tls: clientTls(evil) });
    await refused;
  });

  it('mesh - a ws peer sends its extra header and an Origin', async () => {
    const a = t.node('a');
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    const headers = new Promise<http.IncomingHttpHeaders>((resolve) => wss.on('connection', (ws, req) => {
      resolve(req.headers);
      ws.close();
    }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      a.addWsPeer({ address: `ws://127.0.0.1:${port}/`, extraheader: 'X-Mesh-Token: s3cret' });
      const h = await headers;
      expect(h['x-mesh-token']).toBe('s3cret');
      expect(h.origin).toBe(`http://127.0.0.1:${port}`);
    } finally {
      await a.close();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('mesh - a second node with an ID already connected is refused', async () => {
    const [a, b] = t.nodes('a', 'b');
    const { listener } = await t.link(a, b);
    const twin = t.node('a');
    const refused = once(b, 'rejected');
    const rejected = once(twin, 'rejected');
    twin.addTcpPeer({ address: listener.url });
    const [mine] = (await refused) as [{ reason: string; byPeer: boolean }];
    expect(mine).toEqual({ node: 'a', byPeer: false, reason: 'it connected using a node ID we are already connected to' });
    const [r] = (await rejected) as [{ reason: string; byPeer: boolean }];
    expect(r).toMatchObject({ byPeer: true, reason: 'remote node rejected the connection' });
    expect(b.status().Connections).toEqual([{ NodeID: 'a', Cost: 1 }]);
  });

  it('mesh - a node connecting with our own ID is refused', async () => {
    const b = t.node('b');
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    const rejected = once(b, 'rejected');
    t.node('b').addTcpPeer({ address: l.url });
    const [r] = (await rejected) as [{ reason: string; byPeer: boolean }];
    expect(r).toEqual({ node: 'b', byPeer: false, reason: 'it tried to connect using our own node ID' });
  });

  it('mesh - allowedpeers admits listed nodes only', async () => {
    const [a, b, c] = t.nodes('a', 'b', 'c');
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0, allowedpeers: ['a'] });
    const lost: string[] = [];
    b.on('disconnection', (node) => lost.push(node));
    const rejected = once(b, 'rejected');
    c.addTcpPeer({ address: l.url });
    const [r] = (await rejected) as [{ node: string; reason: string }];
    expect(r).toMatchObject({ node: 'c', reason: 'it is not in the allowed peers list' });
    await t.link(a, b, {}, l);
    expect(connectedTo(b, 'c')).toBe(false);
    // A refused handshake was never a connection: no disconnection for it.
    expect(lost).toEqual([]);
  });

  it('mesh - the two ends must agree on the cost; nodecost sets it per peer', async () => {
    const [a, b, c] = t.nodes('a', 'b', 'c');
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0, cost: 2, nodecost: { c: 3 } });
    // Whichever end reads the other's cost first refuses (receptor's runProtocol); the other may only see the reject.
    const reasons: string[] = [];
    for (const m of [a, b]) m.on('rejected', (r: { reason: string }) => reasons.push(r.reason));
    a.addTcpPeer({ address: l.url, cost: 1, redial: false });
    await waitFor(() => reasons.includes('we disagree about the connection cost'), 'the cost disagreement');
    await t.link(c, b, { cost: 3 }, l);
    expect(b.status().Connections).toEqual([{ NodeID: 'c', Cost: 3 }]);
    expect(c.status().Connections).toEqual([{ NodeID: 'b', Cost: 3 }]);
  });

  it('mesh - a peer that goes silent without closing is dropped within the idle timeout, both sides', async () => {
    const [a, b] = t.nodes('a', 'b');
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    const hole = await startBlackhole(l.address.port);
    try {
      a.addTcpPeer({ address: hole.address });
      await t.converged([a, b]);
      const lostA = once(a, 'disconnection');
      const lostB = once(b, 'disconnection');
      hole.freeze();
      const [[nodeA, reasonA], [nodeB, reasonB]] = (await Promise.all([lostA, lostB])) as [[string, string], [string, string]];
      expect([nodeA, nodeB]).toEqual(['b', 'a']);
      expect(reasonA).toBe('connection to b timed out');
      expect(reasonB).toBe('connection to a timed out');
      await waitFor(() => Object.keys(a.status().RoutingTable).length === 0, 'routes of a emptied');
    } finally {
      await hole.close();
    }
  });

  it('mesh - a peer redials after the listener comes back', async () => {
    const [a] = t.nodes('a');
    let b = t.node('b');
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    const port = l.address.port;
    a.addTcpPeer({ address: l.url });
    await t.converged([a, b]);
    await b.close();
    await waitFor(() => a.status().Connections.length === 0, 'a notices b left');
    b = t.node('b');
    await b.addTcpListener({ bindaddr: '127.0.0.1', port });
    await t.converged([a, b]);
    expect(await a.ping('b')).toMatchObject({ Success: true });
  });

  it('mesh - a peer with redial off gives up after its link ends', async () => {
    const [a, b] = t.nodes('a', 'b');
    const l = await b.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    const peer = a.addTcpPeer({ address: l.url, redial: false });
    await t.converged([a, b]);
    expect(peer.remoteNode).toBe('b');
    await b.close();
    await peer.stopped;
    expect(peer.remoteNode).toBeUndefined();
    expect(a.status().Connections).toEqual([]);
  });

  it('mesh - TLS inside a stream across a hop checks the node ID in the service certificate', async () => {
    const [a, b, c] = t.nodes('a', 'b', 'c');
    await t.link(a, b);
    await t.link(b, c);
    await t.converged([a, b, c]);
    c.listenService('secure', (s) => {
      s.on('error', () => undefined);
      secureServerStream(s, serverTls('c')).then(
        (tlsSock) => tlsSock.pipe(tlsSock),
        () => undefined,
      );
    }, { connType: 2 });
    const raw = await a.dialService('c', 'secure');
    const sock = await secureClientStream(raw, clientTls(pki.nodes.a), 'c');
    sock.end('private');
    expect((await readAll(sock)).toString()).toBe('private');
    // The same service dialled as if it were node b's: the certificate names c, not b.
    const raw2 = await a.dialService('c', 'secure');
    await expect(secureClientStream(raw2, clientTls(pki.nodes.a), 'b')).rejects.toThrow(
      'tls handshake failed: x509: certificate is valid for Receptor node ID c, not b',
    );
  });

  it('mesh - a listener on a port in use is a configuration error naming the address', async () => {
    const [a, b] = t.nodes('a', 'b');
    const l = await a.addTcpListener({ bindaddr: '127.0.0.1', port: 0 });
    await expect(b.addTcpListener({ bindaddr: '127.0.0.1', port: l.address.port })).rejects.toMatchObject({
      code: 'EBADCONFIG',
      message: `tcp-listener: error creating listener 127.0.0.1:${l.address.port}: EADDRINUSE`,
    });
  });
});
