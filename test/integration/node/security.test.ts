// Work signatures (RS512 JWTs, checked over TCP/TLS, skipped on the Unix socket) and the TLS control
// listener (tcptls) with per-run certificates. Error texts were checked against receptor 1.6.5, which
// also accepts tokens made by signWorkToken.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshctlError } from '../../../src/errors.js';
import { signWorkToken } from '../../../src/node/work/signing.js';
import { makeEncryptedKey, makeTestPki, type TestPki } from '../../helpers/certs.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { exchange, RawConn, waitForStatus } from './raw-client.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

describe('work signing', () => {
  let n: TestNode;
  beforeAll(async () => {
    n = await startTestNode({
      nodeId: 'signer',
      tcp: true,
      verificationKey: publicPem,
      signingKey: privatePem,
      workCommands: [
        { worktype: 'secure', command: 'cat', verifysignature: true },
        { worktype: 'plain', command: 'cat' },
      ],
    });
  });
  afterAll(async () => {
    await n.close();
  });

  const submitLine = (sig?: string, worktype = 'secure'): string =>
    JSON.stringify({ command: 'work', subcommand: 'submit', node: 'localhost', worktype, ...(sig === undefined ? {} : { signature: sig }) }) + '\n';

  it('signing - advertises the secure work type', async () => {
    const [line] = await exchange(n.socketPath, '{"command":"status","requested_fields":["Advertisements"]}\n');
    expect(line).toContain('"WorkCommands":[{"WorkType":"secure","Secure":true},{"WorkType":"plain","Secure":false}]');
  });

  it('signing - TCP submits need a valid token for the node', async () => {
    const good = signWorkToken(privatePem, 'signer');
    const lines = await Promise.all([
      exchange(n.tcpAddress!, submitLine()),
      exchange(n.tcpAddress!, submitLine(signWorkToken(privatePem, 'someone-else'))),
      exchange(n.tcpAddress!, submitLine(signWorkToken(privatePem, 'signer', { expiresInMs: -61_000 }))),
      exchange(n.tcpAddress!, submitLine('abc')),
      exchange(n.tcpAddress!, submitLine(signWorkToken(otherKey, 'signer'))),
      exchange(n.tcpAddress!, submitLine(good, 'plain')),
    ]);
    expect(lines[0]).toEqual(['ERROR: could not verify signature: signature is empty']);
    expect(lines[1]).toEqual(['ERROR: token audience did not match node ID']);
    expect(lines[2]![0]).toMatch(/^ERROR: could not verify signature: token is expired by 1m[\d.]+s$/);
    expect(lines[3]).toEqual(['ERROR: could not verify signature: token contains an invalid number of segments']);
    expect(lines[4]).toEqual(['ERROR: could not verify signature: crypto/rsa: verification error']);
    expect(lines[5]).toEqual(['ERROR: work type did not expect a signature']);

    const c = await RawConn.connect(n.tcpAddress!);
    c.send(submitLine(good));
    const created = await c.readLine();
    const id = /with ID (\S+)\./.exec(created)![1]!;
    c.send('signed payload\n');
    c.end();
    expect(await c.readLine()).toBe(`{"result":"Job Started","unitid":"${id}"}`);
    c.close();
    await waitForStatus(n.socketPath, id, (s) => s.State === 2);
    // results and cancel of a secure unit over TCP need the token too; status does not.
    expect(await exchange(n.tcpAddress!, `work results ${id}\n`)).toEqual(['ERROR: could not verify signature: signature is empty']);
    expect(await exchange(n.tcpAddress!, `work cancel ${id}\n`)).toEqual(['ERROR: could not verify signature: signature is empty']);
    expect((await exchange(n.tcpAddress!, `work status ${id}\n`))[0]).toMatch(/"State":2/);
    expect(
      await exchange(n.tcpAddress!, JSON.stringify({ command: 'work', subcommand: 'results', unitid: id, startpos: 0, signature: good }) + '\n'),
    ).toEqual([`Streaming results for work unit ${id}`, 'signed payload']);
  });

  it('signing - the Unix socket skips the check', async () => {
    const c = await RawConn.connect(n.socketPath);
    c.send(submitLine());
    expect(await c.readLine()).toMatch(/^Work unit created with ID /);
    c.end();
    expect(await c.readLine()).toMatch(/"result":"Job Started"/);
    c.close();
  });
});

describe('TLS control listener', () => {
  let dir: string;
  let pki: TestPki;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-node-tls-'));
    pki = await makeTestPki(dir, { nodes: [{ name: 'tlsnode' }, { name: 'client', nodeIds: [] }, { name: 'other' }] });
  }, 30_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tls - serves the protocol over TLS and requires client certificates when asked', async () => {
    const n = await startTestNode({
      nodeId: 'tlsnode',
      workCommands: [{ worktype: 'cat', command: 'cat' }],
      tlsServer: {
        cert: pki.nodes.tlsnode!.certPath,
        key: pki.nodes.tlsnode!.keyPath,
        clientcas: pki.ca.certPath,
        requireclientcert: true,
      },
    });
    try {
      expect(n.tlsAddress).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
      const lines = await exchange(n.tlsAddress!, '{"command":"status","requested_fields":["NodeID"]}\n', {
        ca: pki.ca.certPem,
        cert: pki.nodes.client!.certPem,
        key: pki.nodes.client!.keyPem,
        servername: 'localhost',
      });
      expect(lines).toEqual(['{"NodeID":"tlsnode"}']);
      // A submit over TLS: the payload ends with the client's half-close (close_notify + FIN), and the final
      // line still comes back.
      const sub = await RawConn.connect(n.tlsAddress!, {
        ca: pki.ca.certPem,
        cert: pki.nodes.client!.certPem,
        key: pki.nodes.client!.keyPem,
        servername: 'localhost',
      });
      sub.send('work submit localhost cat\n');
      const id = /with ID (\S+)\./.exec(await sub.readLine())![1]!;
      sub.send('over tls\n');
      sub.end();
      expect(await sub.readLine()).toBe(`{"result":"Job Started","unitid":"${id}"}`);
      sub.close();
      await waitForStatus(n.socketPath, id, (s) => s.State === 2);
      expect(await exchange(n.socketPath, `work results ${id}\n`)).toEqual([`Streaming results for work unit ${id}`, 'over tls']);
      // No client certificate: the handshake is refused.
      await expect(
        (async () => {
          const c = await RawConn.open(n.tlsAddress!, { ca: pki.ca.certPem, servername: 'localhost' });
          await c.readLine(5000);
        })(),
      ).rejects.toThrow();
      // TLS 1.2 is refused when mintls13 is on (Receptor's default), accepted here where it is off.
      const c12 = await RawConn.connect(n.tlsAddress!, {
        ca: pki.ca.certPem,
        cert: pki.nodes.client!.certPem,
        key: pki.nodes.client!.keyPem,
        servername: 'localhost',
        maxVersion: 'TLSv1.2',
      });
      c12.close();
    } finally {
      await n.close();
    }
  });

  it('tls - 24 MiB of random results arrive byte-exact over TLS', async () => {
    const size = 24 * 1024 * 1024;
    const n = await startTestNode({
      nodeId: 'tlsnode',
      workCommands: [{ worktype: 'rand', command: 'head', params: `-c ${size} /dev/urandom` }],
      tlsServer: { cert: pki.nodes.tlsnode!.certPath, key: pki.nodes.tlsnode!.keyPath },
    });
    try {
      const sub = await RawConn.connect(n.socketPath);
      sub.send('work submit localhost rand\n');
      const id = /with ID (\S+)\./.exec(await sub.readLine())![1]!;
      sub.end();
      await sub.readLine();
      sub.close();
      await waitForStatus(n.socketPath, id, (st) => st.State === 2);
      const c = await RawConn.connect(n.tlsAddress!, { ca: pki.ca.certPem, servername: 'localhost' });
      c.send(`work results ${id}\n`);
      c.end();
      const all = await c.readToEnd(30_000);
      c.close();
      const header = `Streaming results for work unit ${id}\n`;
      expect(all.subarray(0, header.length).toString()).toBe(header);
      expect(all.length - header.length).toBe(size);
      const onDisk = await readFile(path.join(n.dataDir, 'tlsnode', id, 'stdout'));
      expect(createHash('sha256').update(all.subarray(header.length)).digest('hex')).toBe(createHash('sha256').update(onDisk).digest('hex'));
    } finally {
      await n.close();
    }
  });

  it('tls - a certificate without the node ID is refused at start unless skipreceptornamescheck', async () => {
    const err = await startTestNode({
      nodeId: 'tlsnode',
      tlsServer: { cert: pki.nodes.other!.certPath, key: pki.nodes.other!.keyPath },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshctlError);
    expect((err as MeshctlError).code).toBe('EBADCONFIG');
    expect((err as MeshctlError).message).toBe(
      `error preparing tls server config: nodeID=tlsnode not found in certificate name(s); names found=[other]; cfg section=testtls; server cert=${pki.nodes.other!.certPath}`,
    );
    const n = await startTestNode({
      nodeId: 'tlsnode',
      tlsServer: { cert: pki.nodes.other!.certPath, key: pki.nodes.other!.keyPath, skipreceptornamescheck: true, mintls13: true },
    });
    try {
      await expect(
        RawConn.connect(n.tlsAddress!, { ca: pki.ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2' }),
      ).rejects.toThrow();
      const lines = await exchange(n.tlsAddress!, 'ping localhost\n', { ca: pki.ca.certPem, servername: 'localhost' });
      expect(JSON.parse(lines[0]!)).toMatchObject({ Success: true, From: 'tlsnode' });
    } finally {
      await n.close();
    }
  });
  it('tls - an encrypted tls-server key is refused at start, naming the file', async () => {
    for (const format of ['pkcs1', 'pkcs8'] as const) {
      const enc = await makeEncryptedKey(pki.nodes.other!, 'pw', format);
      const err = await startTestNode({
        nodeId: 'tlsnode',
        tlsServer: { cert: pki.nodes.other!.certPath, key: enc.keyPath, skipreceptornamescheck: true },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MeshctlError);
      expect((err as MeshctlError).code).toBe('EBADCONFIG');
      expect((err as MeshctlError).message).toBe(`tls-server 'testtls': key '${enc.keyPath}' is encrypted`);
      expect((err as MeshctlError).hint).toMatch(/^decrypt it first/);
    }
  });
});
