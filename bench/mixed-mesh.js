// Mixed meshes (issue 15, stage 2: "throughput and follow latency across a mixed mesh are measured"): chains
// controller - hop - executor, each node its own process, each a `meshctl node` or a receptor 1.6.5, linked over tcp
// (the executor dials the hop, the hop dials the controller). Every chain runs at once and they are measured
// interleaved round by round (the order rotating), so the load of the shared machine hits every chain alike.
// The stream between controller and executor (the remote submit and the results) is end to end: receptor ↔ receptor
// is receptor's own QUIC, meshctl ↔ meshctl meshctl's StreamSession (src/node/mesh/session.ts), and a mixed pair QUIC
// over netceptor datagrams (src/node/mesh/quic.ts, quic-streams.ts); the hop only forwards datagrams.
// Per chain, the same client for all (`node bin/meshctl.js`, talking to the controller's control socket):
// - throughput: `work submit cat --node executor -p FILE -f --rm` with a random payload; the payload crosses the two
//   links out to the executor and `cat`'s copy of it crosses them back; payload size / wall time from spawning the
//   client to its exit with every byte counted (wc -c);
// - follow latency: `work submit ticker --node executor -n -f --rm`, the ticker (a small Node script) printing its
//   wall-clock time every 100 ms; each line's arrival on the client's stdout minus its stamp is one sample.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, control, followTicker, freePorts, machineLine, measure, median, MESHCTL, MiB, percentile, receptorBin, sleep, startNode, tempDir, tickerWorkCommand, writeSection } from './lib.js';

export const uses = ['receptor'];

const EVERY_MS = 100;
const LABEL = { r: 'receptor', m: 'meshctl' };

// The chains: controller, hop, executor. The stream's kind follows from the two ends; the hop's from the middle.
// r-r-m and m-m-r are the QUIC paths between a receptor and a meshctl end (receptor dialling, meshctl dialling),
// r-m-r and m-r-m each program forwarding the other's traffic.
const CHAINS = ['r-r-r', 'm-m-m', 'r-m-r', 'm-r-m', 'r-r-m', 'm-m-r'];

function streamKind(chain) {
  const [c, , e] = chain.split('-');
  if (c === 'r' && e === 'r') return "receptor's QUIC (receptor ↔ receptor)";
  if (c === 'm' && e === 'm') return 'meshctl StreamSession';
  return c === 'r' ? 'QUIC, receptor dials meshctl' : 'QUIC, meshctl dials receptor';
}

const chainName = (chain) => chain.split('-').map((k) => LABEL[k]).join(' → ');

/** Starts controller - hop - executor of `chain` (e.g. 'r-m-r'); resolves once the controller sees both work types. */
async function startChain(chain, workCommands) {
  const [ck, hk, ek] = chain.split('-').map((k) => (k === 'r' ? 'receptor' : 'meshctl'));
  const [pc, ph] = await freePorts(2);
  const listener = (p) => `- tcp-listener:\n    bindaddr: 127.0.0.1\n    port: ${p}\n`;
  const peer = (p) => `- tcp-peer:\n    address: 127.0.0.1:${p}\n    redial: true\n`;
  const nodes = [];
  const stop = async () => {
    for (const x of [...nodes].reverse()) await x.stop();
  };
  const t0 = performance.now();
  try {
    nodes.push(await startNode({ kind: ck, nodeId: 'controller', localOnly: false, extraYaml: listener(pc) }));
    nodes.push(await startNode({ kind: hk, nodeId: 'hop', localOnly: false, extraYaml: listener(ph) + peer(pc) }));
    nodes.push(await startNode({ kind: ek, nodeId: 'executor', localOnly: false, extraYaml: peer(ph), workCommands }));
    // Receptor sends its service adverts (which carry the work types) 5 s after a change and then every 60 s
    // (pkg/netceptor/netceptor.go sendServiceAds); one lost on a link still coming up waits for the next.
    const deadline = Date.now() + 150_000;
    for (;;) {
      const st = await control(nodes[0].socket, 'status').catch(() => undefined);
      const ad = st?.Advertisements?.find((a) => a.NodeID === 'executor');
      const have = new Set((ad?.WorkCommands ?? []).map((w) => w.WorkType));
      if (st?.RoutingTable?.executor !== undefined && workCommands.every((w) => have.has(w.worktype))) {
        process.stderr.write(`  ${chain} up in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`${chain}: the controller has no route to the executor's work types after 150 s`);
      await sleep(200);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { chain, socket: nodes[0].socket, nodes, stop };
}

/** One `cat` round trip of `file` (`bytes` long) through the chain; resolves to the wall time in ms. */
async function throughputOnce(mesh, file, bytes) {
  const r = await measure({ cmd: process.execPath, args: [MESHCTL, '-s', mesh.socket, 'work', 'submit', 'cat', '--node', 'executor', '-p', file, '-f', '--rm'], timeoutMs: 600_000 });
  if (r.code !== 0 || r.bytes !== bytes) throw new Error(`${mesh.chain}: work submit cat: exit ${r.code}, ${r.bytes} of ${bytes} bytes back: ${r.stderr.trim().split('\n')[0]}`);
  return r.ms;
}

/** One followed ticker unit through the chain's controller; the latency of each line in ms (arrival − stamp). */
async function followOnce(mesh, lines) {
  try {
    return await followTicker(mesh.socket, { node: 'executor', lines, timeoutMs: 120_000 + lines * EVERY_MS });
  } catch (err) {
    throw new Error(`${mesh.chain}: ${err.message}`);
  }
}

const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);
const mibs = (bytes, ms) => {
  const v = bytes / MiB / (ms / 1000);
  return v < 10 ? v.toFixed(1) : v.toFixed(0);
};

export async function run({ smoke = false } = {}) {
  const bytes = smoke ? MiB : Number(process.env.BENCH_MIXED_MIB ?? 64) * MiB;
  const rounds = smoke ? 1 : Number(process.env.BENCH_RUNS ?? 3);
  const lines = smoke ? 6 : Number(process.env.BENCH_MIXED_LINES ?? 50);
  const haveReceptor = Boolean(receptorBin());
  const chains = haveReceptor ? CHAINS : ['m-m-m'];
  const tmp = tempDir('meshctl-bench-mixed-');
  const payload = join(tmp.dir, 'payload');
  const warm = join(tmp.dir, 'warm');
  writeFileSync(payload, randomBytes(bytes));
  writeFileSync(warm, randomBytes(4096));
  const workCommands = [{ worktype: 'cat', command: 'cat' }, tickerWorkCommand(tmp.dir, lines, EVERY_MS)];

  const tput = Object.fromEntries(chains.map((c) => [c, []]));
  const lat = Object.fromEntries(chains.map((c) => [c, []]));
  const meshes = {};
  const t0 = performance.now();
  let setupMs = 0;
  try {
    // Every chain at once: their waits for receptor's advert timer overlap.
    const started = await Promise.allSettled(chains.map((c) => startChain(c, workCommands)));
    started.forEach((s, i) => s.status === 'fulfilled' && (meshes[chains[i]] = s.value));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    setupMs = performance.now() - t0;
    process.stderr.write(`  ${chains.length} chains up in ${(setupMs / 1000).toFixed(1)} s\n`);
    // A warm-up unit per chain: a meshctl node learns here whether its peer speaks StreamSession or QUIC (the first
    // dial to a node of unknown kind tries StreamSession for 300 ms), and every path is proven before timing. The
    // smoke run skips it (its one round proves the paths; its figures mean nothing) to stay within its time.
    if (!smoke) for (const c of chains) await throughputOnce(meshes[c], warm, 4096);
    for (let round = 0; round < rounds; round++) {
      for (const c of rotate(chains, round)) {
        const ms = await throughputOnce(meshes[c], payload, bytes);
        tput[c].push(ms);
        process.stderr.write(`  ${c} cat ${mibs(bytes, ms)} MiB/s\n`);
      }
      for (const c of rotate(chains, round)) {
        // Line 1 also carries the remote submit and the unit's start: left out of the figures.
        const s = (await followOnce(meshes[c], lines)).slice(1);
        lat[c].push(...s);
        process.stderr.write(`  ${c} follow p50 ${median(s).toFixed(1)} ms\n`);
      }
    }
  } finally {
    for (const m of Object.values(meshes)) await m.stop();
    tmp.remove();
  }
  const totalS = (performance.now() - t0) / 1000;

  const rows = chains.map((c) => ({
    c,
    mibs: mibs(bytes, median(tput[c])),
    p50: median(lat[c]),
    p95: percentile(lat[c], 95),
  }));
  const md = [
    '## Mixed mesh',
    '',
    `Chains controller → hop → executor, each node its own process (receptor 1.6.5 or \`meshctl node\`), linked over tcp on 127.0.0.1; the client is \`node bin/meshctl.js\` on the controller's control socket for every chain. ` +
      `Throughput: \`work submit cat --node executor -p FILE -f --rm\` with ${bytes / MiB} MiB of random payload, which crosses both links to the executor and comes back as \`cat\`'s output; MiB/s is the payload size over the wall time from spawning the client to its exit with every byte counted, median of ${rounds}. ` +
      `Follow latency: \`work submit ticker --node executor -n -f --rm\`, the ticker printing its wall-clock time every ${EVERY_MS} ms (${lines} lines); arrival on the client's stdout minus the stamp, p50/p95 over lines 2..${lines} of ${rounds} unit(s). ` +
      `All chains ran at once (set up in ${(setupMs / 1000).toFixed(1)} s${smoke ? '' : ', then one warm-up unit each'}) and were measured interleaved round by round, the order rotating, on ${machineLine()}, shared with other work; read the ratios. Run took ${totalS.toFixed(0)} s${smoke ? ' (smoke run: tiny sizes, the figures mean nothing)' : ''}.`,
    'Reproduce: `BENCH_OUT=/tmp/perf.md node bench/run.js mixed-mesh` (`BENCH_RUNS`, `BENCH_MIXED_MIB`, `BENCH_MIXED_LINES`).',
    haveReceptor ? '' : '**receptor is not installed: only the all-meshctl chain (m-m-m) was measured** (set RECEPTOR_BIN or put receptor on PATH, e.g. `source /root/.cache/meshctl-peers/env.sh`).',
    '',
    '| chain | controller → hop → executor | controller ↔ executor stream | hop | MiB/s | follow p50 ms | follow p95 ms |',
    '|---|---|---|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.c} | ${chainName(r.c)} | ${streamKind(r.c)} | ${LABEL[r.c.split('-')[1]]} forwards | ${r.mibs} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} |`),
  ]
    .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
    .join('\n');
  const targets = [
    {
      target: 'mixed mesh throughput and follow latency measured (issue 15)',
      measured: `${bytes / MiB} MiB cat out and back, MiB/s; follow p50/p95 ms: ` + rows.map((r) => `${r.c} ${r.mibs}, ${r.p50.toFixed(1)}/${r.p95.toFixed(1)}`).join('; ') + (haveReceptor ? '' : ' (receptor not installed: m-m-m only)'),
      met: 'measured',
    },
  ];
  return { md, targets };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { md, targets } = await run({ smoke: process.argv.includes('--smoke') });
    console.log(md);
    console.log(JSON.stringify(targets, null, 2));
    writeSection('mixed-mesh', md);
  } finally {
    await cleanupAll();
  }
}
