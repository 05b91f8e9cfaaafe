// A submit's payload is read into reused 1 MiB blocks (src/node/work/intake.ts), on a socket straight from
// Node's reads (ByteReader.pump, src/node/control/reader.ts). Two bugs these tests pin:
// - a submit that sent part of its payload and then stalled without half-closing held a whole block per
//   connection, and none of its bytes reached the stdin file until the block filled (100 stalled submits
//   of 900 KiB: RSS +110 MiB, stdin files empty). After a short idle the part-filled block is now written
//   and the free blocks dropped.
// - nothing failed when the fast path (reading straight into the blocks through Node's private onread
//   slots) silently stopped being used, and the copying fallback had no test of its own.
// Real Unix and TLS sockets, a real node in this process (so its memory can be read), real files.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readerTesting, userBufferHooks } from '../../../src/node/control/reader.js';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { RawConn } from './raw-client.js';
import { expectSameBytes, pattern } from '../../helpers/payload-pattern.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A full garbage collection, so that dropped blocks are gone from arrayBuffers. */
function collect(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

async function write(socket: net.Socket, bytes: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => socket.write(bytes, (err) => (err ? reject(err) : resolve())));
}

async function fileSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => -1,
  );
}

let dir: string;
let pki: TestPki;
let n: TestNode;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-intake-stall-'));
  pki = await makeTestPki(dir, { nodes: [{ name: 'server' }] });
  n = await startTestNode({
    nodeId: 'server', // the name the server certificate carries
    workCommands: [{ worktype: 'cat', command: 'cat' }],
    tlsServer: { cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem },
  });
});

afterAll(async () => {
  await n?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function connect(transport: 'unix' | 'tls'): Promise<RawConn> {
  return transport === 'unix' ? RawConn.connect(n.socketPath) : RawConn.connect(n.tlsAddress!, { ca: pki.ca.certPem, servername: 'localhost' });
}

/** Starts a submit of `cat` and returns the unit ID from `Work unit created`. */
async function startSubmit(c: RawConn): Promise<string> {
  c.send('work submit localhost cat\n');
  const created = await c.readLine(30_000);
  const id = /^Work unit created with ID (\S+)\./.exec(created)?.[1];
  expect(id, created).toBeDefined();
  return id!;
}

describe('intake stall - a submit that stalls mid-payload', () => {
  it('intake stall - 50 submits over unix that stall after 900 KiB get their bytes into stdin, hold far less than a block each, and store every byte once half-closed', async () => {
    const N = 50;
    const SIZE = 900 * KiB;
    collect();
    const before = process.memoryUsage();
    const conns: { c: RawConn; id: string; seed: number }[] = [];
    try {
      for (let k = 0; k < N; k++) {
        const c = await connect('unix');
        conns.push({ c, id: await startSubmit(c), seed: 7919 * k + 11 });
      }
      // Each sends its 900 KiB (less than a block, so before the fix none was ever written) and stalls.
      await Promise.all(conns.map(({ c, seed }) => write(c.socket, pattern(SIZE, seed))));
      const stdin = (id: string): string => path.join(n.dataDir, 'server', id, 'stdin');
      const deadline = Date.now() + 60_000;
      for (;;) {
        const sizes = await Promise.all(conns.map(({ id }) => fileSize(stdin(id))));
        const short = sizes.filter((s) => s !== SIZE).length;
        if (short === 0) break;
        if (Date.now() > deadline) expect.fail(`${short} of ${N} stalled submits have not stored their ${SIZE} bytes: sizes ${sizes.join(' ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // Every connection is still open and stalled here: none has half-closed. A block is dropped just after
      // its write returns, which can be a little after the file shows its size: wait for the memory too.
      let after = process.memoryUsage();
      let grown = Infinity;
      for (const memDeadline = Date.now() + 30_000; ; ) {
        collect();
        after = process.memoryUsage();
        grown = (after.arrayBuffers - before.arrayBuffers) / MiB;
        if (grown < N / 4 || Date.now() > memDeadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(
        `intake stall: ${N} stalled submits of ${SIZE / KiB} KiB: arrayBuffers +${grown.toFixed(1)} MiB, rss +${((after.rss - before.rss) / MiB).toFixed(1)} MiB (client sides included)`,
      );
      // One block each would be N MiB; what is left is a 64 KiB scratch buffer per connection.
      expect(grown).toBeLessThan(N / 4);

      for (const { c } of conns) c.socket.end();
      for (const { c, id, seed } of conns) {
        const final = JSON.parse(await c.readLine(60_000)) as { result: string; unitid: string };
        expect(final).toEqual({ result: 'Job Started', unitid: id });
        expectSameBytes(await readFile(stdin(id)), pattern(SIZE, seed), `unit ${id}`);
      }
    } finally {
      for (const { c } of conns) c.close();
    }
  }, 180_000);

  for (const transport of ['unix', 'tls'] as const) {
    it(`intake stall - over ${transport}, a payload sent in pieces with pauses longer than the idle flush is stored byte for byte`, async () => {
      // Pauses make the sink write part-filled blocks and drop them, then allocate again on the next read.
      const payload = pattern(3 * MiB + 4321, transport === 'tls' ? 5 : 9);
      const c = await connect(transport);
      try {
        const id = await startSubmit(c);
        const pieces = [1, 70_000, 900 * KiB, 5, MiB - 3, 200 * KiB];
        let off = 0;
        for (const size of pieces) {
          await write(c.socket, payload.subarray(off, off + size));
          off += size;
          await new Promise((r) => setTimeout(r, 300));
        }
        await write(c.socket, payload.subarray(off));
        c.socket.end();
        const final = JSON.parse(await c.readLine(60_000)) as { result: string; unitid: string };
        expect(final).toEqual({ result: 'Job Started', unitid: id });
        expectSameBytes(await readFile(path.join(n.dataDir, 'server', id, 'stdin')), payload, `${transport} unit ${id}`);
      } finally {
        c.close();
      }
    }, 60_000);
  }
});

describe('intake fast path - reads straight into the blocks', () => {
  it(`intake fast path - userBufferHooks finds Node's onread slots on a net.Socket and a tls.TLSSocket a server accepted (Node ${process.versions.node})`, async () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
    for (const transport of ['unix', 'tls'] as const) {
      let onSocket!: (s: net.Socket) => void;
      const accepted = new Promise<net.Socket>((resolve) => (onSocket = resolve));
      const server: net.Server =
        transport === 'unix' ? net.createServer(onSocket) : tls.createServer({ cert: pki.nodes.server!.certPem, key: pki.nodes.server!.keyPem }, onSocket);
      const sock = path.join(dir, 'hooks.sock');
      await new Promise<void>((resolve) => (transport === 'unix' ? server.listen(sock, resolve) : server.listen(0, '127.0.0.1', resolve)));
      const client: net.Socket =
        transport === 'unix'
          ? net.connect({ path: sock })
          : tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, ca: pki.ca.certPem, servername: 'localhost' });
      client.on('error', () => undefined);
      try {
        const s = await accepted;
        expect(s instanceof (transport === 'unix' ? net.Socket : tls.TLSSocket)).toBe(true);
        const hooks = userBufferHooks(s);
        expect(hooks, `${transport}: Node's kBuffer/kBufferCb/kBufferGen slots or useUserBuffer were not found`).toBeDefined();
        expect(typeof hooks!.handle.useUserBuffer).toBe('function');
        s.destroy();
      } finally {
        client.destroy();
        await new Promise((r) => server.close(r));
      }
    }
  });

  for (const transport of ['unix', 'tls'] as const) {
    it(`intake fast path - over ${transport}, a submit is read through the fast path, and with it switched off through the copying fallback, byte for byte both ways`, async () => {
      for (const fast of [true, false]) {
        const payload = pattern(2 * MiB + 777, fast ? 1 : 2);
        const installs = readerTesting.installs;
        readerTesting.userBuffer = fast;
        try {
          const c = await connect(transport);
          try {
            const id = await startSubmit(c);
            // In pieces, so the payload is read from the socket, not only from what came with the line.
            for (let off = 0; off < payload.length; off += 300_000) await write(c.socket, payload.subarray(off, off + 300_000));
            c.socket.end();
            const final = JSON.parse(await c.readLine(60_000)) as { result: string; unitid: string };
            expect(final).toEqual({ result: 'Job Started', unitid: id });
            expectSameBytes(await readFile(path.join(n.dataDir, 'server', id, 'stdin')), payload, `${transport} fast=${fast}`);
          } finally {
            c.close();
          }
        } finally {
          readerTesting.userBuffer = true;
        }
        expect(readerTesting.installs - installs, `fast path used (fast=${fast})`).toBe(fast ? 1 : 0);
      }
    }, 60_000);
  }
});
