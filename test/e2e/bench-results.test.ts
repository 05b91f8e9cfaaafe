// The results benchmark's CI-safe smoke run (issue 13): bench/results.js at 1 MiB, one run, against the built
// meshctl node (and the real receptor when installed). It proves the bench still runs end to end (units written,
// every client's byte count checked, the table written); it asserts no time or speed.
import { describe, expect, it } from 'vitest';
// @ts-expect-error bench/ is plain JavaScript without declarations.
import { run } from '../../bench/results.js';
// @ts-expect-error bench/ is plain JavaScript without declarations.
import { cleanupAll, receptorBin } from '../../bench/lib.js';

describe('bench - results smoke', () => {
  it('bench results - a 1 MiB run measures meshctl, socat and the node raw reader over Unix and TLS and writes its table', async () => {
    const withReceptor = Boolean(receptorBin());
    let md: string;
    try {
      // run() returns { md, targets } (bench/run.js builds the summary table from the targets).
      ({ md } = await run({ sizes: [1024 * 1024], runs: 1, nodes: withReceptor ? ['meshctl', 'receptor'] : ['meshctl'] }));
    } finally {
      await cleanupAll();
    }
    const rows = md.split('\n').filter((l) => l.startsWith('| meshctl node') || l.startsWith('| receptor 1.6.5'));
    for (const node of ['meshctl node', ...(withReceptor ? ['receptor 1.6.5'] : [])]) {
      for (const transport of ['unix', 'tls']) {
        const meshctl = rows.find((l) => l.startsWith(`| ${node} | 1.0 | ${transport} | meshctl |`));
        expect(meshctl, `${node} ${transport}`).toBeDefined();
        // MiB/s and "vs raw" are numbers (a failed client throws inside run()).
        const cells = meshctl!.split('|').map((c) => c.trim());
        expect(Number(cells[6])).toBeGreaterThan(0);
        expect(Number.isFinite(Number(cells[7]))).toBe(true);
        expect(rows.some((l) => l.startsWith(`| ${node} | 1.0 | ${transport} | node raw reader |`))).toBe(true);
      }
    }
  }, 240_000);
});
