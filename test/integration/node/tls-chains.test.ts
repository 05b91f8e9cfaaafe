// A PKI shaped like Receptor's own test PKI (tests/utils/common.go): the CA and every node certificate
// are CN=localhost, and node certificates carry no subjectKeyIdentifier. OpenSSL takes such a leaf for a
// self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT) and refuses it; Go finds leaf → CA. Before the
// fix no TLS link formed with such certificates. Here: links (tls, wss), TLS inside mesh streams (connect,
// remote work), the TCP TLS control listener and a tls-client dialling a server all accept them, and
// still refuse another CA with the same subject, an expired certificate and a self-signed impostor.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlClient } from '../../../src/client/control-client.js';
import type { TlsClientConfig } from '../../../src/config/types.js';
import { Mesh } from '../../../src/node/mesh/index.js';
import { dialTcp } from '../../../src/node/mesh/transport/tcp.js';
import { prepareTlsClient } from '../../../src/node/tls-client.js';
import { makeExpiredCert, makeTestPki, makeUnknownCaCert, type TestCertFiles, type TestPki } from '../../helpers/certs.js';
import { forge, type Forged } from '../../helpers/forged-certs.js';
import { FAST_MESH_TIMERS, startTestMesh, waitUntil, type TestMesh } from '../../helpers/mesh.js';
import { exchange } from './raw-client.js';

const q = JSON.stringify;
const SAME = 'localhost';

/** One line from a TLS control listener, or the error that ended the attempt. */
function firstLine(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts });
    let buf = '';
    const done = (v: string): void => {
      s.destroy();
      resolve(v);
    };
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) done(buf.slice(0, buf.indexOf('\n')));
    });
    s.on('error', (err: NodeJS.ErrnoException) => done(`error ${err.code ?? err.message}`));
    s.on('close', () => done(buf === '' ? 'closed' : buf));
  });
}

describe('TLS with a CA and certificates of one subject (Receptor test PKI)', () => {
  let dir: string;
  let pki: TestPki;
  let expired: TestCertFiles;
  let otherCa: TestCertFiles & { ca: TestCertFiles };
  let impostor: Forged;
  let m: TestMesh;
  let client: ControlClient;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-tls-chains-'));
    pki = await makeTestPki(dir, {
      caCommonName: SAME,
      nodes: [
        { name: 'controller', commonName: SAME },
        { name: 'hop', commonName: SAME },
        { name: 'executor', commonName: SAME },
        { name: 'client', commonName: SAME, nodeIds: [] },
      ],
    });
    expired = await makeExpiredCert(pki, { name: 'expired', commonName: SAME });
    otherCa = await makeUnknownCaCert(pki, { name: 'otherca', commonName: SAME });
    // Self-signed, with the CA's subject as issuer and subject: what OpenSSL's verdict and ours must refuse.
    impostor = await forge({ subject: `CN=${SAME}`, nodeIds: ['rogue'] });
    m = await startTestMesh({
      pki,
      log: (node, line) => logs.push(`${node}: ${line}`),
      nodes: [
        {
          id: 'controller',
          extraYaml: [
            '- tls-client:',
            '    name: ctl',
            `    cert: ${q(pki.nodes.controller!.certPath)}`,
            `    key: ${q(pki.nodes.controller!.keyPath)}`,
            `    rootcas: ${q(pki.ca.certPath)}`,
          ].join('\n'),
        },
        'hop',
        {
          id: 'executor',
          workCommands: [{ worktype: 'cat', command: 'cat' }],
          // The TCP TLS control listener, client certificates required.
          tlsServer: { cert: pki.nodes.executor!.certPath, key: pki.nodes.executor!.keyPath, clientcas: pki.ca.certPath, requireclientcert: true, mintls13: true },
          // `control` on the mesh takes TLS too (the same tls-server entry).
          controlServiceTls: 'testtls',
        },
      ],
      links: [
        { from: 'controller', to: 'hop', via: 'wss' },
        { from: 'hop', to: 'executor', via: 'tls' },
      ],
    });
    client = m.client('controller');
  });
  afterAll(async () => {
    await m?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const tlsPort = (): number => m.node('executor').node.addresses.find((a) => a.kind === 'tls')!.port!;

  it('tls chains - regression: OpenSSL alone refuses these certificates, so no TLS link formed; now tls and wss links carry routes', async () => {
    // The premise: node:tls with its own verification calls the executor's certificate self-signed.
    expect(await firstLine(tlsPort(), { ca: pki.ca.certPem, cert: pki.nodes.client!.certPem, key: pki.nodes.client!.keyPem })).toBe(
      'error DEPTH_ZERO_SELF_SIGNED_CERT',
    );
    // startTestMesh waited for every route, over a wss and a tls link.
    expect(m.node('hop').node.meshListeners.map((l) => l.kind)).toEqual(['wss']);
    expect(m.node('executor').node.meshListeners.map((l) => l.kind)).toEqual(['tls']);
    expect(m.node('controller').node.mesh.status().RoutingTable).toEqual({ executor: 'hop', hop: 'hop' });
  });

  it('tls chains - TLS inside mesh streams: connect and remote work through a tls-client reach the executor', async () => {
    expect(await exchange(m.node('controller').socketPath, 'connect executor control ctl\n{"command":"status","requested_fields":["NodeID"]}\n')).toEqual([
      'Connecting',
      'Receptor Control, node executor',
      '{"NodeID":"executor"}',
    ]);
    const { unitid } = await client.workSubmit({ workType: 'cat', node: 'executor', tlsClient: 'ctl' }, 'same subject\n');
    const chunks: Buffer[] = [];
    for await (const c of client.followResults(unitid)) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('same subject\n');
    expect((await client.workStatus(unitid)).State).toBe(2);
  });

  it('tls chains - the TCP TLS control listener takes a client certificate of the same subject; none still gets the certificate-required alert', async () => {
    const trustAny = { rejectUnauthorized: false };
    expect(await firstLine(tlsPort(), { ...trustAny, cert: pki.nodes.client!.certPem, key: pki.nodes.client!.keyPem })).toBe('Receptor Control, node executor');
    expect(await firstLine(tlsPort(), trustAny)).toBe('error ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  it('tls chains - still refused on the TCP TLS control listener: another CA of the same subject, an expired certificate, a self-signed impostor', async () => {
    const trustAny = { rejectUnauthorized: false };
    logs.length = 0;
    expect(await firstLine(tlsPort(), { ...trustAny, cert: otherCa.certPem, key: otherCa.keyPem })).toBe('closed');
    expect(await firstLine(tlsPort(), { ...trustAny, cert: expired.certPem, key: expired.keyPem })).toBe('closed');
    expect(await firstLine(tlsPort(), { ...trustAny, cert: impostor.pem, key: impostor.keyPem })).toBe('closed');
    await waitUntil(() => logs.filter((l) => l.includes('TLS handshake error')).length === 3, 'three refusals logged');
    const refusals = logs.filter((l) => l.includes('TLS handshake error')).map((l) => l.replace(/^executor: ERROR \S+ \S+ /, '').replace(/ \{"node_id":[^}]*\}$/, ''));
    expect(refusals[0]).toBe('TLS handshake error: client certificate rejected: x509: certificate signed by unknown authority. Closing socket.');
    expect(refusals[1]).toMatch(/^TLS handshake error: client certificate rejected: x509: certificate has expired or is not yet valid: current time \S+ is after \S+\. Closing socket\.$/);
    expect(refusals[2]).toBe('TLS handshake error: client certificate rejected: x509: certificate signed by unknown authority. Closing socket.');
  });

  it('tls chains - still refused on a TLS mesh listener: a peer with an expired certificate or a self-signed impostor', async () => {
    const executor = m.node('executor').node.mesh;
    const listener = m.node('executor').node.meshListeners[0]!;
    const errors: string[] = [];
    const onError = (e: { error: Error }): void => {
      errors.push(e.error.message);
    };
    executor.on('link-error', onError);
    const rogue = new Mesh({ nodeId: 'rogue', timers: FAST_MESH_TIMERS });
    try {
      rogue.addTcpPeer({ address: listener.url, redial: false, tls: { options: { cert: expired.certPem, key: expired.keyPem, rejectUnauthorized: false } } });
      await waitUntil(() => errors.length >= 1, 'the expired peer refused');
      rogue.addTcpPeer({ address: listener.url, redial: false, tls: { options: { cert: impostor.pem, key: impostor.keyPem, rejectUnauthorized: false } } });
      await waitUntil(() => errors.length >= 2, 'the impostor refused');
    } finally {
      executor.off('link-error', onError);
      await rogue.close();
    }
    expect(errors[0]).toMatch(/^client certificate rejected: x509: certificate has expired or is not yet valid: /);
    expect(errors[1]).toBe('client certificate rejected: x509: certificate signed by unknown authority');
    expect(executor.status().Connections.map((c) => c.NodeID)).toEqual(['hop']);
  });

  it('tls chains - a tls-client dialling a server: the same-subject chain is accepted, the bad ones refused, names still checked', async () => {
    const cfg: TlsClientConfig = {
      name: 'dial',
      cert: pki.nodes.controller!.certPath,
      key: pki.nodes.controller!.keyPath,
      rootcas: pki.ca.certPath,
      insecureskipverify: false,
      pinnedservercert: [],
      skipreceptornamescheck: false,
      mintls13: true,
      source: { section: 'tls-client', index: 1, canonical: '' },
    };
    const prepared = await prepareTlsClient(cfg, 'controller');
    const serve = async (cert: string, key: string): Promise<{ address: string; close(): Promise<void> }> => {
      const srv = tls.createServer({ cert, key }, (s) => s.end());
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as { port: number }).port;
      return { address: `localhost:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
    };
    const attempt = async (cert: string, key: string, host = 'localhost'): Promise<string> => {
      const srv = await serve(cert, key);
      try {
        const t = await dialTcp({ address: srv.address, tls: prepared.forHost(host) });
        t.destroy();
        return 'ok';
      } catch (err) {
        return (err as Error).message;
      } finally {
        await srv.close();
      }
    };
    expect(await attempt(pki.nodes.executor!.certPem, pki.nodes.executor!.keyPem)).toBe('ok');
    expect(await attempt(otherCa.certPem, otherCa.keyPem)).toBe('x509: certificate signed by unknown authority');
    expect(await attempt(expired.certPem, expired.keyPem)).toMatch(/^x509: certificate has expired or is not yet valid: /);
    expect(await attempt(impostor.pem, impostor.keyPem)).toBe('x509: certificate signed by unknown authority');
    // A good chain for the wrong host is still refused (node:tls's host check, now run by verifyPeer).
    expect(await attempt(pki.nodes.executor!.certPem, pki.nodes.executor!.keyPem, 'example.invalid')).toMatch(/^Hostname\/IP does not match certificate's altnames/);
  });
});
