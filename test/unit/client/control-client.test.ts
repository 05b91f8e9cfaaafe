import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { MeshctlError, ServerError } from '../../../src/errors.js';
import { GREETING, startScriptedServer, type ScriptedServer } from '../../helpers/scripted-server.js';
import { ALL_BYTES } from '../../fixtures/protocol/transcripts.js';
import { hintFor } from '../../../src/cmdutil/hints.js';

let server: ScriptedServer | undefined;
let client: ControlClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as MeshctlError).code;
  }
  return 'resolved';
}

describe('control client', () => {
  test('control client - greeting and reply split byte by byte', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING('bytewise'), 'bytewise');
      expect(await s.readLine()).toBe('{"command":"status","requested_fields":["NodeID"]}');
      await s.send('{"NodeID":"bytewise"}\n', 'bytewise');
    });
    client = new ControlClient({ address: server.address });
    expect(await client.status(['NodeID'])).toEqual({ NodeID: 'bytewise' });
    expect(client.nodeId).toBe('bytewise');
    expect(await server.results[0]).toBeUndefined();
  });

  test('control client - simple commands share one session, replies in order', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      for (let i = 0; i < 3; i++) {
        const line = await s.readLine();
        expect(JSON.parse(line!)).toMatchObject({ command: 'ping' });
        await s.send(`{"From":"n${i}","Success":true,"Time":${i},"TimeStr":"${i}ns"}\n`);
      }
    });
    client = new ControlClient({ address: server.address });
    const got = await Promise.all([client.ping('a'), client.ping('b'), client.ping('c')]);
    expect(got.map((g) => (g.Success ? g.From : ''))).toEqual(['n0', 'n1', 'n2']);
    expect(server.connections.length).toBe(1);
  });

  test('control client - bad JSON gets two ERROR lines and the session stays in step', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      expect(await s.readLine()).toBe('{bad');
      await s.send("ERROR: invalid character 'b' looking for beginning of object key string\nERROR: Unknown command, \n", [10, 60]);
      expect(await s.readLine()).toBe('{"command":"status","requested_fields":["NodeID"]}');
      await s.send('{"NodeID":"x"}\n');
    });
    client = new ControlClient({ address: server.address });
    const err = await client.command('{bad').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).serverMessage).toBe("invalid character 'b' looking for beginning of object key string");
    expect(await client.status(['NodeID'])).toEqual({ NodeID: 'x' });
  });

  test('control client - ERROR reply becomes ServerError with the server text', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      await s.readLine();
      await s.send('ERROR: unknown work unit nosuch\n');
    });
    client = new ControlClient({ address: server.address });
    const err = (await client.workStatus('nosuch').catch((e: unknown) => e)) as ServerError;
    expect(err).toBeInstanceOf(ServerError);
    expect(err.code).toBe('EUNKNOWNUNIT');
    expect(err.message).toBe('unknown work unit nosuch');
  });

  test('control client - results: data in the header chunk, binary safe, half-close sent, EOF ends', async () => {
    const body = Buffer.concat([ALL_BYTES, ALL_BYTES, Buffer.from('tail')]);
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      expect(JSON.parse((await s.readLine())!)).toEqual({ command: 'work', subcommand: 'results', unitid: 'u1', startpos: 7 });
      // The client must half-close: Receptor only closes once it reads EOF after streaming.
      await s.readToEnd();
      await s.send(Buffer.concat([Buffer.from('Streaming results for work unit u1\n'), body]), [5, 40, 100, 300]);
      await s.end();
    });
    client = new ControlClient({ address: server.address });
    const stream = client.workResults('u1', { startPos: 7 });
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    expect(stream.bytesRead).toBe(body.length);
    expect(stream.position).toBe(7 + body.length);
    expect(await server.results[0]).toBeUndefined();
  });

  test('control client - results of an unknown unit throws at once', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      await s.readLine();
      await s.send('ERROR: unknown work unit zz\n');
      await s.readToEnd();
      await s.end();
    });
    client = new ControlClient({ address: server.address });
    const it = client.workResults('zz')[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow('unknown work unit zz');
  });

  test('control client - breaking out of results closes the connection', async () => {
    let closed!: () => void;
    const sawClose = new Promise<void>((r) => (closed = r));
    server = await startScriptedServer(async (s) => {
      s.sock.on('close', () => closed());
      await s.send(GREETING());
      await s.readLine();
      await s.send('Streaming results for work unit u\n');
      for (let i = 0; i < 1000 && !s.sock.destroyed; i++) await s.send(Buffer.alloc(1024, 1));
    });
    client = new ControlClient({ address: server.address });
    let n = 0;
    for await (const c of client.workResults('u')) {
      n += c.length;
      if (n > 4096) break;
    }
    await sawClose;
  });

  test('control client - submit waits for the created line before sending payload, then half-closes', async () => {
    const payload = Buffer.concat([ALL_BYTES, Buffer.alloc(300_000, 7)]);
    let before = -1;
    let gotPayload: Buffer = Buffer.alloc(0);
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      expect(JSON.parse((await s.readLine())!)).toEqual({
        command: 'work',
        subcommand: 'submit',
        node: 'localhost',
        worktype: 'cat',
        params: '-n',
      });
      await new Promise((r) => setTimeout(r, 50));
      before = s.pending().length;
      await s.send('Work unit created with ID u9. Send stdin data and EOF.\n');
      gotPayload = await s.readToEnd();
      await s.send('{"result":"Job Started","unitid":"u9"}\n');
      await s.end();
    });
    client = new ControlClient({ address: server.address });
    const created: string[] = [];
    const res = await client.workSubmit({ workType: 'cat', params: { params: '-n' } }, payload, { onCreated: (id) => created.push(id) });
    expect(res).toEqual({ result: 'Job Started', unitid: 'u9' });
    expect(created).toEqual(['u9']);
    expect(before).toBe(0);
    expect(createHash('sha256').update(gotPayload).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  test('control client - submit refused before the created line sends no payload', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      await s.readLine();
      await s.send('ERROR: unknown work type nosuch\n');
      // Receptor keeps reading commands here: any payload byte would be executed as a command.
      await new Promise((r) => setTimeout(r, 50));
      expect(s.pending().length).toBe(0);
    });
    client = new ControlClient({ address: server.address });
    await expect(client.workSubmit({ workType: 'nosuch' }, 'status\n')).rejects.toThrow('unknown work type nosuch');
    expect(await server.results[0]).toBeUndefined();
  });

  test('control client - error after the payload carries the unit id', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      await s.readLine();
      await s.send('Work unit created with ID u5. Send stdin data and EOF.\n');
      await s.readToEnd();
      await s.send('ERROR: Error starting worker: boom\n');
      await s.end();
    });
    client = new ControlClient({ address: server.address });
    const err = (await client.workSubmit({ workType: 'x' }, null).catch((e: unknown) => e)) as ServerError;
    expect(err.message).toBe('Error starting worker: boom');
    expect(err.data).toEqual({ unitId: 'u5' });
  });

  test('control client - connect bridges bytes both ways and viaNode stacks a session on it', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING('outer'));
      expect(JSON.parse((await s.readLine())!)).toEqual({ command: 'connect', node: 'inner', service: 'control' });
      await s.send('Connecting\nReceptor Control, node inner\n');
      expect(JSON.parse((await s.readLine())!)).toEqual({ command: 'work', subcommand: 'list' });
      await s.send('{}\n');
    });
    client = new ControlClient({ address: server.address });
    const inner = client.viaNode('inner');
    expect(await inner.workList()).toEqual({});
    expect(await inner.connect()).toBe('inner');
    await inner.close();
  });

  test('control client - not a control service: bad greeting', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send('SSH-2.0-OpenSSH_9.2\n');
    });
    client = new ControlClient({ address: server.address });
    const err = (await client.status().catch((e: unknown) => e)) as MeshctlError;
    expect(err.code).toBe('EGREETING');
    expect(err.message).toContain("greeting was 'SSH-2.0-OpenSSH_9.2'");
  });

  test('control client - silent listener over tcp:// fails fast with a tls:// hint', async () => {
    server = await startScriptedServer(async (s) => {
      await s.readToEnd();
    }, { kind: 'tcp' });
    client = new ControlClient({ address: server.address, greetingTimeoutMs: 300 });
    const err = (await client.status().catch((e: unknown) => e)) as MeshctlError;
    expect(err.code).toBe('EGREETING');
    // The library says tcp:// got no greeting in time; the CLI's hint table says to try tls://.
    expect(err.data).toMatchObject({ greeting: 'timeout', plainTcp: true });
    expect(hintFor(err)).toContain('tls://');
  });

  test('control client - reply timeout drops the session and the next command reconnects', async () => {
    server = await startScriptedServer(async (s, i) => {
      await s.send(GREETING());
      await s.readLine();
      if (i === 0) return; // never answers
      await s.send('{"Success":true}\n');
    });
    client = new ControlClient({ address: server.address, commandTimeoutMs: 200 });
    expect(await codeOf(client.reload())).toBe('ETIMEDOUT');
    expect(await client.reload()).toEqual({ Success: true });
    expect(server.connections.length).toBe(2);
  });

  test('control client - abort signal stops a pending command', async () => {
    server = await startScriptedServer(async (s) => {
      await s.send(GREETING());
      await s.readToEnd();
    });
    const ac = new AbortController();
    client = new ControlClient({ address: server.address, signal: ac.signal, commandTimeoutMs: 0 });
    const p = client.status();
    setTimeout(() => ac.abort(), 50);
    expect(await codeOf(p)).toBe('EABORTED');
  });

  test('control client - missing socket path and refused connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-cc-'));
    try {
      client = new ControlClient({ address: join(dir, 'nope.sock') });
      const e1 = (await client.status().catch((e: unknown) => e)) as MeshctlError;
      expect(e1.code).toBe('ENOENT_SOCKET');
      expect(e1.message).toBe(`socket '${join(dir, 'nope.sock')}' does not exist`);
      writeFileSync(join(dir, 'file'), 'x');
      expect(await codeOf(new ControlClient({ address: join(dir, 'file') }).status())).toBe('EBADADDRESS');
      const free = net.createServer();
      await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
      const port = (free.address() as net.AddressInfo).port;
      await new Promise<void>((r) => free.close(() => r()));
      const e2 = (await new ControlClient({ address: `tcp://127.0.0.1:${port}` }).status().catch((e: unknown) => e)) as MeshctlError;
      expect(e2.code).toBe('ECONNREFUSED');
      expect(e2.message).toBe(`connection refused by tcp://127.0.0.1:${port}`);
      expect(e2.exitCode).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
