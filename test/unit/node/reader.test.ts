// The control session's line reader: lines split across chunks at every offset, `\r` dropped, a final
// line without newline, and bytes after a line kept for the next reader (the submit payload).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../src/node/control/reader.js';

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
