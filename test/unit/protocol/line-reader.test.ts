import { describe, expect, test, vi } from 'vitest';
import { LineReader } from '../../../src/protocol/line-reader.js';
import { TRANSCRIPTS } from '../../fixtures/protocol/transcripts.js';

/** Feeds `chunks` and reads `n` lines as soon as each is complete, then takes the rest. */
function run(chunks: Buffer[], n: number): { lines: string[]; rest: Buffer } {
  const r = new LineReader();
  const lines: string[] = [];
  for (const c of chunks) {
    r.push(c);
    while (lines.length < n) {
      const l = r.nextLine();
      if (l === null) break;
      lines.push(l);
    }
  }
  return { lines, rest: r.takeRest() };
}

describe.each(TRANSCRIPTS)('line reader - $name', (t) => {
  test('line reader - whole stream in one chunk', () => {
    const got = run([t.server], t.lines.length);
    expect(got.lines).toEqual(t.lines);
    expect(got.rest.equals(t.rest)).toBe(true);
  });

  test('line reader - split at every offset into two chunks', () => {
    for (let i = 0; i <= t.server.length; i++) {
      const got = run([t.server.subarray(0, i), t.server.subarray(i)], t.lines.length);
      expect(got.lines, `split at ${i}`).toEqual(t.lines);
      expect(got.rest.equals(t.rest), `split at ${i}`).toBe(true);
    }
  });

  test('line reader - split at every pair of offsets into three chunks', () => {
    const n = t.server.length;
    const step = n > 200 ? 7 : 1;
    for (let i = 0; i <= n; i += step) {
      for (let j = i; j <= n; j += step) {
        const got = run([t.server.subarray(0, i), t.server.subarray(i, j), t.server.subarray(j)], t.lines.length);
        expect(got.lines).toEqual(t.lines);
        expect(got.rest.equals(t.rest)).toBe(true);
      }
    }
  });

  test('line reader - byte by byte', () => {
    const chunks = [...t.server].map((x) => Buffer.from([x]));
    const got = run(chunks, t.lines.length);
    expect(got.lines).toEqual(t.lines);
    expect(got.rest.equals(t.rest)).toBe(true);
  });
});

describe('line reader - edge cases', () => {
  test('line reader - returns null until a newline arrives, keeps partial bytes', () => {
    const r = new LineReader();
    r.push(Buffer.from('Receptor Con'));
    expect(r.nextLine()).toBeNull();
    expect(r.buffered).toBe(12);
    r.push(Buffer.from('trol, node x\nrest'));
    expect(r.nextLine()).toBe('Receptor Control, node x');
    expect(r.nextLine()).toBeNull();
    expect(r.takeRest().toString()).toBe('rest');
    expect(r.buffered).toBe(0);
  });

  test('line reader - drops a CR before LF but keeps CR inside a line', () => {
    const r = new LineReader();
    r.push(Buffer.from('a\rb\r\nc\n'));
    expect(r.nextLine()).toBe('a\rb');
    expect(r.nextLine()).toBe('c');
  });

  test('line reader - empty lines are lines', () => {
    const r = new LineReader();
    r.push(Buffer.from('\n\nx\n'));
    expect([r.nextLine(), r.nextLine(), r.nextLine(), r.nextLine()]).toEqual(['', '', 'x', null]);
  });

  test('line reader - multi-byte UTF-8 split across chunks decodes once whole', () => {
    const line = Buffer.from('{"TimeStr":"18.054µs"}\n');
    const at = line.indexOf(0xb5); // second byte of µ (C2 B5)
    const r = new LineReader();
    r.push(line.subarray(0, at));
    expect(r.nextLine()).toBeNull();
    r.push(line.subarray(at));
    expect(r.nextLine()).toBe('{"TimeStr":"18.054µs"}');
  });
});

describe('line reader - linear in the reply size', () => {
  // Regression (issue 13, "Large replies"): push() joined the buffered partial line with every new chunk, so a
  // one-line 74 MB reply arriving in 64 KiB chunks was copied ~1,100 times (152 s). Counting the joins pins the
  // fix without timing anything: chunks that end no line are joined once, when the line's end arrives.
  test('line reader - a line spread over 10,000 chunks is joined once, byte-exact, CRLF split across chunks', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) chunks.push(Buffer.from(`chunk-${i};`));
    const body = Buffer.concat(chunks).toString();
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const r = new LineReader();
      for (const c of chunks) {
        r.push(c);
        expect(r.nextLine()).toBeNull();
      }
      expect(r.buffered).toBe(body.length);
      r.push(Buffer.from('\r'));
      expect(r.nextLine()).toBeNull();
      r.push(Buffer.from('\nsecond\nthi'));
      r.push(Buffer.from('rd\n'));
      expect(r.nextLine()).toBe(body);
      expect(r.nextLine()).toBe('second');
      expect(r.nextLine()).toBe('third');
      expect(r.nextLine()).toBeNull();
      expect(r.buffered).toBe(0);
      expect(concat.mock.calls.length).toBeLessThanOrEqual(2);
      expect(concat.mock.calls.reduce((n, [parts]) => n + (parts as Buffer[]).length, 0)).toBeLessThanOrEqual(10_000 + 4);
    } finally {
      concat.mockRestore();
    }
  });

  test('line reader - takeRest returns every unjoined chunk in order', () => {
    const r = new LineReader();
    r.push(Buffer.from('Streaming results\nab'));
    r.push(Buffer.from('cd'));
    r.push(Buffer.from('e\nf'));
    expect(r.nextLine()).toBe('Streaming results');
    expect(r.buffered).toBe(7);
    expect(r.takeRest().toString()).toBe('abcde\nf');
    expect(r.buffered).toBe(0);
    r.push(Buffer.from('x\n'));
    expect(r.nextLine()).toBe('x');
  });
});
