// Scenario 5: certificates made by receptor's own --cert-init / --cert-makereq / --cert-signreq work with
// meshctl's TLS options (--rootcas/--cert/--key, and --config + --tls-client like receptorctl) against a
// receptor whose TLS control listener requires client certificates.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { requirePeers, runMeshctl, runProgram, runReceptorctl, startReceptor, type RunningReceptor } from '../helpers/receptor.js';

describe('receptor-made certificates', () => {
  let dir: string;
  let node: RunningReceptor;
  const f = (name: string) => join(dir, name);

  async function receptor(...args: string[]): Promise<void> {
    const r = await runProgram(requirePeers().receptor, args, { timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`receptor ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}${r.stdout}`);
  }

  beforeAll(async () => {
    requirePeers();
    dir = await mkdtemp(join(tmpdir(), 'interop-rcerts-'));
    await receptor('--cert-init', 'commonname=Interop CA', 'bits=2048', `outcert=${f('ca.crt')}`, `outkey=${f('ca.key')}`);
    for (const name of ['certnode', 'client']) {
      await receptor(
        '--cert-makereq',
        'bits=2048',
        `commonname=${name}`,
        'dnsname=localhost',
        'ipaddress=127.0.0.1',
        `nodeid=${name}`,
        `outreq=${f(`${name}.csr`)}`,
        `outkey=${f(`${name}.key`)}`,
      );
      await receptor('--cert-signreq', `req=${f(`${name}.csr`)}`, `cacert=${f('ca.crt')}`, `cakey=${f('ca.key')}`, `outcert=${f(`${name}.crt`)}`, 'verify=yes');
    }
    node = await startReceptor({
      nodeId: 'certnode',
      controlTls: { tlsServer: 'ctltls' },
      extraItems: [
        { 'tls-server': { name: 'ctltls', cert: f('certnode.crt'), key: f('certnode.key'), requireclientcert: true, clientcas: f('ca.crt') } },
      ],
    });
    // A receptor-style config holding the client side, for --config/--tls-client.
    await writeFile(
      f('client.yml'),
      stringify([{ 'tls-client': { name: 'ctlclient', rootcas: f('ca.crt'), cert: f('client.crt'), key: f('client.key') } }]),
    );
  });
  afterAll(async () => {
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const address = () => `tls://127.0.0.1:${node.tlsPort}`;

  it('receptor-made certificates - meshctl --rootcas/--cert/--key reaches the mutual-TLS control listener', async () => {
    const r = await runMeshctl(['-s', address(), '--rootcas', f('ca.crt'), '--cert', f('client.crt'), '--key', f('client.key'), 'status', '--json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.toString()).NodeID).toBe('certnode');
  });

  it('receptor-made certificates - meshctl --config/--tls-client reads the same files as receptorctl does', async () => {
    const m = await runMeshctl(['-s', address(), '--config', f('client.yml'), '--tls-client', 'ctlclient', 'ping', 'localhost', '--count', '1', '--json']);
    const r = await runReceptorctl(['--socket', address(), '--config', f('client.yml'), '--tls-client', 'ctlclient', 'ping', '--count', '1', 'localhost']);
    expect([m.exitCode, r.exitCode]).toEqual([0, 0]);
    expect(JSON.parse(m.stdout.toString())[0]).toMatchObject({ From: 'certnode', Success: true });
    expect(r.stdout.toString()).toMatch(/^Reply from certnode in /);
  });

  it('receptor-made certificates - without a client certificate both meshctl and receptorctl fail', async () => {
    const m = await runMeshctl(['-s', address(), '--rootcas', f('ca.crt'), '--timeout', '5s', 'status']);
    const r = await runReceptorctl(['--socket', address(), '--rootcas', f('ca.crt'), 'status']);
    expect(m.exitCode).not.toBe(0);
    expect(r.exitCode).not.toBe(0);
  });

  it('receptor-made certificates - an untrusted CA is refused by meshctl before any command', async () => {
    const m = await runMeshctl(['-s', address(), '--rootcas', f('client.crt'), '--cert', f('client.crt'), '--key', f('client.key'), 'status']);
    expect(m.exitCode).not.toBe(0);
    expect(m.stdout.toString()).toBe('');
    expect(m.stderr.toLowerCase()).toMatch(/certificate|tls/);
  });
});
