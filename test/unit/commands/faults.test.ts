// What the CLI says when the other side misbehaves: scripted control services that write Receptor's exact
// lines (or not), a TLS listener the client does not trust, a stream cut short.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { GREETING, startScriptedServer, type ScriptedServer, type ScriptSocket } from '../../helpers/scripted-server.js';
import { fakeIo } from '../cmdutil/fake-io.js';

let server: ScriptedServer | undefined;
let dir: string;
let pki: TestPki;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-faults-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'server' }] });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function run(argv: string[], socket: string) {
  const f = fakeIo({ env: { MESHCTL_SOCKET: socket } });
  const code = await main(argv, f.io, { signals: false });
  return { code, out: f.stdout(), err: f.stderr() };
}

const status = (o: Record<string, unknown>) =>
  JSON.stringify({ Detail: 'exit status 0', ExtraData: null, State: 2, StateName: 'Succeeded', StdoutSize: 10, WorkType: 'cat', ...o }) + '\n';

/**
 * A node with one unit `u1`: `work results` sends `body` from the requested startpos (of each connection's turn:
 * `bodies[i]` for the i-th results request, the last one repeated) and closes; `work status` answers with
 * `statuses[i]` for the i-th status request (the last one repeated).
 */
function resultsScript(bodies: string[], statuses: string[]) {
  let results = 0;
  let stats = 0;
  return async (s: ScriptSocket) => {
    await s.send(GREETING('scripted'));
    for (;;) {
      const line = await s.readLine();
      if (line === null) return;
      const req = JSON.parse(line) as { subcommand?: string; startpos?: number };
      if (req.subcommand === 'results') {
        const body = bodies[Math.min(results++, bodies.length - 1)]!;
        await s.send(`Streaming results for work unit u1\n${body.slice(req.startpos ?? 0)}`);
        await s.end();
        return;
      }
      if (req.subcommand === 'status') await s.send(statuses[Math.min(stats++, statuses.length - 1)]!);
    }
  };
}

describe('faults', () => {
  it('faults - a stream that ends short of StdoutSize (and stays short) exits 6 with a resume hint', async () => {
    server = await startScriptedServer(resultsScript(['12345'], [status({ StdoutSize: 10 })]));
    const r = await run(['work', 'results', 'u1'], server.address);
    expect(r.out).toBe('12345');
    expect(r.code).toBe(6);
    expect(r.err).toMatch(/^meshctl: results of unit 'u1' ended at byte 5 of 10 \(hint: resume with: meshctl work results u1 --start-pos 5\)\n$/m);
  });

  it('faults - the resume hint keeps the connection flags typed (issue 11: resume hints dropped -s ADDRESS)', async () => {
    server = await startScriptedServer(resultsScript(['12345'], [status({ StdoutSize: 10 })]));
    const f = fakeIo({ env: {} });
    const argv = ['-s', server.address, '--timeout', '20s', 'work', 'results', 'u1'];
    const code = await main(argv, f.io, { signals: false });
    expect(code).toBe(6);
    expect(f.stderr().split('\n').at(-2)).toBe(
      `meshctl: results of unit 'u1' ended at byte 5 of 10 (hint: resume with: meshctl -s ${server.address} --timeout 20s work results u1 --start-pos 5)`,
    );
  });

  it('faults - a dropped stream of a running unit is re-opened from the byte it reached', async () => {
    const running = status({ State: 1, StateName: 'Running', Detail: 'Running: PID 9', StdoutSize: 4 });
    server = await startScriptedServer(resultsScript(['abcd', 'abcdefghij'], [running, status({ StdoutSize: 10 })]));
    const r = await run(['work', 'results', 'u1'], server.address);
    expect(r.out).toBe('abcdefghij');
    expect(r.code).toBe(0);
    expect(r.err).toBe("meshctl: warning: results stream of 'u1' lost at byte 4 (stream ended); reconnecting\n");
  });

  it('faults - with --reconnect-timeout 0 a dropped stream of a running unit is reported as incomplete', async () => {
    const running = status({ State: 1, StateName: 'Running', Detail: 'Running: PID 9', StdoutSize: 3 });
    server = await startScriptedServer(resultsScript(['abc'], [running]));
    const r = await run(['work', 'results', 'u1', '--reconnect-timeout', '0'], server.address);
    expect(r.out).toBe('abc');
    expect(r.code).toBe(6);
    expect(r.err).toMatch(/^meshctl: lost the results stream of unit 'u1' at byte 3.* \(hint: resume with: meshctl work results u1 --start-pos 3\)$/m);
  });

  it('faults - a complete stream of a Failed unit exits 1 with its Detail', async () => {
    server = await startScriptedServer(resultsScript(['0123456789'], [status({ State: 3, StateName: 'Failed', Detail: 'exit status 2' })]));
    const r = await run(['work', 'results', 'u1'], server.address);
    expect(r.out).toBe('0123456789');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^meshctl: work unit 'u1' failed: exit status 2 \(hint: state Failed \(3\), 10 bytes/);
  });

  it('faults - results of an unknown unit: the ERROR line, exit 5', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      await s.readLine();
      await s.send('ERROR: unknown work unit u9\n');
    });
    const r = await run(['work', 'results', 'u9'], server.address);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/^meshctl: unknown work unit u9 /);
  });

  it('faults - something that is not a control service: bad greeting, exit 3', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send('SSH-2.0-OpenSSH_9.6\n');
    });
    const r = await run(['status'], server.address);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^meshctl: .*not a Receptor control service.*SSH-2\.0/);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('faults - an ERROR: reply to status is a server error', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      await s.readLine();
      await s.send('ERROR: status command does not take parameters\n');
    });
    const r = await run(['status'], server.address);
    expect(r).toMatchObject({ code: 5, out: '' });
    expect(r.err).toMatch(/^meshctl: status command does not take parameters/);
  });

  it('faults - TLS server not trusted: exit 4; trusted with --rootcas: works', async () => {
    server = await startScriptedServer(
      async (s) => {
        await s.send(GREETING('tlsnode'));
        await s.readLine();
        await s.send('{"NodeID":"tlsnode","Version":"1.6.5"}\n');
      },
      { kind: 'tls', tls: { cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem } },
    );
    const bad = await run(['status'], server.address);
    expect(bad.code).toBe(4);
    expect(bad.err).toMatch(/^meshctl: tls: .*\(hint: /);
    const good = await run(['--rootcas', pki.ca.certPath, 'status'], server.address);
    expect(good).toMatchObject({ code: 0, out: 'node_id\ttlsnode\nversion\t1.6.5\n' });
  });

  it('faults - --debug adds the stack under the one-line message', async () => {
    const r = await run(['--debug', 'status'], `unix:${join(dir, 'missing.sock')}`);
    expect(r.code).toBe(3);
    const lines = r.err.split('\n');
    expect(lines[0]).toMatch(/^meshctl: socket '.*missing\.sock' does not exist/);
    expect(lines.slice(1).join('\n')).toMatch(/at /);
  });

  it('faults - MESHCTL_DEBUG=wire traces both directions on stderr', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING('w'));
      await s.readLine();
      await s.send('{"Version":"1.6.5"}\n');
    });
    const f = fakeIo({ env: { MESHCTL_SOCKET: server.address, MESHCTL_DEBUG: 'wire' } });
    expect(await main(['version'], f.io, { signals: false })).toBe(0);
    expect(f.stderr()).toBe('< Receptor Control, node w\n> {"command":"status","requested_fields":["Version"]}\n< {"Version":"1.6.5"}\n');
  });
});
