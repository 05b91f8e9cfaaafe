import { describe, expect, it } from 'vitest';
import type { TracerouteResult } from '../../../src/protocol/types.js';
import { renderPingReply, renderTraceroute, renderVersion, sortedHops } from '../../../src/render/mesh.js';
import { renderContext } from '../../../src/render/style.js';
import { toJson, toYaml } from '../../../src/render/structured.js';
import { tsv } from '../../../src/render/table.js';

const plain = renderContext(false, false);
const tty = renderContext(true, false);

// Twelve hops: keys "10" and "11" sort before "2" as strings.
const hops: TracerouteResult = Object.fromEntries(
  Array.from({ length: 12 }, (_, i) => [String(i), { From: `n${i}`, Time: 1000 * (i + 1), TimeStr: `${i + 1}µs` }]),
);
hops['11'] = { ...hops['11']!, Error: 'timeout' };

describe('render mesh', () => {
  it('render mesh - traceroute hops in numeric order', () => {
    expect(sortedHops(hops).map(([n]) => n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const lines = renderTraceroute(hops, plain).trimEnd().split('\n');
    expect(lines[2]).toBe('2\tn2\t3000\t3µs\t');
    expect(lines[11]).toBe('11\tn11\t12000\t12µs\ttimeout');
  });

  it('render mesh - traceroute on a terminal adds an Error column only when a hop failed', () => {
    expect(renderTraceroute(hops, tty).split('\n')[0]).toMatch(/^Hop {2}Node {2}Time {2}Error$/);
    expect(renderTraceroute({ '0': { From: 'a', Time: 1, TimeStr: '1ns' } }, tty)).toBe('Hop  Node  Time\n0    a     1ns\n');
  });

  it('render mesh - ping replies', () => {
    const r = { Success: true as const, From: 'beta', Time: 38612, TimeStr: '38.612µs' };
    expect(renderPingReply(r, tty)).toBe('Reply from beta in 38.612µs\n');
    expect(renderPingReply(r, plain)).toBe('beta\t38612\t38.612µs\n');
  });

  it('render mesh - version', () => {
    expect(renderVersion('0.1.0', '1.6.5', 'alpha', plain)).toBe('meshctl\t0.1.0\nnode\t1.6.5\talpha\n');
    expect(renderVersion('0.1.0', '', 'alpha', tty)).toBe('meshctl  0.1.0\nnode     (none) (alpha)\n');
  });

  it('render mesh - structured output keeps key order and is one document', async () => {
    expect(toJson({ b: 1, a: [1] })).toBe('{\n  "b": 1,\n  "a": [\n    1\n  ]\n}\n');
    expect(await toYaml({ b: 1, a: 'x' })).toBe('b: 1\na: x\n');
  });

  it('render mesh - TSV cells never contain tabs or line breaks: they are escaped', () => {
    expect(tsv([['a\tb', 'c\r\nd', null]])).toBe('a\\tb\tc\\r\\nd\t\n');
  });
});
