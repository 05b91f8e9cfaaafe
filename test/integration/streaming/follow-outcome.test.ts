// FollowStream (the library) owns the byte position and the outcome of a follow, and reports failures as typed
// errors with data, never CLI advice (issue 11: client/follow.ts named `meshctl work results ...` in its hint).
// Scripted control services on real Unix sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { ResultsIncompleteError } from '../../../src/client/follow.js';
import { ControlClient } from '../../../src/client/control-client.js';
import { symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AbortError, MeshctlError, ServerError } from '../../../src/errors.js';
import { GREETING, startScriptedServer, type ScriptedServer, type ScriptSocket } from '../../helpers/scripted-server.js';

let server: ScriptedServer | undefined;
let client: ControlClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

const status = (o: Record<string, unknown>) =>
  JSON.stringify({ Detail: 'exit status 0', ExtraData: null, State: 2, StateName: 'Succeeded', StdoutSize: 10, WorkType: 'cat', ...o }) + '\n';
const RUNNING = { State: 1, StateName: 'Running', Detail: 'Running: PID 9' };

/**
 * Unit `u1`: `work results` sends `body` from the requested startpos, then closes (or, with `hold`, keeps the
 * stream open); `work status` answers `st`; any other unit id is unknown.
 */
function node(body: string, st: string, o: { hold?: boolean } = {}) {
  return async (s: ScriptSocket) => {
    await s.send(GREETING('scripted'));
    for (;;) {
      const line = await s.readLine();
      if (line === null) return;
      const req = JSON.parse(line) as { subcommand?: string; startpos?: number; unitid?: string };
      if (req.unitid !== 'u1') {
        await s.send(`ERROR: unknown work unit ${req.unitid}\n`);
        continue;
      }
      if (req.subcommand === 'results') {
        await s.send(`Streaming results for work unit u1\n${body.slice(req.startpos ?? 0)}`);
        if (o.hold) await new Promise(() => undefined); // ended by server.close()
        await s.end();
        return;
      }
      if (req.subcommand === 'status') await s.send(st);
    }
  };
}

async function collect(stream: AsyncIterable<Buffer>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

async function start(script: (s: ScriptSocket) => Promise<void>): Promise<ControlClient> {
  server = await startScriptedServer(script);
  client = new ControlClient({ address: server.address });
  return client;
}

describe('follow outcome', () => {
  it('follow outcome - complete: every byte, the position after the last, and the final status', async () => {
    const c = await start(node('0123456789', status({})));
    const stream = c.followResults('u1', { startPos: 4, statusPollMs: 0 });
    expect(stream.position).toBe(4);
    expect(await collect(stream)).toBe('456789');
    expect(stream.position).toBe(10);
    expect(stream.outcome).toMatchObject({ end: 'complete', position: 10, status: { State: 2, StdoutSize: 10 } });
    expect(stream.final?.StateName).toBe('Succeeded');
  });

  it('follow outcome - canceled: ends although Receptor never ends the stream', async () => {
    const c = await start(node('abc', status({ State: 4, StateName: 'Canceled', Detail: 'Canceled', StdoutSize: 3 }), { hold: true }));
    const stream = c.followResults('u1', { statusPollMs: 50 });
    expect(await collect(stream)).toBe('abc');
    expect(stream.outcome).toMatchObject({ end: 'canceled', position: 3, status: { State: 4 } });
  });

  it('follow outcome - complete but short: ResultsIncompleteError with the data and no CLI hint', async () => {
    const c = await start(node('12345', status({ StdoutSize: 10 })));
    const stream = c.followResults('u1', { statusPollMs: 0 });
    let got = '';
    const err = await (async () => {
      for await (const chunk of stream) got += chunk.toString();
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(got).toBe('12345');
    expect(err).toBeInstanceOf(ResultsIncompleteError);
    const e = err as ResultsIncompleteError;
    expect(e).toMatchObject({ code: 'EINCOMPLETE', unitId: 'u1', position: 5, stdoutSize: 10, end: 'short', hint: undefined });
    expect(e.data).toEqual({ unitId: 'u1', position: 5, stdoutSize: 10 });
    expect(`${e.message} ${e.hint}`).not.toContain('meshctl');
    expect(stream.outcome).toMatchObject({ end: 'short', position: 5, status: { StdoutSize: 10 } });
  });

  it('follow outcome - lost (reconnecting off, unit running): ResultsIncompleteError at the position reached', async () => {
    const c = await start(node('abc', status({ ...RUNNING, StdoutSize: 3 })));
    const stream = c.followResults('u1', { reconnectTimeoutMs: 0, statusPollMs: 0 });
    const err = await collect(stream).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResultsIncompleteError', end: 'lost', position: 3, hint: undefined });
    expect((err as Error).message).toBe("lost the results stream of unit 'u1' at byte 3: stream ended");
    expect(stream.outcome).toMatchObject({ end: 'lost', position: 3 });
  });

  it("follow outcome - aborted: the signal's own reason is thrown (SIGTERM stays SIGTERM), position = bytes delivered", async () => {
    const c = await start(node('abcdef', status({ ...RUNNING, StdoutSize: 6 }), { hold: true }));
    const ac = new AbortController();
    const reason = new AbortError('terminated', { signal: 'SIGTERM' });
    const stream = c.followResults('u1', { signal: ac.signal, statusPollMs: 0 });
    let got = '';
    const err = await (async () => {
      for await (const chunk of stream) {
        got += chunk.toString();
        ac.abort(reason);
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBe(reason);
    expect(stream.position).toBe(got.length);
    expect(stream.outcome).toEqual({ end: 'aborted', position: got.length });
  });

  it('follow outcome - the consumer breaks out: stopped, at the bytes it took', async () => {
    const c = await start(node('abcdef', status({ ...RUNNING, StdoutSize: 6 }), { hold: true }));
    const stream = c.followResults('u1', { statusPollMs: 0 });
    let got = '';
    for await (const chunk of stream) {
      got += chunk.toString();
      break;
    }
    expect(got.length).toBeGreaterThan(0);
    expect(stream.outcome).toEqual({ end: 'stopped', position: got.length });
  });

  it('follow outcome - refused: the ServerError of an unknown unit, nothing delivered', async () => {
    const c = await start(node('abc', status({})));
    const stream = c.followResults('nope', { statusPollMs: 0 });
    const err = await collect(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(stream.outcome).toEqual({ end: 'refused', position: 0 });
  });

  // Regression: `meshctl work results ID` against a socket that does not exist warned "stream lost ... reconnecting"
  // and retried for the whole reconnect timeout (2 min) instead of failing as every other command does.
  it('follow outcome - a first connection that cannot be made fails at once with its error, not after the reconnect timeout', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-follow-'));
    try {
      const missing = path.join(dir, 'nope.sock');
      client = new ControlClient({ address: `unix:${missing}` });
      let reconnects = 0;
      const stream = client.followResults('u1', { statusPollMs: 0, reconnectTimeoutMs: 60_000, onReconnect: () => void reconnects++ });
      const err = await collect(stream).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MeshctlError);
      expect((err as MeshctlError).code).toBe('ENOENT_SOCKET');
      expect(reconnects).toBe(0);
      expect(stream.position).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('follow outcome - with nodeReached (after a submit) a first failed connection is a dropped one: it re-opens', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-follow-'));
    try {
      const sock = path.join(dir, 'later.sock');
      server = await startScriptedServer(node('abcdefghij', status({})));
      const real = server.path!;
      client = new ControlClient({ address: `unix:${sock}` });
      let reconnects = 0;
      const stream = client.followResults('u1', {
        statusPollMs: 0,
        reconnectTimeoutMs: 60_000,
        nodeReached: true,
        onReconnect: () => {
          reconnects++;
          // The node's socket appears once following has retried (a symlink to the scripted one): the stream must
          // then be read whole.
          if (reconnects === 1) symlinkSync(real, sock);
        },
      });
      expect(await collect(stream)).toBe('abcdefghij');
      expect(reconnects).toBeGreaterThan(0);
      expect(stream.outcome?.end).toBe('complete');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
