// The control session's line reader: lines split across chunks at every offset, `\r` dropped, a final
// line without newline, and bytes after a line kept for the next reader (the submit payload); the bounds
// on a line (per request, and the node's budget shared by all connections).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ByteBudget, RequestLimitError, RequestMeter } from '../../../src/node/control/limits.js';
import { ByteReader, MAX_LINE, stripCR } from '../../../src/node/control/reader.js';

async function readAll(chunks: Buffer[]): Promise<{ lines: string[]; eofLine: string; rest: string }> {
  const s = new PassThrough();
  const r = new ByteReader(s);
  for (const c of chunks) s.write(c);
  s.end();
  const lines: string[] = [];
  for (;;) {
    const l = await r.readLine();
    if (l.eof) return { lines, eofLine: l.bytes.toString(), rest: '' };
    lines.push(l.bytes.toString());
    if (l.bytes.toString() === 'PAYLOAD') {
      const parts: Buffer[] = [];
      for (;;) {
        const c = await r.read();
        if (c === null) break;
        parts.push(c);
      }
      return { lines, eofLine: '', rest: Buffer.concat(parts).toString() };
    }
  }
}

describe('control line reader', () => {
  const input = Buffer.from('status\r\n\nping x\rx\nPAYLOAD\nraw\nbytes\r\n');
  it('reader - splits lines at every chunk boundary, drops \\r, keeps the payload bytes', async () => {
    for (let i = 0; i <= input.length; i++) {
      const got = await readAll([input.subarray(0, i), input.subarray(i)]);
      expect(got).toEqual({ lines: ['status', '', 'ping xx', 'PAYLOAD'], eofLine: '', rest: 'raw\nbytes\r\n' });
    }
  });

  it('reader - byte by byte', async () => {
    const chunks = [...input].map((b) => Buffer.from([b]));
    expect(await readAll(chunks)).toEqual({ lines: ['status', '', 'ping xx', 'PAYLOAD'], eofLine: '', rest: 'raw\nbytes\r\n' });
  });

  it('reader - a last line without newline comes with eof', async () => {
    const got = await readAll([Buffer.from('a\nlast')]);
    expect(got).toEqual({ lines: ['a'], eofLine: 'last', rest: '' });
  });
});

describe('control line reader bounds', () => {
  it('reader - drops every \\r, also in runs split across chunks, byte for byte', async () => {
    const line = Buffer.from('a\r\rb\r' + '\r'.repeat(10) + 'c\rd\r\n');
    const want = 'abcd';
    for (let i = 0; i <= line.length; i++) {
      const got = await readAll([line.subarray(0, i), line.subarray(i)]);
      expect(got.lines).toEqual([want]);
    }
    expect(stripCR(Buffer.from('\r\r\r'))).toEqual(Buffer.alloc(0));
    const plain = Buffer.from('no carriage return');
    expect(stripCR(plain)).toBe(plain);
  });

  // Regression (issue 10): a 30 MiB line was buffered whole before anything looked at its size. Now the
  // bound is checked as chunks arrive: the read fails while the client is still sending.
  it('reader - refuses a line over the request bound before its newline arrives', async () => {
    const s = new PassThrough();
    const r = new ByteReader(s);
    const budget = new ByteBudget(1 << 20);
    const meter = new RequestMeter(1000, budget);
    s.write(Buffer.alloc(600, 'x'));
    s.write(Buffer.alloc(600, 'x')); // no newline, stream left open
    const err = await r.readLine(meter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestLimitError);
    expect((err as RequestLimitError).kind).toBe('request');
    expect((err as RequestLimitError).clientMessage()).toBe('request over the limit of 1000 bytes (maxRequestBytes); closing the connection');
    // What was counted before the refusal stays with the meter until the session releases it.
    expect(budget.inUse).toBe(meter.size);
    meter.release();
    expect(budget.inUse).toBe(0);
    s.destroy();
  });

  it('reader - a line of exactly the bound is accepted, and \\r bytes do not count', async () => {
    const s = new PassThrough();
    const r = new ByteReader(s);
    const meter = new RequestMeter(10);
    s.end(Buffer.from('0123\r\r\r456789\nnext'));
    const line = await r.readLine(meter);
    expect(line.bytes.toString()).toBe('0123456789');
    expect(meter.size).toBe(10);
  });

  it('reader - lines of several connections share the node budget; the one that would exceed it is refused', async () => {
    const budget = new ByteBudget(1500);
    const a = new PassThrough();
    const b = new PassThrough();
    const ma = new RequestMeter(1000, budget);
    const mb = new RequestMeter(1000, budget);
    const ra = new ByteReader(a).readLine(ma);
    a.write(Buffer.alloc(900, 'a'));
    await new Promise((r) => setImmediate(r));
    expect(budget.inUse).toBe(900);
    const rb = new ByteReader(b).readLine(mb).catch((e: unknown) => e);
    b.write(Buffer.alloc(700, 'b'));
    const err = await rb;
    expect(err).toBeInstanceOf(RequestLimitError);
    expect((err as RequestLimitError).kind).toBe('buffered');
    expect((err as RequestLimitError).clientMessage()).toBe(
      'requests in progress on this node would exceed 1500 bytes (maxBufferedBytes); closing the connection, try again later',
    );
    mb.release();
    a.end(Buffer.from('a\n'));
    expect((await ra).bytes.length).toBe(901);
    expect(budget.inUse).toBe(901);
    ma.release();
    expect(budget.inUse).toBe(0);
  });

  it('reader - without a meter a line is bounded by MAX_LINE (a remote node\'s replies)', async () => {
    const s = new PassThrough();
    const r = new ByteReader(s);
    const chunk = Buffer.alloc(1 << 20, 'x');
    const p = r.readLine().catch((e: unknown) => e);
    for (let n = 0; n <= MAX_LINE / chunk.length; n++) s.write(chunk);
    const err = await p;
    expect(err).toBeInstanceOf(RequestLimitError);
    expect((err as Error).message).toBe(`request larger than ${MAX_LINE} bytes`);
    s.destroy();
  });
});
