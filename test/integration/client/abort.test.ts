// The library honours `signal` while it connects and while it waits for the greeting (issue 11: an aborted
// signal was ignored until the 5 s greeting timeout, which then failed with EGREETING; the CLI's Ctrl-C while
// connecting took 3 s). Real listeners on 127.0.0.1: one that accepts and never speaks, one whose accept queue
// is full so the SYN is dropped. Bounds on time are generous (a shared 2-core machine): they only tell "at once"
// from "after a timeout of several seconds".
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient } from '../../../src/client/control-client.js';
import { Session } from '../../../src/client/session.js';
import { parseAddress } from '../../../src/transport/address.js';
import { dial } from '../../../src/transport/dial.js';
import { AbortError, ConnectionError, EXIT, MeshctlError } from '../../../src/errors.js';
import { startScriptedServer, type ScriptedServer } from '../../helpers/scripted-server.js';
import {
  openClientSocketsTo,
  startSilentListener,
  startUnacceptingListener,
  synSentTo,
  type SilentListener,
  type UnacceptingListener,
} from '../../helpers/silent-listeners.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const VITE_NODE = `${ROOT}node_modules/vite-node/vite-node.mjs`;
const CHILD_SCRIPT = fileURLToPath(new URL('../../helpers/abort-dial-child.ts', import.meta.url));

/** The library's timeouts are 5 s (greeting) and 10 s (connect): anything under this is "at once". */
const PROMPT_MS = 2_500;

let silent: SilentListener | undefined;
let unaccepting: UnacceptingListener | undefined;
let scripted: ScriptedServer | undefined;
let client: ControlClient | undefined;

afterEach(async () => {
  await client?.close();
  await silent?.close();
  await unaccepting?.close();
  await scripted?.close();
  client = silent = unaccepting = scripted = undefined;
});

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Settles `p`, returning the error it rejected with and the time from `abortedAt()` to the rejection. */
async function rejection(p: Promise<unknown>, abortedAt: () => number): Promise<{ err: unknown; afterAbortMs: number }> {
  try {
    await p;
  } catch (err) {
    return { err, afterAbortMs: Date.now() - abortedAt() };
  }
  throw new Error('resolved, expected a rejection');
}

/** Resolves true when `p` settles within `ms`. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), sleep(ms).then(() => false)]);
}

describe('client abort - during the greeting', () => {
  it('client abort - an abort while waiting for the greeting rejects at once with the AbortError and closes the socket (was: ignored until the 5 s greeting timeout, then EGREETING)', async () => {
    silent = await startSilentListener();
    const ac = new AbortController();
    client = new ControlClient({ address: `tcp://${silent.address}`, signal: ac.signal });
    const p = client.status();
    p.catch(() => undefined);
    await until('the connection', () => silent!.accepted.length === 1);
    await sleep(100);
    let abortedAt = 0;
    abortedAt = Date.now();
    ac.abort();
    const { err, afterAbortMs } = await rejection(p, () => abortedAt);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).code).toBe('EABORTED');
    expect(afterAbortMs).toBeLessThan(PROMPT_MS);
    // The client closed its side: the listener sees the end, and no client socket is left open.
    expect(await within(silent.accepted[0]!.closed, PROMPT_MS)).toBe(true);
    await until('the client socket to close', () => openClientSocketsTo(silent!.port) === 0, PROMPT_MS);
  });

  it("client abort - the signal's AbortError (the CLI's, naming SIGTERM) is what the greeting wait rejects with", async () => {
    silent = await startSilentListener();
    const ac = new AbortController();
    client = new ControlClient({ address: `tcp://${silent.address}`, signal: ac.signal });
    const p = client.workList();
    p.catch(() => undefined);
    await until('the connection', () => silent!.accepted.length === 1);
    await sleep(100);
    const reason = new AbortError('terminated', { signal: 'SIGTERM' });
    ac.abort(reason);
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBe(reason);
    expect((err as AbortError).exitCode).toBe(EXIT.TERMINATED);
  });

  it('client abort - a per-call signal aborts the greeting of a results stream', async () => {
    silent = await startSilentListener();
    const ac = new AbortController();
    client = new ControlClient({ address: `tcp://${silent.address}` });
    const read = (async () => {
      for await (const _ of client!.workResults('abc', { signal: ac.signal })) void _;
    })();
    read.catch(() => undefined);
    await until('the connection', () => silent!.accepted.length === 1);
    await sleep(100);
    const abortedAt = Date.now();
    ac.abort();
    const { err, afterAbortMs } = await rejection(read, () => abortedAt);
    expect(err).toBeInstanceOf(AbortError);
    expect(afterAbortMs).toBeLessThan(PROMPT_MS);
    expect(await within(silent.accepted[0]!.closed, PROMPT_MS)).toBe(true);
  });

  it('client abort - an abort during a TLS handshake that never completes rejects at once (tls:// to a silent listener)', async () => {
    silent = await startSilentListener();
    const ac = new AbortController();
    client = new ControlClient({ address: `tls://${silent.address}`, signal: ac.signal });
    const p = client.status();
    p.catch(() => undefined);
    await until('the connection', () => silent!.accepted.length === 1);
    await sleep(100);
    const abortedAt = Date.now();
    ac.abort();
    const { err, afterAbortMs } = await rejection(p, () => abortedAt);
    expect(err).toBeInstanceOf(AbortError);
    expect(afterAbortMs).toBeLessThan(PROMPT_MS);
    expect(await within(silent.accepted[0]!.closed, PROMPT_MS)).toBe(true);
    await until('the client socket to close', () => openClientSocketsTo(silent!.port) === 0, PROMPT_MS);
  });
});

describe('client abort - during connect', () => {
  it('client abort - an abort while the SYN goes unanswered (full accept queue) rejects at once and leaves no SYN_SENT socket', async () => {
    unaccepting = await startUnacceptingListener();
    const ac = new AbortController();
    client = new ControlClient({ address: `tcp://127.0.0.1:${unaccepting.port}`, signal: ac.signal });
    const p = client.status();
    p.catch(() => undefined);
    await until('the pending connect', () => unaccepting!.synSent() === 1);
    await sleep(100);
    const abortedAt = Date.now();
    ac.abort();
    const { err, afterAbortMs } = await rejection(p, () => abortedAt);
    expect(err).toBeInstanceOf(AbortError);
    expect(afterAbortMs).toBeLessThan(PROMPT_MS);
    await until('the SYN_SENT socket to go', () => synSentTo(unaccepting!.port) === 0, PROMPT_MS);
  });

  it('client abort - an aborted dial leaves nothing holding the event loop: a script exits at once (was: its 10 s connect timer stayed)', async () => {
    unaccepting = await startUnacceptingListener();
    // The child (run from source by vite-node) dials, aborts after 100 ms, prints the outcome and returns.
    const child = spawn(process.execPath, [VITE_NODE, CHILD_SCRIPT, `tcp://127.0.0.1:${unaccepting.port}`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      let rejectedAt = 0;
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (!rejectedAt && out.includes('\n')) rejectedAt = Date.now();
      });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      const exitedAt = Date.now();
      expect(code, stderr).toBe(0);
      expect(out).toBe('AbortError EABORTED\n');
      expect(exitedAt - rejectedAt).toBeLessThan(PROMPT_MS);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('client abort - a signal aborted before the call opens no connection at all', async () => {
    silent = await startSilentListener();
    const ac = new AbortController();
    ac.abort();
    client = new ControlClient({ address: `tcp://${silent.address}`, signal: ac.signal });
    const err = await client.status().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    // Give a stray connection time to arrive: none must.
    await sleep(300);
    expect(silent.accepted.length).toBe(0);
  });
});

describe('client errors - EGREETING is a ConnectionError (exit 3)', () => {
  const cases: [string, (s: import('../../helpers/scripted-server.js').ScriptSocket) => Promise<void>, RegExp][] = [
    ['a wrong greeting', async (s) => s.send('SSH-2.0-OpenSSH_9.2\n'), /is not a Receptor control service \(greeting was 'SSH-2\.0-OpenSSH_9\.2'\)/],
    ['an end of stream without a greeting', async (s) => s.destroy(), /is not a Receptor control service \(greeting was end of stream\)/],
    ['no greeting in time', async (s) => void (await s.readToEnd()), /no greeting from tcp:\/\/127\.0\.0\.1:\d+ within 0\.3s/],
  ];
  for (const [what, script, message] of cases) {
    it(`client errors - ${what} throws a ConnectionError with code EGREETING (was: a plain MeshctlError)`, async () => {
      scripted = await startScriptedServer(script, { kind: 'tcp' });
      client = new ControlClient({ address: scripted.address, greetingTimeoutMs: 300 });
      const err = (await client.status().then(() => undefined, (e: unknown) => e)) as MeshctlError;
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err.name).toBe('ConnectionError');
      expect(err.code).toBe('EGREETING');
      expect(err.exitCode).toBe(EXIT.CONNECTION);
      expect(err.message).toMatch(message);
    });
  }

  it('client errors - a reset before the greeting throws a ConnectionError with code EGREETING, the reset as cause', async () => {
    // Reset only once the client is connected (a reset racing connect() fails the dial with ECONNRESET instead).
    let resetNow!: () => void;
    const go = new Promise<void>((r) => (resetNow = r));
    scripted = await startScriptedServer(
      async (s) => {
        await go;
        s.sock.resetAndDestroy();
      },
      { kind: 'tcp' },
    );
    const conn = await dial(parseAddress(scripted.address));
    resetNow();
    const err = (await Session.open(conn, { where: scripted.address, plainTcp: true }).then(() => undefined, (e: unknown) => e)) as MeshctlError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe('EGREETING');
    expect(err.message).toBe(`${scripted.address} closed the connection without a greeting`);
    expect((err.cause as MeshctlError).code).toBe('ECLOSED');
    expect(conn.destroyed).toBe(true);
  });
});
