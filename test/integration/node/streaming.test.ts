// Large and slow streams: results of 200 MiB reach the client byte-exact while the node process's memory
// stays flat (the node runs as a child process so its RSS can be read from /proc), and a client that
// stops reading does not hold up other sessions.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnTestNode, startTestNode } from '../../helpers/node.js';
import { exchange, RawConn, submit, waitForStatus } from './raw-client.js';

const MiB = 1024 * 1024;

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

describe('results streaming', () => {
  it(
    'streaming - 200 MiB of results arrive byte-exact while the node RSS stays flat',
    async () => {
      const size = 200 * MiB;
      const node = await spawnTestNode({
        nodeId: 'big',
        workCommands: [
          {
            worktype: 'gen',
            command: 'sh',
            params: `-c "yes 'the quick brown fox jumps over the lazy dog 0123456789' | head -c ${size}"`,
          },
        ],
      });
      try {
        // Warm the node up (first session, first unit) before taking the baseline.
        const warm = await submit(node.socketPath, 'work submit localhost gen');
        await exchange(node.socketPath, `work release ${warm}\n`);
        const baseline = await rssOf(node.pid);

        const id = await submit(node.socketPath, 'work submit localhost gen');
        const c = await RawConn.connect(node.socketPath);
        const header = `Streaming results for work unit ${id}\n`;
        c.send(`work results ${id}\n`);
        c.end();
        const hash = createHash('sha256');
        let received = 0;
        let headerSeen = false;
        let peak = baseline;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            peak = Math.max(peak, await rssOf(node.pid).catch(() => 0));
            await new Promise((r) => setTimeout(r, 25));
          }
        })();
        await new Promise<void>((resolve, reject) => {
          // Consume straight from the socket: the test must not buffer 200 MiB itself.
          c.socket.removeAllListeners('data');
          let pending = c.pending;
          const onData = (d: Buffer): void => {
            if (!headerSeen) {
              pending = Buffer.concat([pending, d]);
              if (pending.length < header.length) return;
              expect(pending.subarray(0, header.length).toString()).toBe(header);
              headerSeen = true;
              d = pending.subarray(header.length);
            }
            received += d.length;
            hash.update(d);
          };
          if (pending.length > 0) {
            const first = pending;
            pending = Buffer.alloc(0);
            onData(first);
          }
          c.socket.on('data', onData);
          c.socket.once('end', () => resolve());
          c.socket.once('error', reject);
        });
        sampling = false;
        await sampler;
        c.close();
        expect(received).toBe(size);
        const unitStdout = path.join(node.dataDir, 'big', id, 'stdout');
        expect(hash.digest('hex')).toBe(await sha256File(unitStdout));
        const s = await waitForStatus(node.socketPath, id, (x) => x.State >= 2);
        expect(s).toMatchObject({ State: 2, StdoutSize: size });
        if (process.env.MESHCTL_TEST_DEBUG) console.log(`rss baseline ${baseline} peak ${peak}`);
        // Streaming 200 MiB must not cost anywhere near 200 MiB.
        expect(peak - baseline).toBeLessThan(64 * MiB);
      } finally {
        await node.close();
      }
    },
    60_000,
  );

  it(
    'streaming - a 100 MiB payload is stored without the node holding it in memory',
    async () => {
      const size = 100 * MiB;
      const node = await spawnTestNode({ nodeId: 'upload', workCommands: [{ worktype: 'count', command: 'wc', params: '-c' }] });
      try {
        const warm = await RawConn.connect(node.socketPath);
        warm.close();
        const baseline = await rssOf(node.pid);
        let peak = baseline;
        const c = await RawConn.connect(node.socketPath);
        c.send('work submit localhost count\n');
        const id = /with ID (\S+)\./.exec(await c.readLine())![1]!;
        const chunk = Buffer.alloc(256 * 1024, 0x61);
        for (let sent = 0; sent < size; sent += chunk.length) {
          if (!c.socket.write(chunk)) await new Promise((r) => c.socket.once('drain', r));
          if ((sent / chunk.length) % 40 === 0) peak = Math.max(peak, await rssOf(node.pid));
        }
        c.end();
        expect(await c.readLine(30_000)).toBe(`{"result":"Job Started","unitid":"${id}"}`);
        c.close();
        peak = Math.max(peak, await rssOf(node.pid));
        await waitForStatus(node.socketPath, id, (s) => s.State === 2, 30_000);
        expect(await exchange(node.socketPath, `work results ${id}\n`)).toEqual([`Streaming results for work unit ${id}`, String(size)]);
        expect(peak - baseline).toBeLessThan(64 * MiB);
      } finally {
        await node.close();
      }
    },
    60_000,
  );

  it('streaming - a client that stops reading does not stall other sessions', async () => {
    const node = await startTestNode({
      nodeId: 'slow',
      workCommands: [
        { worktype: 'gen', command: 'head', params: `-c ${32 * MiB} /dev/urandom` },
        { worktype: 'cat', command: 'cat' },
      ],
    });
    try {
      const big = await submit(node.socketPath, 'work submit localhost gen');
      await waitForStatus(node.socketPath, big, (s) => s.State === 2);
      // The stuck reader: asks for 32 MiB and never reads.
      const stuck = await RawConn.connect(node.socketPath);
      stuck.socket.pause();
      stuck.socket.removeAllListeners('data');
      stuck.send(`work results ${big}\n`);
      stuck.end();
      // Others keep working meanwhile: commands, submits, another full results stream.
      const small = await submit(node.socketPath, 'work submit localhost cat', 'small payload\n');
      await waitForStatus(node.socketPath, small, (s) => s.State === 2);
      expect(await exchange(node.socketPath, `work results ${small}\n`)).toEqual([
        `Streaming results for work unit ${small}`,
        'small payload',
      ]);
      const other = await RawConn.connect(node.socketPath);
      other.send(`work results ${big}\n`);
      other.end();
      const all = await other.readToEnd(30_000);
      other.close();
      const header = `Streaming results for work unit ${big}\n`;
      expect(all.subarray(0, header.length).toString()).toBe(header);
      expect(all.length - header.length).toBe(32 * MiB);
      expect(createHash('sha256').update(all.subarray(header.length)).digest('hex')).toBe(
        await sha256File(path.join(node.dataDir, 'slow', big, 'stdout')),
      );
      // The stuck client resumes and still gets every byte.
      const h = createHash('sha256');
      let got = 0;
      let head = Buffer.alloc(0);
      await new Promise<void>((resolve) => {
        stuck.socket.on('data', (d: Buffer) => {
          if (head.length < header.length) {
            const need = header.length - head.length;
            head = Buffer.concat([head, d.subarray(0, need)]);
            d = d.subarray(need);
          }
          got += d.length;
          h.update(d);
        });
        stuck.socket.once('end', () => resolve());
        stuck.socket.resume();
      });
      stuck.close();
      expect(head.toString()).toBe(header);
      expect(got).toBe(32 * MiB);
    } finally {
      await node.close();
    }
  }, 60_000);
});
