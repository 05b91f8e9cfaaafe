// Follow latency: time from a line written by the work process to that line on meshctl's stdout.
// The work process (a small Node script) prints `SEQ WALLCLOCK_MS` every 20 ms; meshctl's stdout is piped here
// and each line's arrival time (same machine, same wall clock) minus its stamp is one sample.
// Topologies: one node (meshctl connects to the node that runs the work) and a three-node mesh A - B - C
// (meshctl connects to A, the work runs on C: `work submit --node C -f`, a remote unit whose output A copies
// across two hops). Our embedded node, and the real receptor for comparison when it is installed.
import { control, followTicker, freePort, machineLine, median, missingPeers, percentile, receptorBin, sleep, startNode, tempDir, tickerWorkCommand } from './lib.js';

export const uses = ['receptor'];

// How many lines the work process prints (set by run(): 20 in the smoke run).
let LINES = Number(process.env.BENCH_LATENCY_LINES ?? 250);
const EVERY_MS = 20;

// 90 s: receptor re-sends its service advertisements (which carry the work types) every 60 s (defaultServiceAdTime,
// pkg/netceptor/netceptor.go); when C's first one is lost on the way to A while B's route to A is being set up,
// A learns C's work types from the next one, and a 60 s wait sat right at that edge (one run in three here).
async function waitRoute(socket, target, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await control(socket, 'status').catch(() => undefined);
    const ad = st?.Advertisements?.find((a) => a.NodeID === target);
    if (st?.RoutingTable?.[target] !== undefined && ad?.WorkCommands?.some((w) => w.WorkType === 'ticker')) return;
    if (Date.now() > deadline) throw new Error(`no route to ${target} with the ticker work type after ${timeoutMs / 1000}s`);
    await sleep(200);
  }
}

/** Starts the nodes of a topology; returns { socket (where meshctl connects), target node id, stop }. */
async function topology(kind, shape, dir) {
  const ticker = tickerWorkCommand(dir, LINES, EVERY_MS);
  if (shape === 'single') {
    const n = await startNode({ kind, nodeId: 'solo', workCommands: [ticker] });
    return { socket: n.socket, target: undefined, stop: () => n.stop() };
  }
  const [pa, pb] = [await freePort(), await freePort()];
  const listener = (p) => `- tcp-listener:\n    bindaddr: 127.0.0.1\n    port: ${p}\n`;
  const peer = (p) => `- tcp-peer:\n    address: 127.0.0.1:${p}\n`;
  const nodes = [];
  const stop = async () => {
    for (const n of nodes.reverse()) await n.stop();
  };
  try {
    nodes.push(await startNode({ kind, nodeId: 'A', localOnly: false, extraYaml: listener(pa) }));
    nodes.push(await startNode({ kind, nodeId: 'B', localOnly: false, extraYaml: listener(pb) + peer(pa) }));
    nodes.push(await startNode({ kind, nodeId: 'C', localOnly: false, extraYaml: peer(pb), workCommands: [ticker] }));
    await waitRoute(nodes[0].socket, 'C');
  } catch (err) {
    await stop();
    throw err;
  }
  return { socket: nodes[0].socket, target: 'C', stop };
}

// The smoke run (`npm run bench -- --smoke`): 20 lines per topology; every topology and node still runs.
export async function run({ smoke = false } = {}) {
  LINES = smoke ? 20 : Number(process.env.BENCH_LATENCY_LINES ?? 250);
  const tmp = tempDir('meshctl-bench-latency-');
  const rows = [];
  const notes = [];
  try {
    const kinds = ['meshctl', ...(receptorBin() ? ['receptor'] : [])];
    for (const kind of kinds) {
      for (const shape of ['single', 'mesh3']) {
        let topo;
        try {
          topo = await topology(kind, shape, tmp.dir);
        } catch (err) {
          notes.push(`- ${kind} node, ${shape}: not measured (${String(err instanceof Error ? err.message : err).split('\n')[0]})`);
          continue;
        }
        try {
          const samples = await followTicker(topo.socket, { node: topo.target, lines: LINES, timeoutMs: 60_000 + LINES * EVERY_MS });
          // The first line also carries the unit's start-up (and the remote submit); report it apart.
          const steady = samples.slice(1);
          rows.push({ kind, shape, first: samples[0], p50: median(steady), p99: percentile(steady, 99), max: Math.max(...steady), n: steady.length });
          process.stderr.write(`  ${kind} ${shape}: p50 ${median(steady).toFixed(1)} ms, p99 ${percentile(steady, 99).toFixed(1)} ms\n`);
        } finally {
          await topo.stop();
        }
      }
    }
  } finally {
    tmp.remove();
  }
  const label = { single: 'one node', mesh3: 'three-node mesh A–B–C (meshctl on A, work on C)' };
  // Summary rows (bench/run.js): issue 13's lead in follow latency, meshctl node's p50 no higher than receptor's.
  const targets = ['single', 'mesh3'].map((shape) => {
    const m = rows.find((r) => r.kind === 'meshctl' && r.shape === shape);
    const r = rows.find((x) => x.kind === 'receptor' && x.shape === shape);
    const target = `\`--follow\` latency p50, ${label[shape]}: meshctl node ≤ receptor (keep the lead)`;
    if (!m) return { target, measured: 'meshctl node not measured (see the section)', met: 'no' };
    if (!r) return { target, measured: `meshctl node ${m.p50.toFixed(1)} ms; receptor ${receptorBin() ? 'not measured (see the section)' : 'not installed'}`, met: 'no' };
    return { target, measured: `meshctl node ${m.p50.toFixed(1)} ms (p99 ${m.p99.toFixed(1)}), receptor ${r.p50.toFixed(1)} ms (p99 ${r.p99.toFixed(1)}); ${m.n} lines each, the nodes one after the other`, met: m.p50 <= r.p50 ? 'yes' : 'no' };
  });
  const missing = missingPeers({ receptor: 'the receptor rows are' });
  const md = [
    '## Follow latency',
    '',
    `A work process prints a line with its wall-clock time every ${EVERY_MS} ms (${LINES} lines); \`meshctl work submit ticker -n -f --rm [--node C]\` follows it and ` +
      'each line\'s arrival on meshctl\'s stdout (piped to the benchmark) minus its stamp is one sample. p50/p99/max over lines 2..N (line 1 includes the unit start).',
    `Machine: ${machineLine()}.`,
    'Reproduce: `npm run bench -- latency` (`BENCH_LATENCY_LINES=n`).',
    '',
    '| node | topology | p50 ms | p99 ms | max ms | first line ms | lines |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.kind === 'receptor' ? 'receptor 1.6.5 (informative)' : 'meshctl node'} | ${label[r.shape]} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.first.toFixed(0)} | ${r.n} |`),
    ...(notes.length ? ['', ...notes] : []),
    ...(missing ? ['', missing] : []),
  ].join('\n');
  return { md, targets };
}
