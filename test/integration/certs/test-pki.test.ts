// The per-run PKI helper other TLS tests rely on, checked with real Node TLS handshakes on loopback.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeIdsFromCertificate } from '../../../src/certs/index.js';
import {
  makeEncryptedKey,
  makeExpiredCert,
  makeMismatchedCert,
  makeTestPki,
  makeUnknownCaCert,
  type TestCertFiles,
  type TestPki,
} from '../../helpers/certs.js';

interface HandshakeResult {
  ok: boolean;
  error?: string;
  serverSawClientIds?: string[];
  clientSawServerIds?: string[];
}

/** One mutual-TLS handshake on 127.0.0.1; reports what each side saw or the client's error code. */
async function handshake(
  server: TestCertFiles,
  client: TestCertFiles,
  ca: string,
  opts: { servername?: string; clientKey?: { key: string; passphrase: string } } = {},
): Promise<HandshakeResult> {
  let serverSawClientIds: string[] | undefined;
  const srv = createServer({ cert: server.certPem, key: server.keyPem, ca, requestCert: true, rejectUnauthorized: true }, (sock) => {
    serverSawClientIds = nodeIdsFromCertificate(sock.getPeerX509Certificate()!.raw);
    sock.end('hi');
  });
  srv.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise<HandshakeResult>((resolve) => {
      const sock: TLSSocket = connect({
        host: '127.0.0.1',
        port,
        ca,
        cert: client.certPem,
        key: opts.clientKey ? opts.clientKey.key : client.keyPem,
        ...(opts.clientKey ? { passphrase: opts.clientKey.passphrase } : {}),
        servername: opts.servername ?? 'localhost',
      });
      sock.on('secureConnect', () => {
        const clientSawServerIds = nodeIdsFromCertificate(sock.getPeerX509Certificate()!.raw);
        sock.on('data', () => undefined);
        sock.on('end', () => resolve({ ok: true, clientSawServerIds, serverSawClientIds }));
      });
      sock.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code ?? err.message }));
    });
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
}

describe('test pki helper', () => {
  let dir: string;
  let pki: TestPki;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshctl-pki-'));
    pki = await makeTestPki(dir, { nodes: [{ name: 'server' }, { name: 'client', nodeIds: ['client', 'alias'] }] });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('test pki - writes ca and node files, keys mode 0600', async () => {
    for (const f of [pki.ca, pki.nodes.server!, pki.nodes.client!]) {
      expect((await stat(f.certPath)).isFile()).toBe(true);
      expect((await stat(f.keyPath)).mode & 0o777).toBe(0o600);
      expect(f.keyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    }
    expect(pki.ca.certPath).toBe(join(dir, 'ca.crt'));
    expect(pki.nodes.server!.keyPath).toBe(join(dir, 'server.key'));
  });

  it('test pki - mutual TLS succeeds and each side reads the other node IDs from the raw cert', async () => {
    const r = await handshake(pki.nodes.server!, pki.nodes.client!, pki.ca.certPem);
    expect(r).toEqual({ ok: true, clientSawServerIds: ['server'], serverSawClientIds: ['client', 'alias'] });
  });

  it('test pki - server cert matches 127.0.0.1 and ::1 by IP SAN', async () => {
    const r = await handshake(pki.nodes.server!, pki.nodes.client!, pki.ca.certPem, { servername: '' });
    expect(r.ok).toBe(true);
  });

  it('test pki - expired cert is rejected', async () => {
    const expired = await makeExpiredCert(pki, { name: 'old-server' });
    const r = await handshake(expired, pki.nodes.client!, pki.ca.certPem);
    expect(r).toMatchObject({ ok: false, error: 'CERT_HAS_EXPIRED' });
  });

  it('test pki - cert from an unknown CA is rejected', async () => {
    const stranger = await makeUnknownCaCert(pki, { name: 'stranger' });
    const r = await handshake(stranger, pki.nodes.client!, pki.ca.certPem);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
  });

  it('test pki - cert with mismatched names fails the host-name check', async () => {
    const wrong = await makeMismatchedCert(pki, { name: 'wrong' });
    expect(nodeIdsFromCertificate(wrong.certPem)).toEqual(['not-wrong']);
    const r = await handshake(wrong, pki.nodes.client!, pki.ca.certPem);
    expect(r).toMatchObject({ ok: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('test pki - encrypted keys (pkcs1 and pkcs8) work with their passphrase', async () => {
    for (const format of ['pkcs1', 'pkcs8'] as const) {
      const enc = await makeEncryptedKey(pki.nodes.client!, 's3cret', format);
      expect(enc.keyPem).toMatch(format === 'pkcs1' ? /Proc-Type: 4,ENCRYPTED/ : /BEGIN ENCRYPTED PRIVATE KEY/);
      expect((await stat(enc.keyPath)).mode & 0o777).toBe(0o600);
      const r = await handshake(pki.nodes.server!, pki.nodes.client!, pki.ca.certPem, { clientKey: { key: enc.keyPem, passphrase: 's3cret' } });
      expect(r.ok).toBe(true);
    }
  });
});
