// The client side of a submit upload, on real sockets (issue 10): the client hears the node while it sends, and
// every upload that stops before the payload's end ends with a reset, never with the orderly end (FIN) that a
// node takes for "this is the whole payload". A stand-in control service (test/helpers/upload-sink.ts) records
// how the connection ended and how many payload bytes arrived.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { AbortError, MeshctlError, ServerError, UploadInterruptedError } from '../../../src/errors.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { startUploadSink, type UploadSink } from '../../helpers/upload-sink.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = Buffer.alloc(64 * KiB, 0x61);

/** A payload that never ends; `pulled` counts the chunks taken from it. */
function endless(): AsyncGenerator<Buffer> & { pulled: number } {
  const state = { pulled: 0 };
  const gen = (async function* () {
    for (;;) {
      state.pulled++;
      yield CHUNK;
    }
  })();
  return Object.defineProperty(gen, 'pulled', { get: () => state.pulled }) as AsyncGenerator<Buffer> & { pulled: number };
}

async function failure(p: Promise<unknown>): Promise<MeshctlError> {
  try {
    await p;
  } catch (err) {
    return err as MeshctlError;
  }
  throw new Error('expected the submit to fail');
}

let dir: string;
let pki: TestPki;
let sink: UploadSink | undefined;
let client: ControlClient | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshctl-upload-test-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'server' }] });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await client?.close();
  await sink?.close();
  client = undefined;
  sink = undefined;
});

describe('submit upload - the node answers during the upload', () => {
  test('submit upload - an ERROR mid-upload stops an endless payload at once, resets, and names the unit (client hung forever)', async () => {
    sink = await startUploadSink({
      unitId: 'u7',
      script: async (c) => {
        await c.reached(MiB);
        // What meshctl node answers when the payload cannot be stored; it then reads and drops input.
        c.sock.write('ERROR: write /var/lib/receptor/u7/stdin: no space left on device\n');
      },
    });
    client = new ControlClient({ address: sink.address });
    const payload = endless();
    const err = await failure(client.workSubmit({ workType: 'cat' }, payload));
    expect(err).toBeInstanceOf(UploadInterruptedError);
    const e = err as UploadInterruptedError;
    expect(e.stop).toBe('node');
    expect(e.code).toBe('ESERVER');
    expect(e.unitId).toBe('u7');
    expect(e.serverMessage).toBe('write /var/lib/receptor/u7/stdin: no space left on device');
    expect(e.cause).toBeInstanceOf(ServerError);
    expect(e.message).toBe(
      `node answered 'ERROR: write /var/lib/receptor/u7/stdin: no space left on device' at byte ${e.bytesSent} of the payload of work unit 'u7'`,
    );
    const c = sink.connections[0]!;
    expect(await c.ended).toBe('reset');
    expect(c.bytes).toBeGreaterThanOrEqual(MiB);
    expect(c.bytes).toBeLessThanOrEqual(e.bytesSent);
    // Sending stopped: no chunk is taken from the payload once the submit has failed.
    const pulled = payload.pulled;
    await new Promise((r) => setTimeout(r, 100));
    expect(payload.pulled).toBe(pulled);
  });

  test('submit upload - an ERROR while the payload source has nothing to give (stdin left open) fails at once', async () => {
    sink = await startUploadSink({
      script: async (c) => {
        c.sock.write('ERROR: open /var/lib/receptor/u1/stdin: permission denied\n');
      },
    });
    client = new ControlClient({ address: sink.address });
    const stdin = new PassThrough(); // no byte, no end: a terminal nobody types into
    const err = await failure(client.workSubmit({ workType: 'cat' }, stdin));
    expect((err as UploadInterruptedError).stop).toBe('node');
    expect((err as UploadInterruptedError).bytesSent).toBe(0);
    // The source is let go (as `for await` + break would), so nothing keeps the process waiting on it.
    expect(stdin.destroyed).toBe(true);
    expect(await sink.connections[0]!.ended).toBe('reset');
  });

  test('submit upload - the node closing mid-upload without a word fails with ECLOSED and names the unit', async () => {
    sink = await startUploadSink({
      unitId: 'u3',
      script: async (c) => {
        await c.reached(256 * KiB);
        c.sock.destroy();
      },
    });
    client = new ControlClient({ address: sink.address });
    const err = await failure(client.workSubmit({ workType: 'cat' }, endless()));
    expect(err).toBeInstanceOf(UploadInterruptedError);
    expect((err as UploadInterruptedError).stop).toBe('connection');
    expect(err.code).toBe('ECLOSED');
    expect(err.message).toMatch(/^connection lost at byte \d+ of the payload of work unit 'u3': /);
  });
});

describe('submit upload - the client stops', () => {
  for (const kind of ['tcp', 'tls'] as const) {
    test(`submit upload - an abort mid-upload resets the ${kind} connection (Ctrl-C half-closed it: the node ran the unit on 35 of 100 MiB)`, async () => {
      const tlsOpts = { cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem };
      sink = await startUploadSink({ kind, tls: tlsOpts, unitId: 'abc123' });
      client = new ControlClient({ address: sink.address, tls: { ca: pki.ca.certPem } });
      const ac = new AbortController();
      const reason = new AbortError('interrupted', { signal: 'SIGINT' });
      const submitting = client.workSubmit({ workType: 'cat' }, endless(), { signal: ac.signal });
      await waitConnection(sink);
      await sink.connections[0]!.reached(2 * MiB);
      ac.abort(reason);
      const err = await failure(submitting);
      expect(err).toBeInstanceOf(UploadInterruptedError);
      const e = err as UploadInterruptedError;
      expect(e.stop).toBe('aborted');
      expect(e.code).toBe('EABORTED');
      expect(e.cause).toBe(reason);
      expect(e.reset).toBe(true);
      expect(e.unitId).toBe('abc123');
      expect(e.message).toBe(`upload of work unit 'abc123' interrupted at byte ${e.bytesSent}`);
      const c = sink.connections[0]!;
      expect(await c.ended).toBe('reset');
      expect(c.bytes).toBeGreaterThanOrEqual(2 * MiB);
      expect(c.bytes).toBeLessThanOrEqual(e.bytesSent);
    });
  }

  test('submit upload - an abort for SIGTERM carries ETERMINATED (exit 143)', async () => {
    sink = await startUploadSink();
    client = new ControlClient({ address: sink.address });
    const ac = new AbortController();
    const submitting = client.workSubmit({ workType: 'cat' }, endless(), { signal: ac.signal });
    await waitConnection(sink);
    await sink.connections[0]!.reached(MiB);
    ac.abort(new AbortError('terminated', { signal: 'SIGTERM' }));
    const err = await failure(submitting);
    expect(err.code).toBe('ETERMINATED');
    expect(err.exitCode).toBe(143);
    expect(await sink.connections[0]!.ended).toBe('reset');
  });

  test('submit upload - the client-wide signal aborts an upload too', async () => {
    sink = await startUploadSink();
    const ac = new AbortController();
    client = new ControlClient({ address: sink.address, signal: ac.signal });
    const submitting = client.workSubmit({ workType: 'cat' }, endless());
    await waitConnection(sink);
    await sink.connections[0]!.reached(MiB);
    ac.abort();
    const err = await failure(submitting);
    expect((err as UploadInterruptedError).stop).toBe('aborted');
    expect(err.code).toBe('EABORTED');
    expect(await sink.connections[0]!.ended).toBe('reset');
  });

  test('submit upload - a failing payload read resets the connection and reports EPAYLOAD at the byte reached', async () => {
    sink = await startUploadSink({ unitId: 'u4' });
    client = new ControlClient({ address: sink.address });
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    const payload = (async function* () {
      for (let i = 0; i < 3; i++) yield CHUNK;
      throw eio;
    })();
    const err = await failure(client.workSubmit({ workType: 'cat' }, payload));
    expect(err).toBeInstanceOf(UploadInterruptedError);
    const e = err as UploadInterruptedError;
    expect(e.stop).toBe('payload');
    expect(e.code).toBe('EPAYLOAD');
    expect(e.cause).toBe(eio);
    expect(e.bytesSent).toBe(3 * CHUNK.length);
    expect(e.message).toBe(`reading the payload of work unit 'u4' failed at byte ${3 * CHUNK.length}: EIO: i/o error, read`);
    const c = sink.connections[0]!;
    expect(await c.ended).toBe('reset');
    expect(c.bytes).toBeLessThanOrEqual(3 * CHUNK.length);
  });

  test('submit upload - an abort before `Work unit created` resets too (a FIN there runs the unit on no payload)', async () => {
    sink = await startUploadSink({ created: false });
    client = new ControlClient({ address: sink.address });
    const ac = new AbortController();
    const submitting = client.workSubmit({ workType: 'cat' }, 'payload\n', { signal: ac.signal });
    await waitConnection(sink);
    await sink.connections[0]!.submitted;
    ac.abort();
    const err = await failure(submitting);
    expect(err).toBeInstanceOf(AbortError);
    const c = sink.connections[0]!;
    expect(await c.ended).toBe('reset');
    expect(c.bytes).toBe(0);
  });

  test('submit upload - no `Work unit created` within the command timeout: reset, not FIN', async () => {
    sink = await startUploadSink({ created: false });
    client = new ControlClient({ address: sink.address, commandTimeoutMs: 300 });
    const err = await failure(client.workSubmit({ workType: 'cat' }, 'payload\n'));
    expect(err.code).toBe('ETIMEDOUT');
    expect(await sink.connections[0]!.ended).toBe('reset');
  });

  test('submit upload - a whole payload still ends with a half-close (FIN) and gets its reply', async () => {
    sink = await startUploadSink({ kind: 'tls', tls: { cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem }, unitId: 'u9' });
    client = new ControlClient({ address: sink.address, tls: { ca: pki.ca.certPem } });
    const payload = Buffer.alloc(3 * MiB + 17, 0x62);
    const res = await client.workSubmit({ workType: 'cat' }, payload);
    expect(res).toEqual({ result: 'Job Started', unitid: 'u9' });
    const c = sink.connections[0]!;
    expect(await c.ended).toBe('fin');
    expect(c.bytes).toBe(payload.length);
  });

  test('submit upload - an abort after the whole payload went out is a plain AbortError: the unit has all of it', async () => {
    sink = await startUploadSink({ reply: false, unitId: 'u5' });
    client = new ControlClient({ address: sink.address });
    const ac = new AbortController();
    const payload = Buffer.alloc(MiB + 3, 0x63);
    const submitting = client.workSubmit({ workType: 'cat' }, payload, { signal: ac.signal });
    await waitConnection(sink);
    const c = sink.connections[0]!;
    expect(await c.ended).toBe('fin');
    ac.abort(new AbortError('interrupted', { signal: 'SIGINT' }));
    const err = await failure(submitting);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).not.toBeInstanceOf(UploadInterruptedError);
    expect(c.bytes).toBe(payload.length);
  });

  test('submit upload - over a Unix socket there is no reset: the error says so (reset false); the socket is closed outright, not half-closed', async () => {
    sink = await startUploadSink({ kind: 'unix' });
    client = new ControlClient({ address: sink.address });
    const ac = new AbortController();
    const submitting = client.workSubmit({ workType: 'cat' }, endless(), { signal: ac.signal });
    await waitConnection(sink);
    await sink.connections[0]!.reached(MiB);
    ac.abort();
    const err = await failure(submitting);
    expect((err as UploadInterruptedError).stop).toBe('aborted');
    expect((err as UploadInterruptedError).reset).toBe(false);
    // The peer reads an end of stream; only a write shows the client is gone (meshctl node probes so; receptor
    // does not).
    expect(await sink.connections[0]!.ended).toBe('closed');
  });
});

async function waitConnection(s: UploadSink): Promise<void> {
  for (let i = 0; i < 1000 && s.connections.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(s.connections.length).toBe(1);
}
