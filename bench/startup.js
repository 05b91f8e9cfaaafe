// Start-up: `meshctl --version` and `meshctl status` against bare `node -e 0` (and receptorctl when installed).
// Target (issue "client core"): status within 1.3× of bare Node start.
import { MESHCTL, machineLine, startEmbeddedNode, timeMedian, which } from './lib.js';

export async function run({ runs = 21 } = {}) {
  const node = await startEmbeddedNode();
  try {
    const rows = [];
    const base = timeMedian(process.execPath, ['-e', '0'], { runs });
    rows.push(['`node -e 0`', base]);
    rows.push(['`meshctl --version`', timeMedian(process.execPath, [MESHCTL, '--version'], { runs })]);
    rows.push(['`meshctl status`', timeMedian(process.execPath, [MESHCTL, '-s', node.socket, 'status'], { runs })]);
    rows.push(['`meshctl status --json`', timeMedian(process.execPath, [MESHCTL, '-s', node.socket, 'status', '--json'], { runs })]);
    const rctl = which('receptorctl');
    if (rctl) rows.push(['`receptorctl status`', timeMedian(rctl, ['--socket', node.socket, 'status'], { runs: Math.min(runs, 11) })]);
    const lines = rows.map(([name, r]) => `| ${name} | ${r.median.toFixed(1)} | ${(r.median / base.median).toFixed(2)}× | ${r.min.toFixed(1)}–${r.max.toFixed(1)} | ${r.runs} |`);
    const md = [
      '## Start-up',
      '',
      `Median wall time of one process start, against an embedded node on a Unix socket. Machine: ${machineLine()}.`,
      'Reproduce: `npm run bench -- startup`.',
      '',
      '| command | median ms | vs `node -e 0` | range ms | runs |',
      '|---|---|---|---|---|',
      ...lines,
    ].join('\n');
    return md;
  } finally {
    await node.stop();
  }
}
