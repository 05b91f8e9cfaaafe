// Remote work as Receptor does it (pkg/workceptor/remote_work.go): a submit for another node makes a local
// `remote` unit that drives a unit with the same id on that node through its control service, mirrors its
// state and downloads its output; cancel and release follow; links that drop are survived. Driven with the
// real ControlClient (src/client) on the controller's Unix socket, as meshctl and receptorctl do.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlClient } from '../../../src/client/control-client.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { startTestMesh, waitUntil, type TestMesh } from '../../helpers/mesh.js';
import { exchange, RawConn, waitForStatus } from './raw-client.js';

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

const TICKS = 150;
const tickerOutput = Array.from({ length: TICKS }, (_, i) => `line ${i}\n`).join('');

const EXECUTOR_WORK = [
  { worktype: 'cat', command: 'cat' },
  { worktype: 'echo', command: 'echo', allowruntimeparams: true },
  { worktype: 'sleep', command: 'sleep', allowruntimeparams: true },
  { worktype: 'big', command: 'head', params: `-c ${100 * 1024 * 1024} /dev/urandom` },
  // About 2 s of output, a line every 10 ms.
  { worktype: 'ticker', command: 'sh', params: `-c 'i=0; while [ $i -lt ${TICKS} ]; do echo "line $i"; i=$((i+1)); sleep 0.01; done'` },
];

describe('remote work through two hops', () => {
  let m: TestMesh;
  let client: ControlClient;
  let sock: string;
  beforeAll(async () => {
    m = await startTestMesh({
      nodes: [{ id: 'controller', workCommands: [{ worktype: 'cat', command: 'cat' }] }, 'hop', { id: 'executor', workCommands: EXECUTOR_WORK }],
      // The controller reaches the hop over a WebSocket link, the hop the executor over TCP.
      links: [{ from: 'controller', to: 'hop', via: 'ws' }, ['hop', 'executor']],
    });
    client = m.client('controller');
    sock = m.node('controller').socketPath;
  });
  afterAll(async () => {
    await m?.close();
  });

  const executorList = async (): Promise<Record<string, { State: number; WorkType: string; StdoutSize: number }>> => {
    const lines = await exchange(sock, 'connect executor control\nwork list\n');
    expect(lines.slice(0, 2)).toEqual(['Connecting', 'Receptor Control, node executor']);
    return JSON.parse(lines[2]!) as Record<string, { State: number; WorkType: string; StdoutSize: number }>;
  };

  it('remote work - a payload runs on the executor under the same unit id; status and results mirror it on the controller', async () => {
    const { result, unitid } = await client.workSubmit({ workType: 'cat', node: 'executor' }, 'remote payload\n');
    expect(result).toBe('Job Started');
    expect((await collect(client.followResults(unitid))).toString()).toBe('remote payload\n');
    const [line] = await exchange(sock, `work status ${unitid}\n`);
    expect(line).toBe(
      '{"Detail":"exit status 0","ExtraData":{"RemoteNode":"executor","RemoteWorkType":"cat","RemoteParams":{},' +
        `"RemoteUnitID":"${unitid}","RemoteStarted":true,"LocalCancelled":false,"LocalReleased":false,"SignWork":false,` +
        '"TLSClient":"","Expiration":"0001-01-01T00:00:00Z"},"State":2,"StateName":"Succeeded","StdoutSize":15,"WorkType":"remote"}',
    );
    const onExecutor = await executorList();
    expect(onExecutor[unitid]).toMatchObject({ State: 2, WorkType: 'cat', StdoutSize: 15 });
    // Runtime params travel as RemoteParams.
    const echo = await client.workSubmit({ workType: 'echo', node: 'executor', params: { params: 'hi there' } }, null);
    expect((await collect(client.followResults(echo.unitid))).toString()).toBe('hi there\n');
    expect((await client.workStatus(echo.unitid)).ExtraData).toMatchObject({ RemoteParams: { params: 'hi there' } });
  });

  it('remote work - 20 units submitted at once each come back with their own output', async () => {
    const payloads = Array.from({ length: 20 }, (_, i) => `payload ${i} `.repeat(1000 + i));
    const units = await Promise.all(payloads.map((p) => client.workSubmit({ workType: 'cat', node: 'executor' }, p)));
    const outputs = await Promise.all(units.map((u) => collect(client.followResults(u.unitid))));
    expect(outputs.map((o) => o.toString())).toEqual(payloads);
  });

  it('remote work - a 100 MiB result crosses two hops byte-exact while every node buffers little', async () => {
    const nodes = ['controller', 'hop', 'executor'].map((id) => m.node(id).node.mesh);
    let maxBuffered = 0;
    const sampler = setInterval(() => {
      for (const n of nodes) maxBuffered = Math.max(maxBuffered, n.stats().bufferedBytes);
    }, 10);
    try {
      const { unitid } = await client.workSubmit({ workType: 'big', node: 'executor' }, null);
      const h = createHash('sha256');
      let size = 0;
      for await (const chunk of client.followResults(unitid)) {
        h.update(chunk);
        size += chunk.length;
      }
      expect(size).toBe(100 * 1024 * 1024);
      const remoteStdout = path.join(m.node('executor').unitsDir, unitid, 'stdout');
      expect(h.digest('hex')).toBe(await fileSha256(remoteStdout));
      expect(await fileSha256(path.join(m.node('controller').unitsDir, unitid, 'stdout'))).toBe(await fileSha256(remoteStdout));
    } finally {
      clearInterval(sampler);
    }
    // One stream window per hop and direction (256 KiB) plus link buffers; far below the 100 MiB.
    expect(maxBuffered).toBeLessThan(4 * 1024 * 1024);
  });

  it('remote work - cancel of a running remote unit mirrors Canceled; release removes it on both nodes', async () => {
    const { unitid } = await client.workSubmit({ workType: 'sleep', node: 'executor', params: { params: '30' } }, null);
    const running = await waitForStatus(sock, unitid, (s) => s.State === 1);
    expect(running.Detail).toMatch(/^Running: PID \d+$/);
    expect(await client.workCancel(unitid)).toEqual({ cancelled: unitid });
    const canceled = await waitForStatus(sock, unitid, (s) => s.State === 4);
    expect(canceled).toMatchObject({ Detail: 'Canceled', StateName: 'Canceled', ExtraData: { LocalCancelled: true, LocalReleased: false } });
    expect((await executorList())[unitid]?.State).toBe(4);
    expect(await client.workRelease(unitid)).toEqual({ released: unitid });
    expect(await client.workList()).not.toHaveProperty(unitid);
    expect(await executorList()).not.toHaveProperty(unitid);
  });

  it('remote work - an unknown remote work type fails the submit with the remote error and leaves a Failed unit', async () => {
    const c = await RawConn.connect(sock);
    c.send('{"command":"work","subcommand":"submit","node":"executor","worktype":"nosuchtype"}\n');
    const created = await c.readLine();
    const id = /with ID (\w+)\./.exec(created)![1]!;
    c.end();
    expect(await c.readLine()).toBe('ERROR: could not parse response: ERROR: unknown work type nosuchtype');
    c.close();
    expect(await client.workStatus(id)).toMatchObject({
      State: 3,
      Detail: 'Error starting worker: could not parse response: ERROR: unknown work type nosuchtype',
      ExtraData: { RemoteNode: 'executor', RemoteWorkType: 'nosuchtype', RemoteUnitID: '', RemoteStarted: false },
    });
  });

  it('remote work - an unreachable node: Job Submitted, Pending until cancelled locally, then released', async () => {
    const { result, unitid } = await client.workSubmit({ workType: 'cat', node: 'nosuchnode' }, 'x');
    expect(result).toBe('Job Submitted');
    expect(await client.workStatus(unitid)).toMatchObject({ State: 0, Detail: 'Starting Worker', ExtraData: { RemoteNode: 'nosuchnode', RemoteStarted: false } });
    expect(await client.workCancel(unitid)).toEqual({ cancelled: unitid });
    expect(await client.workStatus(unitid)).toMatchObject({ State: 3, Detail: 'Locally Cancelled', ExtraData: { LocalCancelled: true } });
    expect(await client.workRelease(unitid)).toEqual({ released: unitid });
    expect(await client.workList()).not.toHaveProperty(unitid);
  });

  it('remote work - a ttl that runs out before the node is reached fails the unit: Work unit expired on ...', async () => {
    const { result, unitid } = await client.workSubmit({ workType: 'cat', node: 'nosuchnode', ttl: '300ms' }, null);
    expect(result).toBe('Job Submitted');
    const st = await client.workStatus(unitid);
    expect((st.ExtraData as { Expiration: string }).Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    const failed = await waitForStatus(sock, unitid, (s) => s.State === 3);
    expect(failed.Detail).toMatch(/^Work unit expired on (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{1,2} \d\d:\d\d:\d\d$/);
    await client.workRelease(unitid);
  });

  it('remote work - the controller resumes mirroring after the hop restarts mid-job, without losing or repeating a byte', async () => {
    const { unitid } = await client.workSubmit({ workType: 'ticker', node: 'executor' }, null);
    const follow = client.followResults(unitid);
    const parts: Buffer[] = [];
    let restarted: Promise<void> | undefined;
    for await (const chunk of follow) {
      parts.push(chunk);
      if (!restarted && Buffer.concat(parts).toString().includes('line 20\n')) {
        restarted = (async () => {
          await m.node('hop').stop();
          await waitUntil(() => !m.node('controller').node.mesh.reachable('executor'), 'executor unreachable');
          await m.node('hop').start();
        })();
      }
    }
    await restarted;
    expect(Buffer.concat(parts).toString()).toBe(tickerOutput);
    expect(follow.final).toMatchObject({ State: 2 });
    await m.converged();
  });

  it('remote work - cancel while the executor is unreachable answers cancel pending and is carried out once it is back', async () => {
    const { unitid } = await client.workSubmit({ workType: 'sleep', node: 'executor', params: { params: '30' } }, null);
    await waitForStatus(sock, unitid, (s) => s.State === 1);
    await m.node('hop').stop();
    await waitUntil(() => !m.node('controller').node.mesh.reachable('executor'), 'executor unreachable');
    expect(await client.workCancel(unitid)).toEqual({ 'cancel pending': unitid });
    await m.node('hop').start();
    const st = await waitForStatus(sock, unitid, (s) => s.State === 4, 15_000);
    expect(st.ExtraData).toMatchObject({ LocalCancelled: true });
    expect((await executorList())[unitid]?.State).toBe(4);
    await client.workRelease(unitid);
  });

  it('remote work - release while the executor is unreachable is pending until it returns; force-release forgets at once', async () => {
    const a = await client.workSubmit({ workType: 'sleep', node: 'executor', params: { params: '30' } }, null);
    const b = await client.workSubmit({ workType: 'sleep', node: 'executor', params: { params: '30' } }, null);
    await waitForStatus(sock, a.unitid, (s) => s.State === 1);
    await waitForStatus(sock, b.unitid, (s) => s.State === 1);
    await m.node('hop').stop();
    await waitUntil(() => !m.node('controller').node.mesh.reachable('executor'), 'executor unreachable');
    expect(await client.workRelease(a.unitid)).toEqual({ 'release pending': a.unitid });
    expect((await client.workStatus(a.unitid)).ExtraData).toMatchObject({ LocalCancelled: true, LocalReleased: true });
    expect(await client.workRelease(b.unitid, { force: true })).toEqual({ released: b.unitid });
    expect(await client.workList()).not.toHaveProperty(b.unitid);
    await m.node('hop').start();
    await waitUntil(async () => !(a.unitid in (await client.workList())), 'pending release carried out');
    const left = await executorList();
    expect(left).not.toHaveProperty(a.unitid);
    // The force-released unit was never told: it still runs on the executor.
    expect(left[b.unitid]?.State).toBe(1);
    await exchange(sock, `connect executor control\nwork release ${b.unitid}\n`);
  });

  it('remote work - a release left pending survives a controller restart and is carried out when the executor is back', async () => {
    const { unitid } = await client.workSubmit({ workType: 'sleep', node: 'executor', params: { params: '30' } }, null);
    await waitForStatus(sock, unitid, (s) => s.State === 1);
    await m.node('hop').stop();
    await waitUntil(() => !m.node('controller').node.mesh.reachable('executor'), 'executor unreachable');
    expect(await client.workRelease(unitid)).toEqual({ 'release pending': unitid });
    await client.close();
    await m.node('controller').stop();
    // The controller comes back to a reachable executor: the restart itself carries the release out.
    await m.node('hop').start();
    await m.node('controller').start();
    client = m.client('controller');
    await waitUntil(async () => !(unitid in (await client.workList())), 'release carried out after the restart');
    expect(await executorList()).not.toHaveProperty(unitid);
  });

  it('remote work - a restarted controller resumes its remote units and downloads the rest of the output', async () => {
    const { unitid } = await client.workSubmit({ workType: 'ticker', node: 'executor' }, null);
    await waitUntil(async () => (await client.workStatus(unitid)).StdoutSize > 0, 'first output mirrored');
    await client.close();
    await m.node('controller').restart();
    client = m.client('controller');
    await m.converged();
    expect((await collect(client.followResults(unitid))).toString()).toBe(tickerOutput);
    expect(await client.workStatus(unitid)).toMatchObject({ State: 2, StdoutSize: tickerOutput.length, ExtraData: { RemoteStarted: true } });
  });
});

describe('remote work over TLS, with secrets and signed work', () => {
  let dir: string;
  let pki: TestPki;
  let m: TestMesh;
  let client: ControlClient;
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-remote-tls-'));
    pki = await makeTestPki(dir, { nodes: ['controller', 'hop', 'executor'].map((name) => ({ name })) });
    const q = JSON.stringify;
    m = await startTestMesh({
      pki,
      nodes: [
        {
          id: 'controller',
          signingKey: privatePem,
          extraYaml: ['- tls-client:', '    name: ctl', `    cert: ${q(pki.nodes.controller!.certPath)}`, `    key: ${q(pki.nodes.controller!.keyPath)}`, `    rootcas: ${q(pki.ca.certPath)}`].join('\n'),
        },
        'hop',
        {
          id: 'executor',
          verificationKey: publicPem,
          workCommands: [
            { worktype: 'cat', command: 'cat' },
            { worktype: 'signedcat', command: 'cat', verifysignature: true },
          ],
          // The executor's control service takes TLS inside mesh streams, client certificate required.
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
      links: [{ from: 'controller', to: 'hop', via: 'tls' }, { from: 'hop', to: 'executor', via: 'tls' }],
    });
    client = m.client('controller');
  });
  afterAll(async () => {
    await m?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('remote work - secret_ parameters need a tlsclient; over TLS they reach the executor and are hidden in status', async () => {
    await expect(client.workSubmit({ workType: 'cat', node: 'executor', params: { secret_token: 's3cr3t' } }, 'x')).rejects.toThrow(
      'cannot send secrets over a non-TLS connection',
    );
    const { unitid } = await client.workSubmit({ workType: 'cat', node: 'executor', tlsClient: 'ctl', params: { secret_token: 's3cr3t', note: 'n' } }, 'over tls\n');
    expect((await collect(client.followResults(unitid))).toString()).toBe('over tls\n');
    const st = await client.workStatus(unitid);
    expect(st.ExtraData).toMatchObject({ TLSClient: 'ctl', RemoteParams: { note: 'n' } });
    expect(JSON.stringify(st)).not.toContain('s3cr3t');
    // Receptor keeps them in the unit's status file (0600) so a restarted node can still submit.
    expect(await readFile(path.join(m.node('controller').unitsDir, unitid, 'status'), 'utf8')).toContain('"secret_token":"s3cr3t"');
  });

  it('remote work - without a tlsclient the TLS control service is not reached and the unit fails, as in Receptor', async () => {
    const { result, unitid } = await client.workSubmit({ workType: 'cat', node: 'executor' }, 'x');
    expect(result).toBe('Job Submitted');
    // test/integration/node/tls-authz.test.ts pins the details (it stayed Pending forever).
    await waitUntil(async () => (await client.workStatus(unitid)).State === 3, 'the unit failing');
    expect((await client.workStatus(unitid)).Detail).toBe('TLS error connecting to remote service: CRYPTO_ERROR 0x12a (local): insecure connection to secure service');
    expect(await client.workRelease(unitid)).toEqual({ released: unitid });
  });

  it('remote work - signwork: the controller signs with its work-signing key and the executor verifies', async () => {
    const { unitid } = await client.workSubmit({ workType: 'signedcat', node: 'executor', tlsClient: 'ctl', signWork: true }, 'signed\n');
    expect((await collect(client.followResults(unitid))).toString()).toBe('signed\n');
    expect((await client.workStatus(unitid)).ExtraData).toMatchObject({ SignWork: true });
    await expect(client.workSubmit({ workType: 'signedcat', node: 'executor', tlsClient: 'ctl' }, 'unsigned\n')).rejects.toThrow(
      'could not parse response: ERROR: could not verify signature: signature is empty',
    );
  });
});
