// `meshctl mesh status` over meshes of 10, 25 and 50 embedded meshctl nodes (issue 14: 50 nodes within 2 s, cost
// linear in the node count). The mesh runs in child processes of its own (meshctl/testing startMesh from the built
// package), so the figures are the CLI's whole run as a user sees it: spawn, the local status, then each node
// asked through `connect NODE control` (8 at a time, the default), its status, work list and a ping.
// Topology: a few hubs in a chain, the controller on the first hub, the other nodes spread over the hubs as
// leaves, so most nodes are two or three hops from the controller.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { machineLine, median, MESHCTL, ROOT, track } from './lib.js';

export const uses = [];

let RUNS = 5;

/** The host script: starts the mesh, prints the controller's socket, stops everything when stdin ends. */
const HOST = `
import { startMesh } from ${JSON.stringify(join(ROOT, 'dist', 'testing', 'index.js'))};
const spec = JSON.parse(process.argv[1]);
const mesh = await startMesh({ ...spec, waitForRoutes: true });
process.stdout.write(JSON.stringify({ socket: mesh.node('controller').socketPath }) + '\\n');
process.stdin.resume();
process.stdin.on('end', async () => { await mesh.stop(); process.exit(0); });
`;

/** `total` nodes: controller, `hubs` hubs in a chain, the rest leaves round-robin over the hubs. */
export function topology(total, hubs) {
  const hubIds = Array.from({ length: hubs }, (_, i) => `hub${i}`);
  const leaves = Array.from({ length: total - hubs - 1 }, (_, i) => `node${String(i).padStart(2, '0')}`);
  const links = [['controller', 'hub0']];
  for (let i = 1; i < hubs; i++) links.push([hubIds[i], hubIds[i - 1]]);
  leaves.forEach((id, i) => links.push([id, hubIds[i % hubs]]));
  const nodes = ['controller', ...hubIds, ...leaves.map((id, i) => (i % 4 === 0 ? { id, workCommands: [{ worktype: 'cat', command: 'cat' }] } : id))];
  return { nodes, links };
}

async function startHost(total, hubs) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', HOST, JSON.stringify(topology(total, hubs))], { stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.stdin.end();
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await once(child, 'exit');
    clearTimeout(t);
  };
  const untrack = track(stop);
  let buf = '';
  for await (const chunk of child.stdout) {
    buf += chunk;
    if (buf.includes('\n')) break;
  }
  const { socket } = JSON.parse(buf);
  return {
    socket,
    async stop() {
      untrack();
      await stop();
    },
  };
}

/** One CLI run: wall time from spawn to exit, the exit status and how many rows answered. */
function timeRun(socket) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [MESHCTL, '-s', socket, 'mesh', 'status', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      try {
        const doc = JSON.parse(out);
        resolve({ ms, code, rows: doc.nodes.length, answered: doc.nodes.filter((n) => n.reachable).length });
      } catch {
        reject(new Error(`mesh status exited ${code}: ${err.trim()}`));
      }
    });
  });
}

// The smoke run (`npm run bench -- --smoke`): meshes of 4 and 6 nodes, one timed run each.
export async function run({ smoke = false } = {}) {
  RUNS = smoke ? 1 : 5;
  const meshes = smoke
    ? [
        [4, 1],
        [6, 2],
      ]
    : [
        [10, 2],
        [25, 3],
        [50, 4],
      ];
  const rows = [];
  for (const [total, hubs] of meshes) {
    const t0 = performance.now();
    const host = await startHost(total, hubs);
    const startMs = performance.now() - t0;
    try {
      await timeRun(host.socket); // warm-up: the OS file cache, the mesh's first streams
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await timeRun(host.socket));
      const ms = runs.map((r) => r.ms);
      const last = runs[runs.length - 1];
      rows.push({ total, hubs, startMs, median: median(ms), min: Math.min(...ms), max: Math.max(...ms), answered: last.answered, rows: last.rows, code: last.code });
    } finally {
      await host.stop();
    }
  }
  const small = rows[0];
  const big = rows[rows.length - 1];
  const perNode = (r) => r.median / r.total;
  const marginal = (big.median - small.median) / (big.total - small.total);
  // Summary rows (bench/run.js): issue 14's target, judged on a 50-node mesh (the default run).
  const fifty = rows.find((r) => r.total === 50);
  const targets = [
    {
      target: '`meshctl mesh status` over a 50-node meshctl mesh within 2 s' + (fifty ? '' : ` (this run's largest mesh: ${big.total} nodes)`),
      measured: `${rows.map((r) => `${r.total} nodes ${r.median.toFixed(0)} ms (${r.answered} of ${r.rows} answered)`).join(', ')}; median of ${RUNS}`,
      met: fifty ? (fifty.median <= 2000 && fifty.answered === fifty.total ? 'yes' : 'no') : 'measured',
    },
    { target: '`meshctl mesh status`: cost per node past the smallest mesh', measured: `${marginal.toFixed(1)} ms per node`, met: 'measured' },
  ];
  const md = [
    '## mesh status (bench/mesh-status.js)',
    '',
    machineLine(),
    '',
    `\`meshctl mesh status --json\` (built CLI, spawned per run) against a mesh of embedded meshctl nodes in one child process: controller on hub0, hubs in a chain, the other nodes leaves of the hubs; default --concurrency 8. Median of ${RUNS} runs after a warm-up.`,
    '',
    '| nodes | hubs | rows answered | exit | median | min | max | per node | mesh start-up |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.total} | ${r.hubs} | ${r.answered} of ${r.rows} | ${r.code} | ${r.median.toFixed(0)} ms | ${r.min.toFixed(0)} ms | ${r.max.toFixed(0)} ms | ${perNode(r).toFixed(1)} ms | ${(r.startMs / 1000).toFixed(1)} s |`,
    ),
    '',
    `Each node past the first ${small.total} adds ${marginal.toFixed(1)} ms (the slope from the smallest mesh to the largest); the fixed part (spawn, module load, the local status) is what remains. Target: 50 nodes within 2 s.`,
    '',
    'Receptor is not part of this benchmark: the meshes are meshctl nodes, and `mesh status` is a meshctl command (receptorctl has none).',
  ].join('\n');
  return { md, targets };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await run()).md);
}
