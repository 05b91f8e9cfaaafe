// Certificates against the real receptor binary: what receptor's --cert-* commands write is readable by
// us, what we write is accepted by receptor (its signer, its tls-server node-ID check, a mutual-TLS
// control service).
//
// Part of the interop suite: like every interop test it fails (never skips) when the peers are missing.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requirePeers } from '../helpers/receptor.js';
import { createRequest, inspect, nodeIdsFromCertificate, signRequest } from '../../src/certs/index.js';
import { issueTestCert, makeTestPki, makeUnknownCaCert, type TestPki } from '../helpers/certs.js';

const execFileAsync = promisify(execFile);

const receptor = requirePeers().receptor;

async function runReceptor(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(receptor, args, { timeout: 20_000 });
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startReceptor(configPath: string): Running {
  const child = spawn(receptor, ['--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function stopReceptor(r: Running): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) {
    r.child.kill('SIGTERM');
    const timer = setTimeout(() => r.child.kill('SIGKILL'), 5000);
    await r.exited;
    clearTimeout(timer);
  }
}

/** Connects with mutual TLS and reads the first line (the control service greeting). */
function tlsGreeting(port: number, files: { ca: string; cert: string; key: string }): Promise<{ line?: string; peerNodeIds?: string[]; error?: string }> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port, ca: files.ca, cert: files.cert, key: files.key, servername: 'localhost' });
    let buf = '';
    let peerNodeIds: string[] | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ error: 'timeout' });
    }, 10_000);
    sock.on('secureConnect', () => {
      peerNodeIds = nodeIdsFromCertificate(sock.getPeerX509Certificate()!.raw);
    });
    sock.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.destroy();
        resolve({ line: buf.slice(0, nl), peerNodeIds });
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ error: err.code ?? err.message });
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ error: 'closed' });
    });
  });
}

async function waitForPort(port: number, r: Running): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (r.child.exitCode !== null) throw new Error(`receptor exited: ${r.output()}`);
    // A plain TCP connect (never a bind, which could steal the port from receptor).
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`receptor did not listen on ${port}: ${r.output()}`);
}

describe('receptor certs', () => {
  let dir: string;
  let pki: TestPki;
  const p = (name: string): string => join(dir, name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshctl-rcerts-'));
    pki = await makeTestPki(dir, { nodes: [{ name: 'node1' }, { name: 'client', nodeIds: ['client'] }] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("receptor certs - inspect reads receptor's --cert-init, --cert-makereq and --cert-signreq output", async () => {
    await runReceptor('--cert-init', 'commonname=Receptor CA', 'bits=2048', `outcert=${p('r-ca.crt')}`, `outkey=${p('r-ca.key')}`);
    await runReceptor(
      '--cert-makereq', 'bits=2048', 'commonname=rnode', 'dnsname=localhost', 'dnsname=rnode.example.com',
      'ipaddress=127.0.0.1', 'ipaddress=::1', 'nodeid=rnode', `outreq=${p('r.csr')}`, `outkey=${p('r.key')}`,
    );
    await runReceptor('--cert-signreq', `req=${p('r.csr')}`, `cacert=${p('r-ca.crt')}`, `cakey=${p('r-ca.key')}`, `outcert=${p('r.crt')}`, 'verify=yes');

    const caInfo = await inspect(await readFile(p('r-ca.crt'), 'utf8'));
    expect(caInfo).toMatchObject({ subject: 'CN=Receptor CA', isCa: true, selfSigned: true, keyUsage: ['digitalSignature', 'keyCertSign'] });
    const names = { dnsNames: ['localhost', 'rnode.example.com'], ipAddresses: ['127.0.0.1', '::1'], nodeIds: ['rnode'] };
    const reqInfo = await inspect(await readFile(p('r.csr'), 'utf8'));
    expect(reqInfo).toMatchObject({ kind: 'request', subject: 'CN=rnode', signatureValid: true, signatureAlgorithm: 'SHA256-RSA', ...names });
    const certPem = await readFile(p('r.crt'), 'utf8');
    expect(await inspect(certPem)).toMatchObject({ kind: 'certificate', issuer: 'CN=Receptor CA', isCa: false, ...names });
    expect(nodeIdsFromCertificate(certPem)).toEqual(['rnode']);
  });

  it("receptor certs - we sign a receptor-made request with receptor's CA, and openssl verifies it", async () => {
    const signed = await signRequest({
      csrPem: await readFile(p('r.csr'), 'utf8'),
      caCertPem: await readFile(p('r-ca.crt'), 'utf8'),
      caKeyPem: await readFile(p('r-ca.key'), 'utf8'),
    });
    writeFileSync(p('r-by-us.crt'), signed.certPem);
    await execFileAsync('openssl', ['verify', '-CAfile', p('r-ca.crt'), p('r-by-us.crt')]);
    expect(nodeIdsFromCertificate(signed.certPem)).toEqual(['rnode']);
  });

  it('receptor certs - receptor --cert-signreq signs a request we made and keeps our node IDs', async () => {
    const req = await createRequest({ commonName: 'ours', dnsNames: ['localhost'], ipAddresses: ['::ffff:127.0.0.1'], nodeIds: ['ours', 'ours-2'], bits: 2048 });
    writeFileSync(p('ours.csr'), req.csrPem);
    await runReceptor('--cert-signreq', `req=${p('ours.csr')}`, `cacert=${pki.ca.certPath}`, `cakey=${pki.ca.keyPath}`, `outcert=${p('ours.crt')}`, 'verify=yes');
    const info = await inspect(await readFile(p('ours.crt'), 'utf8'));
    expect(info).toMatchObject({ issuer: 'CN=meshctl test CA', nodeIds: ['ours', 'ours-2'], dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    await execFileAsync('openssl', ['verify', '-CAfile', pki.ca.certPath, p('ours.crt')]);
  });

  it('receptor certs - receptor refuses a tls-server certificate without its node ID and lists the IDs it read', async () => {
    const wrong = await issueTestCert(pki, { name: 'wrong-ids', nodeIds: ['other-a', 'other-b'] });
    const config = p('wrong.yaml');
    writeFileSync(
      config,
      [
        '- node:',
        '    id: node1',
        `    datadir: ${p('data-wrong')}`,
        '- local-only:',
        '- tls-server:',
        '    name: ctl-tls',
        `    cert: ${wrong.certPath}`,
        `    key: ${wrong.keyPath}`,
        '- control-service:',
        '    service: control',
        `    tcplisten: 127.0.0.1:${await freePort()}`,
        '    tcptls: ctl-tls',
        '',
      ].join('\n'),
    );
    const r = startReceptor(config);
    try {
      const code = await r.exited;
      expect(code).not.toBe(0);
      expect(r.output()).toContain('nodeID=node1 not found in certificate name(s); names found=[other-a other-b]');
    } finally {
      await stopReceptor(r);
    }
  });

  it('receptor certs - receptor serves a mutual-TLS control service with our certificates', async () => {
    const port = await freePort();
    const config = p('ok.yaml');
    writeFileSync(
      config,
      [
        '- node:',
        '    id: node1',
        `    datadir: ${p('data-ok')}`,
        '- local-only:',
        '- tls-server:',
        '    name: ctl-tls',
        `    cert: ${pki.nodes.node1!.certPath}`,
        `    key: ${pki.nodes.node1!.keyPath}`,
        '    requireclientcert: true',
        `    clientcas: ${pki.ca.certPath}`,
        '- control-service:',
        '    service: control',
        `    tcplisten: 127.0.0.1:${port}`,
        '    tcptls: ctl-tls',
        '',
      ].join('\n'),
    );
    const r = startReceptor(config);
    try {
      await waitForPort(port, r);
      const client = pki.nodes.client!;
      const ok = await tlsGreeting(port, { ca: pki.ca.certPem, cert: client.certPem, key: client.keyPem });
      expect(ok).toEqual({ line: 'Receptor Control, node node1', peerNodeIds: ['node1'] });

      // A client certificate from a CA the node does not trust gets no greeting.
      const stranger = await makeUnknownCaCert(pki, { name: 'stranger' });
      const refused = await tlsGreeting(port, { ca: pki.ca.certPem, cert: stranger.certPem, key: stranger.keyPem });
      expect(refused.line).toBeUndefined();
      expect(refused.error).toBeDefined();
    } finally {
      await stopReceptor(r);
    }
  });
});
