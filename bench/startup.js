// Start-up: `meshctl --version` and `meshctl status` against bare `node -e 0` (and receptorctl when installed).
// Target (issue "client core"): status within 1.3× of bare Node start.
import { MESHCTL, machineLine, startEmbeddedNode, timeInterleaved, which } from './lib.js';

export async function run({ runs = 41 } = {}) {
  const node = await startEmbeddedNode();
  try {
    const rctl = which('receptorctl');
    // Interleaved rounds: the ratios to `node -e 0` are what matters, and a shared VM drifts over a minute.
    const rows = timeInterleaved(
      [
        ['`node -e 0`', process.execPath, ['-e', '0']],
        ['`meshctl --version`', process.execPath, [MESHCTL, '--version']],
        ['`meshctl status`', process.execPath, [MESHCTL, '-s', node.socket, 'status']],
        ['`meshctl status --json`', process.execPath, [MESHCTL, '-s', node.socket, 'status', '--json']],
        ...(rctl ? [['`receptorctl status`', rctl, ['--socket', node.socket, 'status'], Math.min(runs, 21)]] : []),
      ],
      { runs },
    );
    const base = rows[0][1];
    const lines = rows.map(([name, r]) => `| ${name} | ${r.median.toFixed(1)} | ${(r.median / base.median).toFixed(2)}× | ${r.min.toFixed(1)}–${r.max.toFixed(1)} | ${r.runs} |`);
    const md = [
      '## Start-up',
      '',
      `Median wall time of one process start, against an embedded node on a Unix socket, commands interleaved round by round. Machine: ${machineLine()}.`,
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
