// The mesh-scale benchmark's CI-safe smoke run (issue 13): bench/mesh-scale.js with 1 and 3 nodes per mesh and a
// 1 MiB mesh transfer, against the built meshctl node (and the real receptor when installed). It proves the bench
// still runs end to end (every mesh converges, RSS and CPU are read, the transfer's bytes are counted); it asserts
// no time or speed.
import { describe, expect, it } from 'vitest';
// @ts-expect-error bench/ is plain JavaScript without declarations.
import { run } from '../../bench/mesh-scale.js';
// @ts-expect-error bench/ is plain JavaScript without declarations.
import { cleanupAll, receptorBin } from '../../bench/lib.js';

describe('bench - mesh-scale smoke', () => {
  it('bench mesh-scale - 1 and 3 node chains and a 1 MiB transfer are measured for every node kind', async () => {
    const withReceptor = Boolean(receptorBin());
    let out: { md: string; targets: { target: string; measured: string; met: string }[] };
    try {
      out = await run({ smoke: true });
    } finally {
      await cleanupAll();
    }
    const rows = out.md.split('\n');
    for (const node of ['meshctl node', ...(withReceptor ? ['receptor 1.6.5'] : [])]) {
      for (const n of [1, 3]) {
        const row = rows.find((l) => l.startsWith(`| ${n} | ${node} |`));
        expect(row, `${node} ${n}`).toBeDefined();
        // RSS per node is a positive number of MiB.
        expect(Number(row!.split('|')[5]!.trim().split(' ')[0])).toBeGreaterThan(0);
      }
      const xfer = rows.find((l) => l.startsWith(`| ${node} | `) && l.split('|').length === 5);
      expect(xfer, `${node} transfer`).toBeDefined();
    }
    if (withReceptor) expect(out.targets.map((t) => t.met).every((m) => ['yes', 'no', 'measured'].includes(m))).toBe(true);
    else expect(out.md).toContain('receptor is not installed');
  }, 240_000);
});
