import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StdoutClosedError, writeChunk } from '../../../src/cmdutil/io/write.js';

describe('write', () => {
  it('write - waits for drain when the buffer is full, and never buffers more than one chunk past it', async () => {
    const seen: number[] = [];
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _enc, cb) {
        seen.push(chunk.length);
        release = cb;
      },
    });
    const first = writeChunk(slow, Buffer.alloc(8));
    let done = false;
    void first.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false); // above highWaterMark: waiting for drain
    expect(slow.writableLength).toBe(8);
    release?.();
    await first;
    expect(seen).toEqual([8]);
  });

  it('write - resolves at once while under the high-water mark', async () => {
    const p = new PassThrough({ highWaterMark: 1024 });
    await writeChunk(p, 'abc');
    expect(p.read()?.toString()).toBe('abc');
  });

  it('write - a destroyed stream rejects with StdoutClosedError', async () => {
    const p = new PassThrough();
    p.destroy();
    await expect(writeChunk(p, 'x')).rejects.toBeInstanceOf(StdoutClosedError);
  });

  it('write - an EPIPE while waiting for drain rejects with StdoutClosedError', async () => {
    const w = new Writable({ highWaterMark: 1, write: () => undefined });
    const p = writeChunk(w, 'xx');
    w.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await expect(p).rejects.toBeInstanceOf(StdoutClosedError);
  });
});
