// A submit's payload (issue 10): the node never runs a unit on a payload it did not receive whole, never
// leaves a unit Pending without a client, and never reads the rest of a failed payload as commands.
// Real sockets (TCP resets, Unix sockets closed outright), a real tmpfs for disk full.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { exchange, RawConn, submit, waitForStatus } from './raw-client.js';

const workCommands = [{ worktype: 'cat', command: 'cat' }];

type Status = { State: number; Detail: string; StdoutSize: number };

async function listUnits(address: string): Promise<Record<string, Status>> {
  const [line] = await exchange(address, 'work list\n');
  return JSON.parse(line!) as Record<string, Status>;
}

/** Opens a connection that is not half-open-capable on purpose: like a client process, it closes outright. */
function rawSocket(address: string): Promise<net.Socket> {
  const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(address);
  return new Promise((resolve, reject) => {
    const s = m ? net.connect({ host: m[1], port: Number(m[2]) }) : net.connect({ path: address });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads until `re` matches what arrived; resolves with the text. */
function readUntil(s: net.Socket, re: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out; have ${JSON.stringify(text)}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (re.test(text)) {
        clearTimeout(timer);
        s.off('data', onData);
        resolve(text);
      }
    };
    s.on('data', onData);
  });
}

describe('submit intake - cut payloads never run', () => {
  let n: TestNode;
  beforeAll(async () => {
    n = await startTestNode({ nodeId: 'intake', workCommands, tcp: true });
  });
  afterAll(async () => {
    await n.close();
  });

  it('intake - a TCP submit reset after 10 payload bytes is Failed (connection reset by peer), 20 of 20, and never runs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await rawSocket(n.tcpAddress!);
      s.write('work submit localhost cat\n');
      const created = await readUntil(s, /Send stdin data and EOF\.\n/);
      const id = /with ID (\S+)\./.exec(created)![1]!;
      ids.push(id);
      s.write('0123456789', () => s.resetAndDestroy());
    }
    for (const id of ids) {
      const st = await waitForStatus(n.socketPath, id, (x) => x.State !== 0);
      expect(st).toMatchObject({ State: 3, Detail: 'Error reading input data: read: connection reset by peer' });
      // Never started: the program would have created the stdout file.
      expect(existsSync(path.join(n.dataDir, 'intake', id, 'stdout'))).toBe(false);
    }
  });

  it('intake - a Unix-socket client that closes outright (no half-close) mid-payload is Failed and never runs', async () => {
    const s = await rawSocket(n.socketPath);
    s.write('work submit localhost cat\n');
    const id = /with ID (\S+)\./.exec(await readUntil(s, /Send stdin data and EOF\.\n/))![1]!;
    await new Promise<void>((resolve) => s.write(Buffer.alloc(64 * 1024, 0x61), () => resolve()));
    s.destroy();
    const st = await waitForStatus(n.socketPath, id, (x) => x.State !== 0);
    expect(st).toMatchObject({ State: 3, Detail: 'Error reading input data: write: broken pipe' });
    expect(existsSync(path.join(n.dataDir, 'intake', id, 'stdout'))).toBe(false);
  });

  it('intake - a half-close still ends the payload: the unit runs on all of it', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024, 0x62);
    const id = await submit(n.socketPath, 'work submit localhost cat', payload);
    expect(await waitForStatus(n.socketPath, id, (x) => x.State === 2)).toMatchObject({ StdoutSize: payload.length });
    const tcpId = await submit(n.tcpAddress!, 'work submit localhost cat', payload);
    expect(await waitForStatus(n.socketPath, tcpId, (x) => x.State === 2)).toMatchObject({ StdoutSize: payload.length });
  });

  it('intake - a client gone before the "Work unit created" line leaves no unit Pending, and results on it end', async () => {
    const before = new Set(Object.keys(await listUnits(n.socketPath)));
    for (let i = 0; i < 10; i++) {
      const s = await rawSocket(n.socketPath);
      s.end('work submit localhost cat\n');
      s.destroy();
    }
    let fresh: [string, Status][] = [];
    const deadline = Date.now() + 10_000;
    for (;;) {
      fresh = Object.entries(await listUnits(n.socketPath)).filter(([id]) => !before.has(id));
      if (fresh.length > 0 && fresh.every(([, st]) => st.State !== 0)) break;
      if (Date.now() > deadline) throw new Error(`units still pending: ${JSON.stringify(fresh)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const [id, st] of fresh) {
      expect(st.State).toBe(3);
      expect(st.Detail).toMatch(/^Error reading input data: (write: broken pipe|read: connection reset by peer)$/);
      // `work results` on a Failed unit ends instead of waiting forever.
      const c = await RawConn.connect(n.socketPath);
      c.send(`work results ${id}\n`);
      c.end();
      expect(await c.readLine()).toBe(`Streaming results for work unit ${id}`);
      expect((await c.readToEnd(10_000)).length).toBe(0);
      c.close();
    }
  });

  it('intake - a start position beyond 2^53 streams nothing (it used to stream from byte 0)', async () => {
    const id = await submit(n.socketPath, 'work submit localhost cat', 'abcdef');
    await waitForStatus(n.socketPath, id, (x) => x.State === 2);
    for (const request of [`work results ${id} 9007199254740993\n`, `work results ${id} 9223372036854775807\n`, `{"command":"work","subcommand":"results","unitid":"${id}","startpos":1e19}\n`]) {
      expect(await exchange(n.socketPath, request)).toEqual([`Streaming results for work unit ${id}`]);
    }
    expect(await exchange(n.socketPath, `work results ${id} 2\n`)).toEqual([`Streaming results for work unit ${id}`, 'cdef']);
  });
});

/** Mounts a small tmpfs (root only); undefined where mounting is not possible here. */
function tryMountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('submit intake - disk full', () => {
  let root: string;
  let mounted = false;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'meshctl-enospc-'));
    await mkdir(path.join(root, 'data'));
    mounted = tryMountTmpfs(path.join(root, 'data'), '1m');
    // CI runs as root, where this mounts; elsewhere the test says why it did not run.
    if (!mounted) console.warn('disk-full test not run: cannot mount a tmpfs here (needs root)');
  });
  afterAll(async () => {
    // Lazy: a program the test failed to stop must not fail the clean-up as well.
    if (mounted) execFileSync('umount', ['-l', path.join(root, 'data')]);
    await rm(root, { recursive: true, force: true });
  });

  it('intake - disk full fails the unit with ENOSPC, answers ERROR while the client sends, and never reads payload as commands', async (ctx) => {
    if (!mounted) ctx.skip();
    const n = await startTestNode({ nodeId: 'full', dir: root, workCommands: [...workCommands, { worktype: 'sh', command: 'sh', params: '-c "echo ran"' }] });
    try {
      const victim = await submit(n.socketPath, 'work submit localhost cat', 'keep me');
      await waitForStatus(n.socketPath, victim, (x) => x.State === 2);
      // 4 MiB of payload that would release the victim and start a shell if it were read as commands.
      const line = Buffer.from(`work release ${victim}\nwork submit localhost sh\n`);
      const payload = Buffer.concat(Array.from({ length: Math.ceil((4 * 1024 * 1024) / line.length) }, () => line));
      const c = await RawConn.connect(n.socketPath);
      c.send('work submit localhost cat\n');
      const id = /with ID (\S+)\./.exec(await c.readLine())![1]!;
      // Sent in pieces, reading replies meanwhile: the ERROR arrives before the client is done sending.
      let sent = 0;
      let reply = '';
      const replied = c.readLine(30_000).then((l) => (reply = l));
      while (sent < payload.length && reply === '') {
        const piece = payload.subarray(sent, sent + 64 * 1024);
        await new Promise<void>((resolve) => c.socket.write(piece, () => resolve()));
        sent += piece.length;
      }
      await replied;
      expect(reply).toBe(`ERROR: write ${path.join(n.dataDir, 'full', id, 'stdin')}: no space left on device`);
      expect(sent).toBeLessThan(payload.length);
      c.close();
      const st = await waitForStatus(n.socketPath, id, (x) => x.State !== 0);
      expect(st).toMatchObject({ State: 3, Detail: `Error reading input data: write ${path.join(n.dataDir, 'full', id, 'stdin')}: no space left on device` });
      // Nothing of the payload ran as a command: the victim is still there, and no shell unit appeared.
      const units = await listUnits(n.socketPath);
      expect(units[victim]).toMatchObject({ State: 2 });
      expect(Object.keys(units).sort()).toEqual([id, victim].sort());
    } finally {
      await n.node.close();
    }
  });
});
