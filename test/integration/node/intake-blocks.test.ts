// A submit's payload is read into a few reused blocks (issue 13: ingest as fast as receptor, memory flat),
// on a socket by Node itself (ByteReader.pump with `onread`), and each block is written to the stdin file
// while the next one fills. The bug these tests pin: a block read into again before its write is over (or
// a read buffer refilled before its bytes were copied out) stores bytes of a later part of the payload in
// place of an earlier one. Payloads carry a pattern in which every 4-byte word differs, so any block
// written twice, out of order or overwritten shows as a mismatch at its offset. Real Unix and TLS sockets,
// real files.
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteReader } from '../../../src/node/control/reader.js';
import { StdinSink } from '../../../src/node/work/intake.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { RawConn } from './raw-client.js';
import { expectSameBytes, pattern } from '../../helpers/payload-pattern.js';

const MiB = 1024 * 1024;

/** Sends `payload` in uneven chunks (1 byte to ~200 KiB), waiting for drain, then half-closes. */
async function sendUneven(socket: net.Socket, payload: Buffer): Promise<void> {
  const sizes = [1, 7, 4096, 65_539, 200_000, 13, 131_072];
  for (let off = 0, k = 0; off < payload.length; k++) {
    const n = Math.min(sizes[k % sizes.length]!, payload.length - off);
    if (!socket.write(payload.subarray(off, off + n))) await new Promise((r) => socket.once('drain', r));
    off += n;
  }
  socket.end();
}

let dir: string;
let pki: TestPki;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-intake-blocks-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'server' }] });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('intake blocks - a node stores every payload byte for byte', () => {
  let n: TestNode;
  beforeAll(async () => {
    n = await startTestNode({
      nodeId: 'server', // the name the server certificate carries
      workCommands: [{ worktype: 'cat', command: 'cat' }],
      tlsServer: { cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem },
    });
  });
  afterAll(async () => {
    await n?.close();
  });

  // Around the read size (64 KiB), a TLS record (16 KiB), a block (1 MiB) and the pool (3 MiB), and beyond.
  const sizes = [0, 1, 4095, 16_384, 65_535, 65_536, 65_537, MiB - 1, MiB, MiB + 1, 3 * MiB + 12_345, 9 * MiB + 7];
  for (const transport of ['unix', 'tls'] as const) {
    it(
      `intake blocks - over ${transport}, payloads of ${sizes.length} sizes from 0 to 9 MiB reach the unit's stdin file unchanged`,
      async () => {
        for (const [k, size] of sizes.entries()) {
          const payload = pattern(size, 1000 * k + (transport === 'tls' ? 7 : 3));
          const c = transport === 'unix' ? await RawConn.connect(n.socketPath) : await RawConn.connect(n.tlsAddress!, { ca: pki.ca.certPem, servername: 'localhost' });
          try {
            c.send('work submit localhost cat\n');
            const created = await c.readLine();
            const id = /^Work unit created with ID (\S+)\./.exec(created)?.[1];
            expect(id, created).toBeDefined();
            await sendUneven(c.socket, payload);
            const final = JSON.parse(await c.readLine(60_000)) as { result: string; unitid: string };
            expect(final).toEqual({ result: 'Job Started', unitid: id });
            expectSameBytes(await readFile(path.join(n.dataDir, 'server', id!, 'stdin')), payload, `${transport} ${size} bytes`);
          } finally {
            c.close();
          }
        }
      },
      120_000,
    );
  }
});

describe('intake blocks - reading into reused blocks while the file is slow', () => {
  /**
   * One connection read by ByteReader.pump into a StdinSink of two 32 KiB blocks whose file writes are
   * delayed (0-2 ms, a slow disk): reading stalls again and again, reads land in the scratch buffer and
   * are held back until a block is free. The request line comes first, with payload bytes behind it in the
   * same write, as a client that does not wait for `Work unit created` sends them.
   */
  async function pumpThrough(transport: 'unix' | 'tls', payload: Buffer): Promise<{ stored: Buffer; count: number; end: string }> {
    const file = path.join(dir, `stdin-${transport}-${payload.length}`);
    let server: net.Server;
    const served = new Promise<{ count: number; end: string }>((resolve, reject) => {
      const onSocket = (socket: net.Socket): void => {
        void (async () => {
          const fh = await open(file, 'w');
          try {
            const reader = new ByteReader(socket);
            const line = await reader.readLine();
            expect(line.bytes.toString()).toBe('work submit localhost cat');
            const slow = {
              write: async (b: Buffer, off: number, len: number) => {
                await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 3)));
                return fh.write(b, off, len);
              },
            };
            const sink = new StdinSink(slow, file, { block: 32 * 1024, blocks: 2 });
            const end = await reader.pump(sink);
            await sink.finish();
            expect(sink.failure).toBeUndefined();
            socket.end();
            resolve({ count: sink.stored, end });
          } finally {
            await fh.close();
          }
        })().catch(reject);
      };
      server =
        transport === 'unix'
          ? net.createServer({ allowHalfOpen: true }, onSocket)
          : tls.createServer({ allowHalfOpen: true, cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem }, onSocket);
    });
    const address = transport === 'unix' ? path.join(dir, `s-${payload.length}.sock`) : undefined;
    await new Promise<void>((resolve) => (address ? server!.listen(address, resolve) : server!.listen(0, '127.0.0.1', resolve)));
    try {
      const client: net.Socket = await new Promise((resolve, reject) => {
        const s: net.Socket =
          transport === 'unix'
            ? net.connect({ path: address!, allowHalfOpen: true }, () => resolve(s))
            : tls.connect({ host: '127.0.0.1', port: (server!.address() as net.AddressInfo).port, ca: pki.ca.certPem, servername: 'localhost' }, () => resolve(s));
        s.once('error', reject);
      });
      client.resume();
      const head = Math.min(payload.length, 5000);
      client.write(Buffer.concat([Buffer.from('work submit localhost cat\n'), payload.subarray(0, head)]));
      await sendUneven(client, payload.subarray(head));
      const { count, end } = await served;
      client.destroy();
      return { stored: await readFile(file), count, end };
    } finally {
      await new Promise((r) => server!.close(r));
    }
  }

  for (const transport of ['unix', 'tls'] as const) {
    it(
      `intake blocks - over ${transport}, a payload through two 32 KiB blocks and a slow file is stored byte for byte`,
      async () => {
        for (const size of [3, 32 * 1024 - 1, 32 * 1024, 300_001, 2 * MiB + 321]) {
          const payload = size === 3 ? randomBytes(3) : pattern(size, size);
          const { stored, count, end } = await pumpThrough(transport, payload);
          expect(end).toBe('eof');
          expect(count).toBe(size);
          expectSameBytes(stored, payload, `${transport} ${size} bytes`);
        }
      },
      120_000,
    );
  }
});

describe('intake blocks - a slow disk is not a stalled client', () => {
  // The idle flush (9a6afa8) drops a sink's blocks when its client stops sending for 75 ms. A pause the sink
  // causes itself (every block full or being written while a write takes longer than that, as when Linux
  // throttles a writer of many dirty pages) must not count: the blocks stay and are read into again, rather than
  // three fresh 1 MiB allocations after every slow write.
  it('intake blocks - while the sink waits for slow writes it keeps and reuses its blocks, and stores every byte', async () => {
    const file = path.join(dir, 'slow-disk-stdin');
    const fh = await open(file, 'w');
    const written = new Set<ArrayBufferLike>();
    try {
      const slow = {
        write: async (b: Buffer, off: number, len: number) => {
          written.add(b.buffer);
          await new Promise((r) => setTimeout(r, 150));
          return fh.write(b, off, len);
        },
      };
      const sink = new StdinSink(slow, file, { block: 64 * 1024, blocks: 3 });
      const payload = pattern(1 * MiB + 12345, 7);
      // What ByteReader.pump does with a client that always has more to send: fill whatever room there is.
      for (let off = 0; off < payload.length; ) {
        const room = sink.space();
        if (!room) {
          await sink.ready();
          continue;
        }
        const n = payload.copy(room, 0, off);
        off += n;
        sink.filled(n);
      }
      await sink.finish();
      expect(sink.failure).toBeUndefined();
      expect(written.size, 'distinct blocks written').toBeLessThanOrEqual(3);
      await fh.close();
      expectSameBytes(await readFile(file), payload, 'slow disk');
    } finally {
      await fh.close().catch(() => undefined);
    }
  }, 60_000);
});
