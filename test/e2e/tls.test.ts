import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  makeEncryptedKey,
  makeExpiredCert,
  makeMismatchedCert,
  makeTestPki,
  makeUnknownCaCert,
  type TestPki,
} from '../helpers/certs.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { BIN, ensureBuilt } from './build.js';

// Every TLS failure of the client, through the built binary against the embedded node's TLS control listener
// (certificates made per run): exactly one line on stderr naming the problem, exit status 4.
let dir: string;
let pki: TestPki;
const nodes: TestNode[] = [];

function meshctl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function tlsNode(cert: { certPem: string; keyPem: string }, extra: { requireclientcert?: boolean; skipreceptornamescheck?: boolean } = {}) {
  const n = await startTestNode({
    nodeId: 'server',
    tlsServer: { cert: cert.certPem, key: cert.keyPem, clientcas: pki.ca.certPem, skipreceptornamescheck: true, ...extra },
  });
  nodes.push(n);
  return n.tlsAddress!;
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'meshctl-e2e-tls-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'server' }, { name: 'client' }] });
}, 60_000);

afterAll(async () => {
  for (const n of nodes) await n.close();
  rmSync(dir, { recursive: true, force: true });
});

const ca = () => ['--rootcas', pki.ca.certPath];
const clientCert = () => ['--cert', pki.nodes.client!.certPath, '--key', pki.nodes.client!.keyPath];

function expectOneLine(r: { code: number | null; stderr: string; stdout: string }, code: number, line: string) {
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n').filter(Boolean)).toEqual([line]);
  expect(r.code).toBe(code);
}

describe('e2e tls', () => {
  test('e2e tls - mutual TLS status works', async () => {
    const addr = await tlsNode(pki.nodes.server!, { requireclientcert: true });
    const r = await meshctl(['-s', addr, ...ca(), ...clientCert(), 'status', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).NodeID).toBe('server');
  });

  test('e2e tls - unknown CA', async () => {
    const stranger = await makeUnknownCaCert(pki, { name: 'stranger' });
    const addr = await tlsNode(stranger);
    const r = await meshctl(['-s', addr, ...ca(), 'status']);
    expectOneLine(r, 4, `meshctl: tls: server certificate is signed by an unknown authority (${addr}) (hint: check --rootcas, --cert and --key)`);
  });

  test('e2e tls - expired server certificate', async () => {
    const old = await makeExpiredCert(pki, { name: 'old' });
    const addr = await tlsNode(old);
    const r = await meshctl(['-s', addr, ...ca(), 'status']);
    expectOneLine(r, 4, `meshctl: tls: server certificate has expired (${addr}) (hint: renew the certificate (meshctl cert signreq) and reload the node)`);
  });

  test('e2e tls - host name mismatch', async () => {
    const wrong = await makeMismatchedCert(pki, { name: 'wrong' });
    const addr = await tlsNode(wrong);
    const r = await meshctl(['-s', addr, ...ca(), 'status']);
    expectOneLine(
      r,
      4,
      `meshctl: tls: server certificate does not match the host name (${addr}) (hint: connect by a name the certificate lists, or pass --insecureskipverify to skip the host-name check)`,
    );
  });

  test('e2e tls - missing client certificate', async () => {
    const addr = await tlsNode(pki.nodes.server!, { requireclientcert: true });
    const r = await meshctl(['-s', addr, ...ca(), 'status']);
    expectOneLine(r, 4, `meshctl: tls: server requires a client certificate (pass --cert and --key) (${addr}) (hint: check --rootcas, --cert and --key)`);
  });

  test('e2e tls - key not matching the certificate', async () => {
    const addr = await tlsNode(pki.nodes.server!);
    const r = await meshctl(['-s', addr, ...ca(), '--cert', pki.nodes.client!.certPath, '--key', pki.nodes.server!.keyPath, 'status']);
    expectOneLine(r, 4, `meshctl: tls: the client key does not match the client certificate (${addr}) (hint: check --rootcas, --cert and --key)`);
  });

  test('e2e tls - encrypted key', async () => {
    const addr = await tlsNode(pki.nodes.server!);
    const enc = await makeEncryptedKey(pki.nodes.client!, 'secret');
    const r = await meshctl(['-s', addr, ...ca(), '--cert', pki.nodes.client!.certPath, '--key', enc.keyPath, 'status']);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/^meshctl: tls: the client key is encrypted \(meshctl needs an unencrypted key\)/);
  });

  test('e2e tls - TLS listener spoken to over tcp:// fails in seconds with a tls:// hint', async () => {
    const addr = await tlsNode(pki.nodes.server!);
    const started = Date.now();
    const r = await meshctl(['-s', addr.replace('tls://', 'tcp://'), 'status']);
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toContain('tls://');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('e2e tls - --config/--tls-client reads a Receptor tls-client entry', async () => {
    const addr = await tlsNode(pki.nodes.server!, { requireclientcert: true });
    const cfg = join(dir, 'client.yaml');
    writeFileSync(
      cfg,
      `---\n- tls-client:\n    name: mine\n    rootCAs: ${pki.ca.certPath}\n    Cert: ${pki.nodes.client!.certPath}\n    key: ${pki.nodes.client!.keyPath}\n`,
    );
    const r = await meshctl(['-s', addr, '--config', cfg, '--tls-client', 'mine', 'status', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const bad = await meshctl(['-s', addr, '--config', cfg, '--tls-client', 'nope', 'status']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`meshctl: no tls-client named 'nope' in '${cfg}' (hint: tls-client names there: 'mine')\n`);
  });
});
