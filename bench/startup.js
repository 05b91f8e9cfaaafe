// Start-up of the client: `meshctl --version`, `status` and `work list` (plain and --json) against bare `node -e 0`,
// and receptorctl's `version`, `status` and `work list` against the same node when it is installed.
// Targets (issue 13): each of the three within 1.15× `node -e 0`, peak RSS ≤ 45 MiB.
//
// Wall time: median of interleaved rounds (every command once per round, the order rotating), so that the load of
// a shared machine hits every command alike and the ratios hold. Peak RSS (VmHWM, as ru_maxrss) and CPU time come
// from the child's rusage (python3's os.wait4, or /usr/bin/time -f %M for the RSS alone) in interleaved rounds of
// their own: /proc/PID/status is gone once a process has exited, and a wrapper around the timed runs would add its
// own start to every figure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESHCTL, machineLine, median, missingPeers, peers, startEmbeddedNode, submitNoPayload, tempDir, timeInterleaved, waitStatus, which } from './lib.js';

export const uses = ['receptorctl'];

const TIME = '/usr/bin/time';
const TARGET_RATIO = 1.15;
const TARGET_RSS_MIB = 45;

// The child's own rusage from wait4(2): peak RSS (ru_maxrss, KiB) and CPU time to the microsecond. GNU time's
// `%U %S` count in hundredths of a second, too coarse for a 60 ms process; its `%M` is the same ru_maxrss.
const WAIT4 = `import os, sys
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=[(os.POSIX_SPAWN_OPEN, 1, '/dev/null', os.O_WRONLY, 0)])
_, st, ru = os.wait4(pid, 0)
print(ru.ru_maxrss, (ru.ru_utime + ru.ru_stime) * 1000)
sys.exit(os.waitstatus_to_exitcode(st))`;

/**
 * `[peak RSS KiB, CPU ms or NaN]` of one run of `cmd args` (stdout to /dev/null): python3's wait4 (`how` 'python3'),
 * or /usr/bin/time writing to the file `out` (RSS only). Also used by bench/big-reply.js.
 */
export function rusageOnce(cmd, args, how, out) {
  const r =
    how === 'python3'
      ? spawnSync('python3', ['-c', WAIT4, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
      : spawnSync(TIME, ['-o', out, '-f', '%M', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [kb, cpu = NaN] = (how === 'python3' ? r.stdout : readFileSync(out, 'utf8')).trim().split('\n').pop().split(' ').map(Number);
  return [kb, cpu];
}

/**
 * Peak RSS (MiB) and CPU time (ms) of each command, medians of `runs` interleaved rounds; null when neither python3
 * nor /usr/bin/time is installed.
 */
/** How rusageOnce can measure here: 'python3', 'time' (/usr/bin/time, RSS only) or null. */
export function rusageTool() {
  return which('python3') ? 'python3' : existsSync(TIME) ? 'time' : null;
}

function memoryAndCpu(cmds, { runs }) {
  const how = rusageTool();
  if (!how) return null;
  const tmp = tempDir('meshctl-bench-startup-time-');
  try {
    const out = join(tmp.dir, 'time.txt');
    const xs = cmds.map(() => ({ rss: [], cpu: [] }));
    for (let round = 0; round < runs; round++) {
      for (let k = 0; k < cmds.length; k++) {
        const j = (k + round) % cmds.length;
        const [, cmd, args, n = runs] = cmds[j];
        if (round >= Math.min(n, runs)) continue;
        const [kb, cpu] = rusageOnce(cmd, args, how, out);
        xs[j].rss.push(kb / 1024);
        xs[j].cpu.push(cpu);
      }
    }
    return { how, rows: xs.map((x) => ({ rss: median(x.rss), rssMax: Math.max(...x.rss), cpu: median(x.cpu), runs: x.rss.length })) };
  } finally {
    tmp.remove();
  }
}

export async function run({ smoke = false } = {}) {
  const runs = smoke ? 3 : Number(process.env.BENCH_RUNS) || 41;
  const memRuns = smoke ? 2 : 11;
  const node = await startEmbeddedNode({ workCommands: [{ worktype: 'cat', command: 'cat' }] });
  try {
    // A few finished units, so that `work list` has rows to print (its table, its JSON).
    for (let i = 0; i < 5; i++) {
      const id = await submitNoPayload(node.socket, 'cat');
      await waitStatus(node.socket, id, (s) => s.StateName === 'Succeeded' || s.StateName === 'Failed');
    }
    const rctl = peers().receptorctl?.path ?? null;
    const s = ['-s', node.socket];
    const rs = ['--socket', node.socket];
    const rctlRuns = Math.min(runs, 21);
    // [name, cmd, args, runs?, target?]: target marks the three commands issue 13 names.
    const cmds = [
      ['`node -e 0`', process.execPath, ['-e', '0']],
      // Node's floor for a status client (bench/floor-client.cjs): what any Node.js client pays for the same exchange.
      ['Node floor: a bare `net` client asking `status`', process.execPath, [new URL('./floor-client.cjs', import.meta.url).pathname, node.socket]],
      ['`meshctl --version`', process.execPath, [MESHCTL, '--version'], runs, 'version'],
      ['`meshctl status`', process.execPath, [MESHCTL, ...s, 'status'], runs, 'status'],
      ['`meshctl status --json`', process.execPath, [MESHCTL, ...s, 'status', '--json']],
      ['`meshctl work list`', process.execPath, [MESHCTL, ...s, 'work', 'list'], runs, 'work list'],
      ['`meshctl work list --json`', process.execPath, [MESHCTL, ...s, 'work', 'list', '--json']],
      // Not one of the fast path's lines (src/cli/fast.ts): the whole CLI, for comparison.
      ['`meshctl status --wide` (whole CLI)', process.execPath, [MESHCTL, ...s, 'status', '--wide']],
      ...(rctl
        ? [
            // receptorctl has no --version: its `version` asks the node too.
            ['`receptorctl version`', rctl, [...rs, 'version'], rctlRuns],
            ['`receptorctl status`', rctl, [...rs, 'status'], rctlRuns],
            ['`receptorctl work list`', rctl, [...rs, 'work', 'list'], rctlRuns],
          ]
        : []),
    ];
    const timed = timeInterleaved(cmds, { runs, warmup: smoke ? 1 : 3 });
    const usage = memoryAndCpu(cmds, { runs: memRuns });
    const mem = usage?.rows;
    const base = timed[0][1].median;
    const baseCpu = mem?.[0].cpu;
    const cpuCell = (m) => (Number.isNaN(m.cpu) ? '– | –' : `${m.cpu.toFixed(1)} | ${(m.cpu / baseCpu).toFixed(2)}×`);
    const lines = timed.map(([name, r], j) => {
      const m = mem?.[j];
      const memCells = m ? `${cpuCell(m)} | ${m.rss.toFixed(1)} (max ${m.rssMax.toFixed(1)})` : '– | – | –';
      return `| ${name} | ${r.median.toFixed(1)} | ${(r.median / base).toFixed(2)}× | ${r.min.toFixed(1)}–${r.max.toFixed(1)} | ${r.runs} | ${memCells} |`;
    });
    const targets = [];
    for (const [j, c] of cmds.entries()) {
      const what = c[4];
      if (!what) continue;
      const ratio = timed[j][1].median / base;
      const m = mem?.[j];
      const rssOk = m ? m.rssMax <= TARGET_RSS_MIB : false;
      targets.push({
        target: `\`meshctl ${what === 'version' ? '--version' : what}\` start-up within ${TARGET_RATIO}× \`node -e 0\`, peak RSS ≤ ${TARGET_RSS_MIB} MiB (issue 13)`,
        measured:
          `${ratio.toFixed(2)}× wall (median of ${timed[j][1].runs} interleaved runs)` +
          (m
            ? `${Number.isNaN(m.cpu) ? '' : `, ${(m.cpu / baseCpu).toFixed(2)}× CPU`}, peak RSS ${m.rss.toFixed(1)} MiB (max ${m.rssMax.toFixed(1)}; \`node -e 0\` ${mem[0].rss.toFixed(1)})`
            : ', peak RSS not measured (neither python3 nor /usr/bin/time)'),
        met: ratio <= TARGET_RATIO && rssOk ? 'yes' : 'no',
      });
    }
    const missing = missingPeers({ receptorctl: 'the receptorctl rows are' });
    const md = [
      '## Start-up',
      '',
      `Wall time of one process start against an embedded node on a Unix socket (5 finished units), stdout to /dev/null: median of interleaved rounds, every command once per round. CPU (user + system) and peak RSS (VmHWM) from the child's rusage (${usage?.how === 'python3' ? "python3's os.wait4" : usage ? '/usr/bin/time -f %M, RSS only' : 'not measured'}), medians of ${memRuns} interleaved rounds of their own. Machine: ${machineLine()}.`,
      'Reproduce: `npm run bench -- startup` (BENCH_RUNS=N rounds).',
      ...(missing ? ['', missing] : []),
      ...(mem ? [] : ['', 'Neither python3 nor /usr/bin/time on this machine: CPU and peak RSS were not measured.']),
      '',
      '| command | median ms | vs `node -e 0` | range ms | runs | CPU ms | CPU vs `node -e 0` | peak RSS MiB |',
      '|---|---|---|---|---|---|---|---|',
      ...lines,
    ].join('\n');
    return { md, targets };
  } finally {
    await node.stop();
  }
}
