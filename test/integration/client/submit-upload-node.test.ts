// An upload the client stops never becomes a unit that runs, against the embedded node (issue 10: a submit reset
// after 10 payload bytes ran the unit on the partial payload; 17 of 20 units ended Succeeded; Ctrl-C during
// `meshctl work submit -p -` ran it on 35 of 100 MiB). The client ends the upload early; the node must fail the
// unit ("Error reading input data: ...") instead of taking the cut for the payload's end.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { AbortError, UploadInterruptedError } from '../../../src/errors.js';
import { WorkState, type WorkUnitStatus } from '../../../src/protocol/types.js';
import { BIN, ensureBuilt, ROOT } from '../../e2e/build.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

let node: TestNode;
let dir: string;
let pki: TestPki;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'meshctl-upload-node-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'server' }] });
  node = await startTestNode({
    nodeId: 'server', // the id the server certificate carries
    workCommands: [{ worktype: 'cat', command: 'cat' }],
    tcp: true,
    tlsServer: { cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem },
  });
});

afterAll(async () => {
  await node?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Waits until the unit leaves Pending (or 20 s pass) and returns its status. */
async function settled(client: ControlClient, id: string): Promise<WorkUnitStatus> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const st = await client.workStatus(id);
    if (st.State !== WorkState.Pending || Date.now() > deadline) return st;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('submit upload against the embedded node', () => {
  test.each(['unix', 'tcp', 'tls'] as const)('submit upload - a unit whose upload was aborted over %s never runs (10 rounds)', async (via) => {
    const address = via === 'tcp' ? node.tcpAddress! : via === 'tls' ? node.tlsAddress! : node.socketPath;
    const client = new ControlClient({ address, tls: { ca: pki.ca.certPem } });
    const observer = new ControlClient({ address: node.socketPath });
    try {
      const states: string[] = [];
      for (let round = 0; round < 10; round++) {
        const ac = new AbortController();
        let unitId = '';
        // Aborts once 1 MiB (plus a round-dependent few chunks) has been handed to the connection.
        const stopAfter = 16 + round;
        const payload = (async function* () {
          for (let i = 0; ; i++) {
            if (i === stopAfter) ac.abort(new AbortError('interrupted', { signal: 'SIGINT' }));
            yield CHUNK;
          }
        })();
        const err = await client
          .workSubmit({ workType: 'cat' }, payload, { signal: ac.signal, onCreated: (id) => (unitId = id) })
          .then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(UploadInterruptedError);
        expect((err as UploadInterruptedError).unitId).toBe(unitId);
        const st = await settled(observer, unitId);
        states.push(`${st.StateName}: ${st.Detail}`);
        await observer.workRelease(unitId, { force: true });
      }
      for (const s of states) expect(s).toMatch(/^Failed: Error reading input data: /);
    } finally {
      await client.close();
      await observer.close();
    }
  });

  test('submit upload - Ctrl-C mid-upload of `meshctl work submit -p -` (built binary): the unit it names ends Failed', async () => {
    const observer = new ControlClient({ address: node.socketPath });
    const child = spawn(process.execPath, [BIN, '-s', node.socketPath, 'work', 'submit', 'cat', '-p', '-'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', NO_COLOR: '1' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    let feeding = true;
    child.stdin!.on('error', () => undefined);
    const pump = () => {
      while (feeding && child.stdin!.write(CHUNK));
      if (feeding) child.stdin!.once('drain', pump);
    };
    pump();
    try {
      const before = new Set(Object.keys(await observer.workList()));
      // Wait until the unit exists and 1 MiB of its payload is in its stdin file on the node's disk.
      let id: string | undefined;
      for (let i = 0; i < 2000; i++) {
        id ??= Object.keys(await observer.workList()).find((k) => !before.has(k));
        if (id !== undefined && (await stat(join(node.dataDir, node.nodeId, id, 'stdin')).then((s) => s.size, () => 0)) >= 1024 * 1024) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(id).toBeDefined();
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(130);
      feeding = false;
      expect(stderr).toMatch(new RegExp(`^meshctl: upload interrupted at byte \\d+ of the payload: work unit '${id}' will not run `));
      const st = await settled(observer, id!);
      expect(st.StateName).toBe('Failed');
      expect(st.Detail).toMatch(/^Error reading input data: /);
      await observer.workRelease(id!, { force: true });
    } finally {
      feeding = false;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await observer.close();
    }
  });
});
