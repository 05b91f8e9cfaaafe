// The nodes half of issue 13's scale curve, and its mesh transfer figure: meshes of 1, 10 and 50 node processes
// (smoke: 1 and 3), every one a `meshctl node` or every one a receptor 1.6.5, started one after the other in a
// chain (node i dials node i-1's tcp-listener; a chain is the slowest shape for a route flood to cross, so its
// convergence time is an upper bound, and every inner node carries two links as in a ring). Per mesh:
// - convergence: from spawning the first node to every node's `status` listing all N nodes (its own ID and its
//   routing table), polled with a raw control client (one `status` per node not yet complete, 100 ms apart);
// - memory: VmRSS of every node process once converged (sum and median);
// - idle CPU: run time of every thread (/proc/PID/task/*/schedstat) over an idle window after convergence and a settling time (nothing polls then).
// The kinds are interleaved round by round (order alternating), so the load of the shared machine hits both alike;
// only their ratios are meant to be read.
// Mesh transfer: controller - hop - executor, each a separate node process; `meshctl work results` read from the
// controller's socket for a unit that ran on the executor (`head -c SIZE /dev/zero`): the executor's output crosses
// two mesh links. Timed from the submit to the last byte counted (wc -c), interleaved meshctl mesh / receptor mesh.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { cleanupAll, control, fmt, freePorts, machineLine, measure, median, memoryOf, MESHCTL, MiB, RawSession, receptorBin, sleep, startNode, track, writeSection } from './lib.js';

export const uses = ['receptor'];

/**
 * CPU time of a process, all its threads, in ms (0 once it is gone): the run time in ns from
 * /proc/PID/task/TID/schedstat. utime+stime in /proc/PID/stat count 10 ms ticks, too coarse for an idle node
 * (a few ticks in 30 s); a thread that ended takes its time with it, which no idle node has.
 */
export async function cpuMsOf(pid) {
  try {
    const tids = await readdir(`/proc/${pid}/task`);
    let ns = 0;
    for (const tid of tids) ns += Number((await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '0')).split(' ')[0]);
    return ns / 1e6;
  } catch {
    return 0;
  }
}

/** The YAML of chain member i: a tcp-listener on its port, a tcp-peer to node i-1. */
function chainYaml(ports, i) {
  let y = `- tcp-listener:\n    bindaddr: 127.0.0.1\n    port: ${ports[i]}\n`;
  if (i > 0) y += `- tcp-peer:\n    address: 127.0.0.1:${ports[i - 1]}\n    redial: true\n`;
  return y;
}

/** Node IDs a node's status knows: itself and its routing table's destinations. */
function knownNodes(st) {
  return new Set([st.NodeID, ...Object.keys(st.RoutingTable ?? {})]);
}

/** Polls every node's status until all list `n` nodes; resolves when the last one does. */
async function waitConverged(nodes, n, timeoutMs) {
  const pending = new Set(nodes);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const node of [...pending]) {
      const st = await control(node.socket, 'status').catch(() => undefined);
      if (st && knownNodes(st).size >= n) pending.delete(node);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending.size} of ${n} nodes still without a full routing table after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** Starts a chain of `n` nodes of `kind`, measures convergence, RSS and idle CPU, stops it. */
async function measureMesh(kind, n, settleMs, idleMs) {
  const ports = await freePorts(n);
  const nodes = [];
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      nodes.push(await startNode({ kind, nodeId: `n${String(i).padStart(2, '0')}`, localOnly: false, extraYaml: chainYaml(ports, i) }));
    }
    const startedMs = performance.now() - t0;
    await waitConverged(nodes, n, 120_000 + n * 2_000);
    const convergedMs = performance.now() - t0;
    // Settle before the idle window: the last floods and recalculations, and in a Node.js process V8's memory
    // reducer, which runs a few full GCs in the seconds after start-up stops allocating (one idle meshctl node:
    // ~0.95 ms of CPU a second over its first 25 s, ~0.04 ms/s from 35 s on; receptor ~0.3 ms/s throughout).
    await sleep(settleMs);
    const cpu0 = await Promise.all(nodes.map((x) => cpuMsOf(x.pid)));
    const w0 = performance.now();
    await sleep(idleMs);
    const cpu1 = await Promise.all(nodes.map((x) => cpuMsOf(x.pid)));
    const wall = performance.now() - w0;
    const rss = await Promise.all(nodes.map((x) => memoryOf(x.pid).then((m) => m.rss)));
    // µs of CPU per second of idle, per node.
    const idle = cpu1.map((c, i) => ((c - cpu0[i]) * 1e6) / wall);
    if (nodes.some((x) => x.child.exitCode !== null)) throw new Error(`a ${kind} node exited during the idle window`);
    return { kind, n, startedMs, convergedMs, rss, idle };
  } finally {
    for (const x of nodes.reverse()) await x.stop();
  }
}

/** `work submit` of `worktype` to `target` through the node at `socket`, no payload; resolves to the unit ID. */
async function submitRemote(socket, target, worktype) {
  const s = await RawSession.open(socket);
  try {
    s.sock.write(JSON.stringify({ command: 'work', subcommand: 'submit', node: target, worktype }) + '\n');
    const created = await s.line();
    if (!created.startsWith('Work unit created')) throw new Error(created);
    s.sock.end();
    return JSON.parse(await s.line()).unitid;
  } finally {
    s.close();
  }
}

/** controller - hop - executor of `kind`; the executor has the `zeros` work type (SIZE bytes of /dev/zero). */
async function startTransferMesh(kind, bytes) {
  const ports = await freePorts(2);
  const nodes = [];
  try {
    const zeros = { worktype: 'zeros', command: 'head', params: `-c ${bytes} /dev/zero` };
    nodes.push(await startNode({ kind, nodeId: 'controller', localOnly: false, extraYaml: chainYaml(ports, 0) }));
    nodes.push(await startNode({ kind, nodeId: 'hop', localOnly: false, extraYaml: chainYaml(ports, 1) }));
    nodes.push(await startNode({ kind, nodeId: 'executor', localOnly: false, extraYaml: `- tcp-peer:\n    address: 127.0.0.1:${ports[1]}\n`, workCommands: [zeros] }));
    // Receptor sends its service adverts 5 s after start and then every 60 s (netceptor.go sendServiceAds), to the
    // links up at that moment: an executor whose first advert missed the link waits for the next one.
    const deadline = Date.now() + 150_000;
    for (;;) {
      const st = await control(nodes[0].socket, 'status').catch(() => undefined);
      const ad = st?.Advertisements?.find((a) => a.NodeID === 'executor');
      if (st?.RoutingTable?.executor !== undefined && ad?.WorkCommands?.some((w) => w.WorkType === 'zeros')) break;
      if (Date.now() > deadline) throw new Error(`${kind}: the controller has no route to executor's zeros work type after 150 s`);
      await sleep(200);
    }
  } catch (err) {
    for (const x of nodes.reverse()) await x.stop();
    throw err;
  }
  return { socket: nodes[0].socket, stop: async () => { for (const x of [...nodes].reverse()) await x.stop(); } };
}

/** One transfer: submit on the executor through the controller, then `meshctl work results` until the last byte. */
async function transferOnce(mesh, bytes) {
  const t0 = performance.now();
  const id = await submitRemote(mesh.socket, 'executor', 'zeros');
  const r = await measure({ cmd: process.execPath, args: [MESHCTL, '-s', mesh.socket, 'work', 'results', id] });
  const ms = performance.now() - t0;
  await control(mesh.socket, `work force-release ${id}`).catch(() => undefined);
  if (r.code !== 0 || r.bytes !== bytes) throw new Error(`work results ${id}: exit ${r.code}, ${r.bytes} of ${bytes} bytes: ${r.stderr.trim()}`);
  return ms;
}

/** RSS of an idle `node` doing nothing: the floor of any Node.js process. */
async function nodeFloorRss() {
  const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e9)'], { stdio: 'ignore' });
  const untrack = track(() => child.kill('SIGKILL'));
  try {
    await sleep(1_000);
    return (await memoryOf(child.pid)).rss;
  } finally {
    child.kill('SIGKILL');
    untrack();
  }
}

const pct = (a, b) => (b > 0 ? `${((a / b) * 100).toFixed(0)} %` : 'receptor 0');
const mibs = (bytes, ms) => { const v = bytes / MiB / (ms / 1000); return v < 10 ? v.toFixed(1) : v.toFixed(0); };

export async function run({ smoke = false } = {}) {
  const sizes = smoke ? [1, 3] : (process.env.BENCH_MESH_SIZES ?? '1,10,50').split(',').map(Number);
  const rounds = smoke ? 1 : Number(process.env.BENCH_RUNS ?? 2);
  const idleMs = smoke ? 1_000 : Number(process.env.BENCH_IDLE_MS ?? 30_000);
  const settleMs = smoke ? 0 : Number(process.env.BENCH_SETTLE_MS ?? 30_000);
  const xferBytes = smoke ? MiB : 256 * MiB;
  const xferRuns = smoke ? 1 : Number(process.env.BENCH_XFER_RUNS ?? process.env.BENCH_RUNS ?? 3);
  const haveReceptor = Boolean(receptorBin());
  const kinds = ['meshctl', ...(haveReceptor ? ['receptor'] : [])];
  const label = { meshctl: 'meshctl node', receptor: 'receptor 1.6.5' };

  // results[kind][n] = [{...}, ...] one per round
  const results = Object.fromEntries(kinds.map((k) => [k, Object.fromEntries(sizes.map((n) => [n, []]))]));
  for (let round = 0; round < rounds; round++) {
    for (const n of sizes) {
      const order = round % 2 ? [...kinds].reverse() : kinds;
      for (const kind of order) {
        const r = await measureMesh(kind, n, settleMs, idleMs);
        results[kind][n].push(r);
        process.stderr.write(
          `  ${kind} ${n} nodes: converged ${fmt.s(r.convergedMs)} s, RSS median ${fmt.mib(median(r.rss))} MiB, idle CPU ${median(r.idle).toFixed(0)} µs/s per node\n`,
        );
      }
    }
  }
  const floor = await nodeFloorRss();

  const xfer = Object.fromEntries(kinds.map((k) => [k, []]));
  const meshes = {};
  let xferError;
  try {
    for (const kind of kinds) meshes[kind] = await startTransferMesh(kind, xferBytes);
    for (let i = 0; i < xferRuns; i++) {
      for (const kind of i % 2 ? [...kinds].reverse() : kinds) {
        const ms = await transferOnce(meshes[kind], xferBytes);
        xfer[kind].push(ms);
        process.stderr.write(`  transfer ${kind}: ${mibs(xferBytes, ms)} MiB/s\n`);
      }
    }
  } catch (err) {
    // The scale figures above stand on their own: report the transfer as failed rather than lose them.
    if (smoke) throw err;
    xferError = String(err instanceof Error ? err.message : err).split('\n')[0];
  } finally {
    for (const m of Object.values(meshes)) await m.stop();
  }

  // Medians over rounds of each figure.
  const agg = (kind, n) => {
    const rs = results[kind][n];
    return {
      converged: median(rs.map((r) => r.convergedMs)),
      started: median(rs.map((r) => r.startedMs)),
      rssSum: median(rs.map((r) => r.rss.reduce((a, b) => a + b, 0))),
      rssMed: median(rs.map((r) => median(r.rss))),
      idleSum: median(rs.map((r) => r.idle.reduce((a, b) => a + b, 0))),
      idleMed: median(rs.map((r) => median(r.idle))),
    };
  };
  const rows = [];
  for (const n of sizes) for (const kind of kinds) rows.push({ kind, n, ...agg(kind, n) });
  const big = sizes[sizes.length - 1];
  const small = sizes[0];
  const growth = (kind, key) => {
    const a = agg(kind, small);
    const b = agg(kind, big);
    return (b[key] - a[key]) / (big - small);
  };

  const md = [
    '## Mesh scale: 1 to 50 nodes, and mesh transfer (bench/mesh-scale.js)',
    '',
    `Machine: ${machineLine()}; shared with other work, so the two kinds run interleaved (round by round, order alternating) and only their ratios are meant to be read.`,
    `Reproduce: \`BENCH_OUT=/tmp/perf.md node bench/mesh-scale.js\` (\`BENCH_RUNS\` rounds, default 2; \`BENCH_IDLE_MS\`, default 30000).`,
    haveReceptor ? '' : '**receptor is not installed: only meshctl node was measured** (set RECEPTOR_BIN or put receptor on PATH).',
    '',
    `Topology: a chain (node i dials node i-1), every node its own process, all ${kinds.map((k) => label[k]).join(' or all ')}; started one after the other. ` +
      `Convergence: from spawning the first node until every node's \`status\` lists all N nodes. Then ${settleMs / 1000} s to settle (V8's memory reducer runs its garbage collections during an idle Node.js process's first seconds), then idle CPU: the run time of all its threads (/proc/PID/task/*/schedstat) over ${idleMs / 1000} s, and RSS (VmRSS) at its end. Idle CPU is in µs of CPU per second of idle. Median of ${rounds} round(s).`,
    '',
    '| nodes | node | all started | converged | RSS per node (median) | RSS sum | idle CPU per node (median) | idle CPU sum |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.n} | ${label[r.kind]} | ${fmt.s(r.started)} s | ${fmt.s(r.converged)} s | ${fmt.mib(r.rssMed)} MiB | ${fmt.mib(r.rssSum)} MiB | ${r.idleMed.toFixed(0)} µs/s | ${r.idleSum.toFixed(0)} µs/s |`,
    ),
    '',
    `Floor: an idle \`node -e "setInterval(()=>{},1e9)"\` has ${fmt.mib(floor)} MiB RSS; a meshctl node (median at ${big} nodes) is ${fmt.mib(agg('meshctl', big).rssMed - floor)} MiB above it` +
      (haveReceptor ? `, and receptor + 10 % is ${fmt.mib(agg('receptor', big).rssMed * 1.1)} MiB.` : '.'),
    '',
    `Growth from ${small} to ${big} nodes, per added node: ` +
      kinds
        .map(
          (k) =>
            `${label[k]} ${fmt.s(growth(k, 'converged'))} s of convergence, ${fmt.mib(growth(k, 'rssSum'))} MiB, ${growth(k, 'idleSum').toFixed(0)} µs/s of idle CPU`,
        )
        .join('; ') +
      '.',
    '',
    `Mesh transfer: \`meshctl work results\` read from the controller of controller - hop - executor for a unit that ran \`head -c ${fmt.mib(xferBytes)} MiB /dev/zero\` on the executor; from the submit to the last byte, median of ${xferRuns}.`,
    '',
    '| mesh | MiB/s | seconds |',
    '|---|---:|---:|',
    ...kinds.map((k) => `| ${label[k]} | ${xfer[k].length ? mibs(xferBytes, median(xfer[k])) : 'failed'} | ${xfer[k].length ? fmt.s(median(xfer[k])) : '–'} |`),
    ...(xferError ? ['', `Mesh transfer failed: ${xferError}`] : []),
  ].join('\n');

  const targets = [];
  if (haveReceptor) {
    const m = agg('meshctl', big);
    const r = agg('receptor', big);
    targets.push({
      target: `idle RSS per node ≤ receptor's + 10 % (${big} nodes)`,
      measured: `${fmt.mib(m.rssMed)} vs ${fmt.mib(r.rssMed)} MiB (${pct(m.rssMed, r.rssMed)})`,
      met: m.rssMed <= r.rssMed * 1.1 ? 'yes' : 'no',
    });
    targets.push({
      target: `idle CPU per node ≤ receptor's + 10 % (${big} nodes)`,
      measured: `${m.idleMed.toFixed(0)} vs ${r.idleMed.toFixed(0)} µs/s (${pct(m.idleMed, r.idleMed)})`,
      met: m.idleMed <= r.idleMed * 1.1 ? 'yes' : 'no',
    });
    targets.push({
      target: `convergence, ${sizes.join('/')} nodes`,
      measured: sizes.map((n) => `${fmt.s(agg('meshctl', n).converged)} vs ${fmt.s(agg('receptor', n).converged)} s`).join('; '),
      met: 'measured',
    });
    const mx = median(xfer.meshctl);
    const rx = median(xfer.receptor);
    targets.push({
      target: 'mesh transfer: keep the lead over receptor',
      measured: xferError ? `failed: ${xferError}` : `${mibs(xferBytes, mx)} vs ${mibs(xferBytes, rx)} MiB/s (${(rx / mx).toFixed(1)}×)`,
      met: !xferError && mx < rx ? 'yes' : 'no',
    });
  }
  return { md, targets };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { md, targets } = await run({ smoke: process.argv.includes('--smoke') });
    console.log(md);
    console.log(JSON.stringify(targets, null, 2));
    writeSection('mesh-scale', md);
  } finally {
    await cleanupAll();
  }
}
