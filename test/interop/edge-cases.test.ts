// Scenario 3: edge cases of meshctl (CLI and ControlClient) against the real receptor: malformed JSON (two
// ERROR lines for one request), unknown commands and units, results from beyond the end, --ttl on local
// work, a payload of several hundred MiB, a failing unit, and work types that require a signature over TCP.
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/control-client.js';
import { meshctlBin, requirePeers, runMeshctl, runReceptorctl, startReceptor, type RunningReceptor } from '../helpers/receptor.js';
import { waitForState } from './support/raw.js';

/** A work-signing token as Receptor expects it: RS512 JWT with aud = [node id] and exp (pkg/workceptor/workceptor.go). */
function signature(privateKeyPem: string, nodeId: string): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signed = `${part({ alg: 'RS512', typ: 'JWT' })}.${part({ aud: [nodeId], exp: Math.floor(Date.now() / 1000) + 300 })}`;
  return `${signed}.${sign('sha512', Buffer.from(signed), privateKeyPem).toString('base64url')}`;
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe('receptor edge cases', () => {
  let dir: string;
  let node: RunningReceptor;
  let privateKey: string;
  const clients: ControlClient[] = [];
  const client = (address: string) => {
    const c = new ControlClient({ address });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    requirePeers();
    dir = await mkdtemp(join(tmpdir(), 'interop-edge-'));
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    privateKey = keys.privateKey;
    await writeFile(join(dir, 'verify.pub'), keys.publicKey);
    node = await startReceptor({
      nodeId: 'edge',
      extraItems: [{ 'work-verification': { publickey: join(dir, 'verify.pub') } }],
      workCommands: [
        { worktype: 'cat', command: 'cat' },
        { worktype: 'fail', command: 'sh', params: '-c "echo failing; exit 3"' },
        { worktype: 'signedcat', command: 'cat', verifysignature: true },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('receptor edge cases - a malformed JSON line is one error and the session stays in step', async () => {
    const c = client(node.socketPath);
    await expect(c.command('{nope')).rejects.toThrow(/invalid character 'n' looking for beginning of object key string/);
    await expect(c.command('{"x":1}')).rejects.toThrow(/JSON did not contain a command/);
    await expect(c.command('{"command":1}')).rejects.toThrow(/command must be a string/);
    // The second ERROR line of each was consumed: the next reply belongs to the next request.
    expect(await c.ping('localhost')).toMatchObject({ From: 'edge', Success: true });
    expect((await c.status()).NodeID).toBe('edge');
  });

  it('receptor edge cases - an unknown command is a server error and the session goes on', async () => {
    const c = client(`tcp://127.0.0.1:${node.tcpPort}`);
    await expect(c.command('foo bar')).rejects.toThrow('Unknown command, foo');
    await expect(c.command({ command: 'STATUS' })).rejects.toThrow('Unknown command, STATUS');
    expect(await c.command('STATUS')).toMatchObject({ NodeID: 'edge' });
  });

  it('receptor edge cases - unknown units fail in meshctl with the server message, as in receptorctl', async () => {
    for (const args of [['work', 'status', 'nosuchunit'], ['work', 'results', 'nosuchunit'], ['work', 'cancel', 'nosuchunit'], ['work', 'release', 'nosuchunit']]) {
      const r = await runMeshctl(['-s', node.socketPath, ...args]);
      expect({ args, exit: r.exitCode === 0 ? 0 : 'failed', says: r.stderr.includes('unknown work unit nosuchunit') }).toEqual({
        args,
        exit: 'failed',
        says: true,
      });
    }
  });

  it('receptor edge cases - results from a start position at or beyond the end are empty; inside they are the tail', async () => {
    const c = client(node.socketPath);
    const sub = await c.workSubmit({ workType: 'cat' }, 'hello world\n');
    await waitForState(node.socketPath, sub.unitid, [2]);
    expect(await collect(c.workResults(sub.unitid, { startPos: 100_000 }))).toEqual(Buffer.alloc(0));
    expect(await collect(c.workResults(sub.unitid, { startPos: 12 }))).toEqual(Buffer.alloc(0));
    expect((await collect(c.workResults(sub.unitid, { startPos: 6 }))).toString()).toBe('world\n');
    await c.workRelease(sub.unitid);
  });

  it('receptor edge cases - --ttl on local work is refused by the node and no unit is left', async () => {
    const before = await runReceptorctl(['--socket', node.socketPath, 'work', 'list', '-q']);
    const r = await runMeshctl(['-s', node.socketPath, 'work', 'submit', 'cat', '-n', '--ttl', '10m']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('ttl option is intended for remote work only');
    const after = await runReceptorctl(['--socket', node.socketPath, 'work', 'list', '-q']);
    expect(after.stdout.toString()).toBe(before.stdout.toString());
  });

  it('receptor edge cases - a 300 MiB payload comes back with the same sha256 (meshctl submit -p FILE -f --rm)', async () => {
    const file = join(dir, 'big.bin');
    const hash = createHash('sha256');
    const out = createWriteStream(file);
    for (let i = 0; i < 300; i++) {
      const block = randomBytes(1024 * 1024);
      hash.update(block);
      if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const expected = hash.digest('hex');
    // Hash stdout as it streams instead of buffering 300 MiB in the test process.
    const child = spawn(process.execPath, [meshctlBin(), '-s', node.socketPath, 'work', 'submit', 'cat', '-p', file, '-f', '--rm'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const got = createHash('sha256');
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      got.update(d);
      bytes += d.length;
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect({ code, bytes, sha: got.digest('hex'), stderr: stderr.includes('ERROR') || stderr.includes('error') }).toEqual({
      code: 0,
      bytes: 300 * 1024 * 1024,
      sha: expected,
      stderr: false,
    });
    await rm(file);
  });

  it('receptor edge cases - a failing unit: meshctl exits non-zero and work status shows exit status 3', async () => {
    const r = await runMeshctl(['-s', node.socketPath, 'work', 'submit', 'fail', '-n', '-f']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout.toString()).toBe('failing\n');
    expect(r.stderr).toContain('exit status 3');
    const list = JSON.parse((await runMeshctl(['-s', node.socketPath, 'work', 'list', '--json'])).stdout.toString()) as Record<string, any>;
    const failed = Object.entries(list).find(([, st]) => st.WorkType === 'fail');
    expect(failed?.[1]).toMatchObject({ State: 3, StateName: 'Failed', Detail: 'exit status 3', StdoutSize: 8, ExtraData: null });
    const st = await runMeshctl(['-s', node.socketPath, 'work', 'status', failed![0], '--json']);
    expect(JSON.parse(st.stdout.toString())).toEqual(failed![1]);
    await runMeshctl(['-s', node.socketPath, 'work', 'release', failed![0]]);
  });

  it('receptor edge cases - a verifysignature work type needs no signature on the Unix socket', async () => {
    const r = await runMeshctl(['-s', node.socketPath, 'work', 'submit', 'signedcat', '-l', 'unix', '-f', '--rm']);
    expect([r.exitCode, r.stdout.toString()]).toEqual([0, 'unix\n']);
  });

  it('receptor edge cases - over TCP a verifysignature work type refuses unsigned requests, in meshctl and receptorctl', async () => {
    const tcp = `tcp://127.0.0.1:${node.tcpPort}`;
    const m = await runMeshctl(['-s', tcp, 'work', 'submit', 'signedcat', '-n']);
    const r = await runReceptorctl(['--socket', tcp, 'work', 'submit', 'signedcat', '-n']);
    expect(m.exitCode).not.toBe(0);
    expect(r.exitCode).toBe(101);
    expect(r.stderr).toBe('ERROR: Failed to start work unit: could not verify signature: signature is empty\n');
    expect(m.stderr).toContain('could not verify signature: signature is empty');
  });

  it('receptor edge cases - over TCP a client-made RS512 signature is accepted for submit, results and release', async () => {
    const c = client(`tcp://127.0.0.1:${node.tcpPort}`);
    const sig = () => signature(privateKey, 'edge');
    await expect(c.workSubmit({ workType: 'signedcat', signature: signature(privateKey, 'other') }, 'x')).rejects.toThrow(
      'token audience did not match node ID',
    );
    const sub = await c.workSubmit({ workType: 'signedcat', signature: sig() }, 'signed payload\n');
    await waitForState(node.socketPath, sub.unitid, [2]);
    await expect(collect(c.workResults(sub.unitid))).rejects.toThrow('could not verify signature: signature is empty');
    expect((await collect(c.workResults(sub.unitid, { signature: sig() }))).toString()).toBe('signed payload\n');
    await expect(c.workRelease(sub.unitid)).rejects.toThrow('could not verify signature');
    expect(await c.workRelease(sub.unitid, { signature: sig() })).toBeDefined();
    await waitForState(node.socketPath, sub.unitid, ['gone']);
  });
});
