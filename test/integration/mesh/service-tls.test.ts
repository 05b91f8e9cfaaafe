// TLS inside mesh streams (services advertised with ConnType 2), as Receptor runs it: who is checked
// against what (pkg/netceptor/conn.go listen, GetConfigForClient: a service that requires client
// certificates checks that the certificate carries the node the stream comes from), and the plain dial
// to a TLS service that Receptor refuses at once (`insecure connection to secure service`, conn.go
// verifyServerCertificate). Real TLS over real TCP links, certificates made per run.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestCertFiles, type TestPki } from '../../helpers/certs.js';
import { secureClientStream, secureServerStream, type LinkClientTls, type LinkServerTls, type Mesh } from '../../../src/node/mesh/index.js';
import type { MeshStream } from '../../../src/node/mesh/stream.js';
import { meshTestbed, readAll } from './helpers.js';

let dir: string;
let pki: TestPki;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-service-tls-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'a' }, { name: 'b' }, { name: 'rogue' }] });
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A tls-server as the node prepares it: clientcas, and requireclientcert or not. */
function serverTls(requireClientCert: boolean): LinkServerTls {
  const n = pki.nodes.b!;
  return { options: { cert: n.certPem, key: n.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: requireClientCert } };
}

function clientTls(files: TestCertFiles): LinkClientTls {
  return { options: { ca: pki.ca.certPem, cert: files.certPem, key: files.keyPem } };
}

/** An echo service on `m` behind TLS; every refusal's reason is collected. */
function tlsEcho(m: Mesh, name: string, t: LinkServerTls): string[] {
  const refusals: string[] = [];
  m.listenService(
    name,
    (s) => {
      s.on('error', () => undefined);
      secureServerStream(s, t).then(
        (sock) => sock.pipe(sock),
        (err: Error) => refusals.push(err.message),
      );
    },
    { connType: 2 },
  );
  return refusals;
}

/** Writes `text` through TLS over a fresh stream and reads until the end (or the error). */
async function roundTrip(a: Mesh, service: string, files: TestCertFiles, text: string): Promise<string> {
  const raw = await a.dialService('b', service, { tls: true });
  const sock: tls.TLSSocket = await secureClientStream(raw, clientTls(files), 'b');
  sock.end(text);
  return (await readAll(sock)).toString();
}

describe('service tls', () => {
  const t = meshTestbed();

  it('service tls - regression: a service requiring client certificates refused one issued for another node ID', async () => {
    const [a, b] = t.nodes('a', 'b');
    await t.link(a, b);
    await t.converged([a, b]);
    const refusals = tlsEcho(b, 'secure', serverTls(true));
    expect(await roundTrip(a, 'secure', pki.nodes.a!, 'from a')).toBe('from a');
    expect(refusals).toEqual([]);

    // Node a presents a certificate the CA issued for node `rogue`: valid chain, wrong node.
    const raw = (await a.dialService('b', 'secure', { tls: true })) as MeshStream;
    const reset = new Promise<Error>((resolve) => raw.once('error', resolve));
    const sock = await secureClientStream(raw, clientTls(pki.nodes.rogue!), 'b');
    sock.on('error', () => undefined);
    // Receptor's text on the service side; the dialler gets the reset a Go server's alert becomes.
    expect((await reset).message).toBe('CRYPTO_ERROR 0x12a (remote): tls: bad certificate');
    expect(refusals).toEqual(['x509: certificate is valid for Receptor node ID rogue, not a']);
    sock.destroy();
  });

  it('service tls - with clientcas alone (no requireclientcert) the node ID is not checked, as in Receptor', async () => {
    const [a, b] = t.nodes('a', 'b');
    await t.link(a, b);
    await t.converged([a, b]);
    const refusals = tlsEcho(b, 'ifgiven', serverTls(false));
    expect(await roundTrip(a, 'ifgiven', pki.nodes.rogue!, 'any node')).toBe('any node');
    expect(refusals).toEqual([]);
  });

  it('service tls - regression: a plain dial to a TLS service fails at once with insecure connection to secure service', async () => {
    const [a, hop, b] = t.nodes('a', 'hop', 'b');
    await t.link(a, hop);
    await t.link(hop, b);
    await t.converged([a, hop, b]);
    tlsEcho(b, 'secure', serverTls(true));
    b.listenService('plain', (s) => s.pipe(s));
    // Across a hop: the refusal comes from the service's node.
    await expect(a.dialService('b', 'secure', { tls: false })).rejects.toMatchObject({
      kind: 'EINSECURE',
      message: 'CRYPTO_ERROR 0x12a (local): insecure connection to secure service',
    });
    // A dialler that says nothing (an older node) is not refused; TLS to a plain service is not refused either.
    const quiet = await a.dialService('b', 'secure');
    quiet.destroy();
    const plain = await a.dialService('b', 'plain', { tls: false });
    plain.end('plain');
    expect((await readAll(plain)).toString()).toBe('plain');
  });
});
