// The control socket's mode from the moment it exists. Regression: the node listened and then chmod'ed
// (as Receptor does, pkg/utils/unixsock.go), so between the two the socket had the umask's mode: 0755,
// or 0777 under umask 0, when any local user may connect. The node now binds in a private directory and
// renames the socket into place (src/node/control/listeners.ts bindUnixPrivately).
//
// The mode is watched as early as anything can see it: a worker thread calls lstat() on the path in a
// tight loop while the node starts (a few microseconds apart), and fs.watch stats it on the directory's
// creation event. The test process runs with umask 0, the worst case.
import { lstatSync, watch } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/index.js';
import { listenUnix } from '../../../src/node/control/listeners.js';
import { startNode } from '../../../src/node/node.js';

/** Spins lstat(file) on another thread; stop() returns every mode seen (as octal text), in order of first sight. */
function spinLstat(file: string): { ready: Promise<void>; stop(): Promise<string[]> } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const { lstatSync } = require('node:fs');
     const flag = workerData.flag;
     const seen = [];
     parentPort.postMessage('ready');
     const look = () => {
       try {
         const m = (lstatSync(workerData.file).mode & 0o7777).toString(8);
         if (!seen.includes(m)) seen.push(m);
       } catch {}
     };
     while (Atomics.load(flag, 0) === 0) look();
     // One last look after stop(): on a busy machine this thread may not have run since the file appeared.
     look();
     parentPort.postMessage(seen);`,
    { eval: true, workerData: { file, flag } },
  );
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const result = new Promise<string[]>((resolve, reject) => {
    worker.on('message', (msg: unknown) => (msg === 'ready' ? readyResolve() : resolve(msg as string[])));
    worker.once('error', reject);
  });
  return {
    ready,
    async stop() {
      Atomics.store(flag, 0, 1);
      const seen = await result;
      await worker.terminate();
      return seen;
    },
  };
}

/** Modes fs.watch saw the file with, stat'ed on each event for it. */
function watchModes(dir: string, name: string): { stop(): string[] } {
  const seen: string[] = [];
  const w = watch(dir, (_event, file) => {
    if (file !== name) return;
    try {
      const m = (lstatSync(path.join(dir, name)).mode & 0o7777).toString(8);
      if (!seen.includes(m)) seen.push(m);
    } catch {
      // gone again
    }
  });
  return {
    stop() {
      w.close();
      return seen;
    },
  };
}

describe('control socket mode', () => {
  let dir: string;
  let oldUmask: number;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-sockmode-'));
    oldUmask = process.umask(0);
  });
  afterAll(async () => {
    process.umask(oldUmask);
    await rm(dir, { recursive: true, force: true });
  });

  const startWith = async (name: string, permissions?: string): Promise<{ file: string; seen: string[]; watched: string[]; close(): Promise<void> }> => {
    const sub = await mkdtemp(path.join(dir, `${name}-`));
    const file = path.join(sub, 'ctl.sock');
    const yaml = [
      '- node:',
      `    id: ${name}`,
      `    datadir: ${JSON.stringify(path.join(sub, 'data'))}`,
      '- control-service:',
      `    filename: ${JSON.stringify(file)}`,
      ...(permissions ? [`    permissions: ${permissions}`] : []),
    ].join('\n');
    await writeFile(path.join(sub, 'receptor.yaml'), yaml + '\n');
    const spin = spinLstat(file);
    await spin.ready;
    const watcher = watchModes(sub, 'ctl.sock');
    const node = await startNode(await loadConfigFile(path.join(sub, 'receptor.yaml')));
    // Let the watcher's events and a few more lstat rounds come in.
    await new Promise((r) => setTimeout(r, 100));
    return { file, seen: await spin.stop(), watched: watcher.stop(), close: () => node.close() };
  };

  it('control socket - regression: the socket was 0777 (umask 0) between bind and chmod; it is 0600 from its creation', async () => {
    // The old window was well under a millisecond: a few starts make sure a spinning lstat would see it.
    for (let round = 0; round < 4; round++) {
      const n = await startWith(`sockround${round}`);
      await n.close();
      expect(n.seen).toEqual(['600']);
      expect(n.watched.every((m) => m === '600')).toBe(true);
    }
    const n = await startWith('sockdefault');
    try {
      expect(n.seen).toEqual(['600']);
      expect(n.watched.every((m) => m === '600')).toBe(true);
      // Still a working control socket, and no private directory is left next to it.
      await new Promise<void>((resolve, reject) => {
        const s = net.connect(n.file, () => {
          s.destroy();
          resolve();
        });
        s.once('error', reject);
      });
      expect(await readdir(path.dirname(n.file))).toEqual(['ctl.sock', 'data', 'receptor.yaml'].sort());
    } finally {
      await n.close();
    }
  });

  it('control socket - a configured mode (0660) is the first and only mode the socket has', async () => {
    const n = await startWith('sockgroup', '0660');
    try {
      expect(n.seen).toEqual(['660']);
    } finally {
      await n.close();
    }
  });

  it('control socket - a path near the 107-byte limit binds through the private directory\'s descriptor, still 0600', async () => {
    // A directory of 100 bytes: the socket (106 bytes) fits in sun_path, `<dir>/.sock-XXXXXX/s` (115) does not.
    const base = await mkdtemp(path.join(dir, 'long-'));
    const deep = path.join(base, 'd'.repeat(100 - base.length - 1));
    await mkdir(deep);
    const target = path.join(deep, 'c.sck');
    expect(Buffer.byteLength(target)).toBe(106);
    const spin = spinLstat(target);
    await spin.ready;
    const server = await listenUnix(target, 0o600, (s) => s.end('hi\n'));
    try {
      expect(await spin.stop()).toEqual(['600']);
      const got = await new Promise<string>((resolve, reject) => {
        const s = net.connect(target);
        let buf = '';
        s.on('data', (d: Buffer) => (buf += d.toString()));
        s.once('end', () => resolve(buf));
        s.once('error', reject);
      });
      expect(got).toBe('hi\n');
      expect(await readdir(deep)).toEqual(['c.sck']);
    } finally {
      await new Promise((r) => server.close(r));
    }
    // Longer than sun_path: one line naming the file (Node would silently bind a truncated path).
    const tooLong = path.join(base, 'x'.repeat(120));
    await expect(listenUnix(tooLong, 0o600, () => undefined)).rejects.toThrow(`error opening Unix socket: ${tooLong}: the path is longer than 107 bytes`);
  });

  it('control socket - a live socket at the path is refused, a dead one replaced', async () => {
    const sub = await mkdtemp(path.join(dir, 'reuse-'));
    const file = path.join(sub, 'ctl.sock');
    const live = await listenUnix(file, 0o600, (s) => s.end());
    await expect(listenUnix(file, 0o600, () => undefined)).rejects.toThrow(`error opening Unix socket: ${file} is in use by another process`);
    await new Promise((r) => live.close(r));
    // A dead socket, as a crashed node leaves it (a socket file nobody listens on).
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(path.join(sub, 'dead.sock'), r));
    await rename(path.join(sub, 'dead.sock'), file);
    await new Promise((r) => dead.close(r));
    const ino = lstatSync(file).ino;
    const again = await listenUnix(file, 0o600, (s) => s.end());
    try {
      expect(lstatSync(file).ino).not.toBe(ino);
      expect((lstatSync(file).mode & 0o7777).toString(8)).toBe('600');
    } finally {
      await new Promise((r) => again.close(r));
    }
  });
});
