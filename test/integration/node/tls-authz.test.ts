// Who may talk to a node's TLS control service, on a real two-node mesh started from YAML: the
// executor's `control` service takes TLS inside mesh streams and requires client certificates, so the
// certificate must carry the node the stream comes from (Receptor: pkg/netceptor/conn.go listen,
// GetConfigForClient → ReceptorVerifyFunc with the remote node, ExpectedHostnameTypeReceptor). And what a
// controller does when it reaches that service without TLS: Receptor's dial fails at once with
// `insecure connection to secure service` (conn.go verifyServerCertificate) and the remote unit fails
// with it (remote_work.go getConnection: CRYPTO_ERROR ⇒ Failed while not started).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlClient } from '../../../src/client/control-client.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { startTestMesh, waitUntil, type TestMesh } from '../../helpers/mesh.js';
import { exchange } from './raw-client.js';

const q = JSON.stringify;

describe('TLS control service on the mesh', () => {
  let dir: string;
  let pki: TestPki;
  let m: TestMesh;
  let client: ControlClient;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-tls-authz-'));
    // `rogue`: a certificate the same CA issued, for another node ID.
    pki = await makeTestPki(dir, { nodes: ['controller', 'executor', 'rogue'].map((name) => ({ name })) });
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
            // The controller presents rogue's certificate (it may: skipreceptornamescheck only skips the
            // check of its own certificate at start).
            '- tls-client:',
            '    name: wrong',
            `    cert: ${q(pki.nodes.rogue!.certPath)}`,
            `    key: ${q(pki.nodes.rogue!.keyPath)}`,
            `    rootcas: ${q(pki.ca.certPath)}`,
            '    skipreceptornamescheck: true',
          ].join('\n'),
        },
        {
          id: 'executor',
          workCommands: [{ worktype: 'cat', command: 'cat' }],
          controlServiceTls: 'ctlsrv',
          extraYaml: [
            '- tls-server:',
            '    name: ctlsrv',
            `    cert: ${q(pki.nodes.executor!.certPath)}`,
            `    key: ${q(pki.nodes.executor!.keyPath)}`,
            `    clientcas: ${q(pki.ca.certPath)}`,
            '    requireclientcert: true',
          ].join('\n'),
        },
      ],
      links: [['controller', 'executor']],
    });
    client = m.client('controller');
  });
  afterAll(async () => {
    await m?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const unitDetail = async (id: string): Promise<{ State: number; Detail: string }> => {
    const st = await client.workStatus(id);
    return { State: st.State, Detail: st.Detail };
  };

  it('tls authz - regression: the TLS control service accepted a client certificate issued for another node ID', async () => {
    const sock = m.node('controller').socketPath;
    // The controller's own certificate is accepted.
    expect(await exchange(sock, 'connect executor control ctl\n{"command":"status","requested_fields":["NodeID"]}\n')).toEqual([
      'Connecting',
      'Receptor Control, node executor',
      '{"NodeID":"executor"}',
    ]);
    // Rogue's: the stream is connected (TLS 1.3 finishes on the client first), then refused; as with
    // receptor, the client sees `Connecting` and the end of the connection, and no greeting.
    expect(await exchange(sock, 'connect executor control wrong\n{"command":"status","requested_fields":["NodeID"]}\n')).toEqual(['Connecting']);
    await waitUntil(() => logs.some((l) => l.includes('x509: certificate is valid for Receptor node ID rogue, not controller')), 'the executor logging the refusal');
    expect(logs.find((l) => l.includes('x509: certificate is valid for Receptor node ID rogue'))).toMatch(
      /^executor: ERROR .*TLS handshake error on control service control from controller:\w+: x509: certificate is valid for Receptor node ID rogue, not controller \{"node_id":"executor","remote_id":"\w+"\}$/,
    );
  });

  it('tls authz - a remote submit with a certificate for another node ID fails with the error a Receptor controller records', async () => {
    const { result, unitid } = await client.workSubmit({ workType: 'cat', node: 'executor', tlsClient: 'wrong' }, 'x');
    expect(result).toBe('Job Submitted');
    // Receptor 1.6.5 records `CRYPTO_ERROR 0x12a (remote): tls: bad certificate` (its server's alert).
    await waitUntil(async () => (await unitDetail(unitid)).State === 3, 'the unit failing');
    expect(await unitDetail(unitid)).toEqual({ State: 3, Detail: 'TLS error connecting to remote service: CRYPTO_ERROR 0x12a (remote): tls: bad certificate' });
    expect(await client.workRelease(unitid)).toEqual({ released: unitid });
  });

  it('tls authz - regression: a remote submit without tlsclient stayed Pending forever; it fails as in Receptor', async () => {
    const { result, unitid } = await client.workSubmit({ workType: 'cat', node: 'executor' }, 'x');
    expect(result).toBe('Job Submitted');
    await waitUntil(async () => (await unitDetail(unitid)).State === 3, 'the unit failing');
    expect(await unitDetail(unitid)).toEqual({
      State: 3,
      Detail: 'TLS error connecting to remote service: CRYPTO_ERROR 0x12a (local): insecure connection to secure service',
    });
    // `work results --follow` ends (nothing was produced) instead of waiting forever.
    const chunks: Buffer[] = [];
    for await (const c of client.followResults(unitid)) chunks.push(c);
    expect(Buffer.concat(chunks).length).toBe(0);
    expect(await client.workRelease(unitid)).toEqual({ released: unitid });
  });

  it('tls authz - regression: connect without a tls-client waited for a greeting; it answers Receptor\'s error at once', async () => {
    const sock = m.node('controller').socketPath;
    expect(await exchange(sock, 'connect executor control\n')).toEqual(['ERROR: CRYPTO_ERROR 0x12a (local): insecure connection to secure service']);
    // The client path of `meshctl work list --node executor`: the error, not "no greeting" after a timeout.
    await expect(client.viaNode('executor').workList()).rejects.toThrow('CRYPTO_ERROR 0x12a (local): insecure connection to secure service');
  });
});
