// FollowStream.pipeTo / ResultsStream.pipeTo, the CLI's path to stdout (issue 13): chunks are pushed to a sink,
// and over Unix and TCP sockets they are views of one reused 1 MiB read buffer (src/transport/conn.ts). These
// tests pin that a sink holding a chunk (returning a promise) keeps its bytes intact until it settles, that
// resumes after cuts stay byte-exact on this path too, and that a failing sink is not mistaken for a lost stream.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { WorkState } from '../../../src/protocol/types.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { MiB, prng, sha256File, unitStdout, waitFor } from './support.js';

const SIZE = 4 * MiB;
const SEED = Number(process.env.MESHCTL_FAULT_SEED ?? 20261129);

let node: TestNode;
let direct: ControlClient;
let unitId: string;
let pkiDir: string;
let pki: TestPki;

beforeAll(async () => {
  pkiDir = mkdtempSync(path.join(tmpdir(), 'meshctl-pipe-to-'));
  pki = await makeTestPki(pkiDir, { nodes: [{ name: 'pipenode' }] });
  node = await startTestNode({
    nodeId: 'pipenode',
    tcp: true,
    tlsServer: { cert: pki.nodes.pipenode!.certPath, key: pki.nodes.pipenode!.keyPath },
    workCommands: [{ worktype: 'rand', command: 'head', params: `-c ${SIZE} /dev/urandom` }],
  });
  direct = new ControlClient({ address: node.socketPath });
  unitId = (await direct.workSubmit({ workType: 'rand' }, null)).unitid;
  await waitFor('the unit to finish', async () => ((await direct.workStatus(unitId)).State === WorkState.Succeeded ? true : undefined));
});

afterAll(async () => {
  if (unitId) await direct?.workRelease(unitId, { force: true }).catch(() => undefined);
  await direct?.close();
  await node?.close();
  if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
});

/**
 * A sink that hashes every chunk, and every third one only after a macrotask (returning a promise): were reading
 * to go on meanwhile, the reused read buffer would be overwritten under it and the hash would differ.
 */
function holdingSink() {
  const hash = createHash('sha256');
  let size = 0;
  let n = 0;
  let held = 0;
  const sink = (chunk: Buffer): void | Promise<void> => {
    size += chunk.length;
    if (++n % 3 !== 0) {
      hash.update(chunk);
      return;
    }
    held++;
    return new Promise<void>((resolve) => setTimeout(() => {
      hash.update(chunk);
      resolve();
    }, 1));
  };
  return { sink, digest: () => hash.digest('hex'), size: () => size, held: () => held };
}

describe('streaming - pipeTo', () => {
  it('pipeTo - over the Unix socket a sink that holds chunks gets every byte intact (reused read buffer pauses while held)', async () => {
    const client = new ControlClient({ address: node.socketPath });
    try {
      const s = holdingSink();
      const stream = client.followResults(unitId);
      await stream.pipeTo(s.sink);
      expect(s.held()).toBeGreaterThan(0);
      expect(s.size()).toBe(SIZE);
      expect(s.digest()).toBe(await sha256File(unitStdout(node, unitId)));
      expect(stream.reconnects).toBe(0);
      expect(stream.outcome?.end).toBe('complete');
      expect(stream.position).toBe(SIZE);
    } finally {
      await client.close();
    }
  });

  it('pipeTo - 40 cuts at random offsets over TCP give byte-identical output, resumed from the delivered offset', async () => {
    const rand = prng(SEED);
    const proxy = await startFaultProxy({ port: node.tcpPort! }, () => {
      if (proxy.cuts >= 40) return {};
      return { cutAfter: rand() < 0.1 ? 1 + Math.floor(rand() * 200) : 1 + Math.floor(rand() * ((2 * SIZE) / 40)) };
    });
    const client = new ControlClient({ address: proxy.address });
    try {
      const s = holdingSink();
      const stream = client.followResults(unitId, { reconnectTimeoutMs: 10_000 });
      await stream.pipeTo(s.sink);
      expect(proxy.cuts).toBeGreaterThanOrEqual(40);
      expect(stream.reconnects).toBeGreaterThanOrEqual(20);
      expect(s.size()).toBe(SIZE);
      expect(s.digest()).toBe(await sha256File(unitStdout(node, unitId)));
      expect(stream.final?.State).toBe(WorkState.Succeeded);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('pipeTo - over TLS the records batched for the sink arrive intact and in order, through a sink that holds chunks and 20 cuts', async () => {
    const rand = prng(SEED + 1);
    const proxy = await startFaultProxy({ port: node.tlsPort! }, () => {
      if (proxy.cuts >= 20) return {};
      return { cutAfter: 1 + Math.floor(rand() * ((2 * SIZE) / 20)) };
    });
    const client = new ControlClient({ address: `tls://127.0.0.1:${proxy.port}`, tls: { ca: pki.ca.certPem, servername: 'localhost' } });
    try {
      const s = holdingSink();
      const stream = client.followResults(unitId, { reconnectTimeoutMs: 10_000 });
      await stream.pipeTo(s.sink);
      expect(proxy.cuts).toBeGreaterThanOrEqual(20);
      expect(s.held()).toBeGreaterThan(0);
      expect(s.size()).toBe(SIZE);
      expect(s.digest()).toBe(await sha256File(unitStdout(node, unitId)));
      expect(stream.final?.State).toBe(WorkState.Succeeded);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('pipeTo - a sink that fails stops following with its error, without a reconnect (was: taken for a lost stream)', async () => {
    const client = new ControlClient({ address: node.socketPath });
    try {
      const boom = new Error('sink closed');
      let calls = 0;
      const stream = client.followResults(unitId, { reconnectTimeoutMs: 10_000 });
      await expect(
        stream.pipeTo(() => {
          if (++calls === 2) throw boom;
        }),
      ).rejects.toBe(boom);
      expect(stream.reconnects).toBe(0);
      expect(stream.outcome?.end).toBe('stopped');
      // A rejected promise from the sink is the same failure.
      const again = client.followResults(unitId, { reconnectTimeoutMs: 10_000 });
      await expect(again.pipeTo(() => Promise.reject(boom))).rejects.toBe(boom);
      expect(again.reconnects).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('pipeTo - ResultsStream.pipeTo counts what it handed over and resumes from a start offset', async () => {
    const client = new ControlClient({ address: node.socketPath });
    try {
      const start = 1_000_003;
      const parts: Buffer[] = [];
      const stream = client.workResults(unitId, { startPos: start });
      await stream.pipeTo((c) => void parts.push(Buffer.from(c)));
      const got = Buffer.concat(parts);
      expect(stream.position).toBe(SIZE);
      const { readFileSync } = await import('node:fs');
      expect(got.equals(readFileSync(unitStdout(node, unitId)).subarray(start))).toBe(true);
    } finally {
      await client.close();
    }
  });
});
