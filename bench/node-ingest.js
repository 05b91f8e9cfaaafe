// Node payload ingest (issue 13: "payload ingest at ≥ receptor's throughput, with peak RSS ≤ receptor's + 10 MiB"):
// one raw client sends `work submit localhost sink`, then N bytes of payload, then half-closes, and waits for the
// node's reply; the same client against meshctl node and the real receptor 1.6.5, over the Unix socket and TLS.
// The figures are the NODE's: wall time until the client exits (the node stored the payload and answered), the
// node's CPU seconds during the ingest (utime + stime from /proc/PID/stat, after − before), its peak RSS (VmHWM of
// a fresh node per run, so the peak is this ingest's or the node's start-up's, whichever is larger) and its RSS
// before the ingest (after one empty unit, run and released: meshctl node starts its unit runner process with
// its first unit, ~90 ms, once per node; the runner's memory, like receptor's command runners', is not the
// node's). The unit runs `wc -c` on its stdin; its count is checked, then the unit is released (its
// stdin file deleted). meshctl node and receptor alternate run by run (the first of the pair alternating too):
// on a shared machine only their ratio in one run means anything.
//   npm run build && BENCH_OUT=/tmp/x.md node bench/node-ingest.js
//   BENCH_INGEST_SIZES=256MiB,1GiB  BENCH_RUNS=5  BENCH_INGEST_TRANSPORTS=unix,tls
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { cleanupAll, fmt, GiB, machineLine, measure, median, memoryOf, MiB, RawSession, receptorBin, release, startNode, submitNoPayload, waitStatus, which, writeSection } from './lib.js';

/** The peers this bench compares against (bench/run.js names the benches that lose figures when one is missing). */
export const uses = ['receptor', 'socat'];

const SOCAT_BUF = '131072';
const REQUEST = 'work submit localhost sink';
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a live process (all its threads), in seconds. */
async function cpuOf(pid) {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime 15.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** `268435456`, `256MiB`, `1GiB` → bytes. */
function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB)?$/i.exec(text.trim());
  if (!m) throw new Error(`bench node-ingest: bad size '${text}' (bytes, or a number with KiB, MiB or GiB)`);
  return Math.round(Number(m[1]) * ({ kib: 1024, mib: MiB, gib: GiB }[(m[2] ?? '').toLowerCase()] ?? 1));
}

/** The raw client: the request line, the payload, EOF; it exits once the node has answered and closed. */
function client(node, transport, size) {
  const socat = which('socat');
  if (socat) {
    const target = transport === 'unix' ? `UNIX-CONNECT:${node.socket}` : `OPENSSL:127.0.0.1:${node.tlsPort},cafile=${node.ca},verify=1`;
    return { name: 'socat', cmd: socat, args: ['-b', SOCAT_BUF, '-t', '600', '-', target], producer: ['sh', '-c', `printf '${REQUEST}\\n'; exec head -c ${size} /dev/zero`] };
  }
  const rawReader = new URL('./raw-reader.js', import.meta.url).pathname;
  return {
    name: 'node raw writer',
    cmd: process.execPath,
    args: [rawReader, transport === 'unix' ? node.socket : node.tlsAddress, '-', ...(transport === 'tls' ? [node.ca] : [])],
    producer: ['head', '-c', String(size), '/dev/zero'],
    env: { REQUEST },
  };
}

/** The unit the run created must have counted exactly `size` bytes; then it is released. */
async function checkAndRelease(node, size, what) {
  const s = await RawSession.open(node.socket);
  let ids;
  try {
    ids = Object.keys(await s.command('work list'));
  } finally {
    s.close();
  }
  if (ids.length !== 1) throw new Error(`${what}: expected one unit, found ${ids.length}`);
  const id = ids[0];
  try {
    const st = await waitStatus(node.socket, id, (x) => x.State >= 2, 120_000);
    if (st.State !== 2) throw new Error(`${what}: the unit ended ${st.StateName}: ${st.Detail}`);
    const r = await RawSession.open(node.socket);
    r.sock.write(`work results ${id}\n`);
    r.sock.end();
    await r.line(); // Streaming results for work unit ...
    const counted = Number((await r.line()).trim());
    r.close();
    if (counted !== size) throw new Error(`${what}: the unit counted ${counted} payload bytes, expected ${size}`);
  } finally {
    await release(node.socket, id);
  }
}

/** One ingest on a fresh node: wall ms, node CPU s, node peak and before RSS (bytes). */
async function once(kind, transport, size) {
  const node = await startNode({ kind, tls: transport === 'tls', workCommands: [{ worktype: 'sink', command: 'wc', params: '-c' }] });
  try {
    // One empty submit first, run and released: meshctl node starts its unit runner with the first unit
    // (~90 ms here, once per node), receptor its first command runner; neither is the ingest's cost. Then
    // start-up settles (receptor's first adverts, our node's lazy loads) before "before" is read.
    const warm = await submitNoPayload(node.socket, 'sink');
    await waitStatus(node.socket, warm, (x) => x.State >= 2, 60_000);
    await release(node.socket, warm);
    await new Promise((r) => setTimeout(r, 300));
    const before = await memoryOf(node.pid);
    const cpu0 = await cpuOf(node.pid);
    const c = client(node, transport, size);
    const r = await measure({ cmd: c.cmd, args: c.args, producer: c.producer, env: c.env });
    const cpu = (await cpuOf(node.pid)) - cpu0;
    const after = await memoryOf(node.pid);
    const what = `${kind} ${transport} ${fmt.mib(size)} MiB`;
    if (r.code !== 0) throw new Error(`${what}: ${c.name} exited ${r.code}: ${r.stderr.slice(0, 500)}`);
    // The node's reply: `Work unit created` (receptor) or nothing before it, then `{"result":"Job Started",...}`.
    await checkAndRelease(node, size, what);
    return { ms: r.ms, cpu, hwm: after.hwm, rssBefore: before.rss, client: c.name };
  } finally {
    await node.stop();
  }
}

export async function run({
  smoke = false,
  sizes = (process.env.BENCH_INGEST_SIZES ?? (smoke ? '8MiB' : '256MiB,1GiB')).split(',').map(parseSize),
  runs = smoke ? 1 : Number(process.env.BENCH_RUNS ?? 5),
  transports = (process.env.BENCH_INGEST_TRANSPORTS ?? 'unix,tls').split(','),
} = {}) {
  const kinds = ['meshctl', ...(receptorBin() ? ['receptor'] : [])];
  const notes = [];
  if (kinds.length === 1) notes.push('receptor is not installed (`.ci/install-peers`, or RECEPTOR_BIN): no receptor rows and no comparison in this run.');
  if (!which('socat')) notes.push('socat is not installed: the client is bench/raw-reader.js with `REQUEST=...` (`stdin.pipe(socket)`).');
  const results = new Map();
  const key = (kind, size, transport) => `${kind} ${size} ${transport}`;
  let clientName = '';
  for (const size of sizes) {
    for (const transport of transports) {
      for (let i = 0; i < runs; i++) {
        const order = i % 2 === 0 ? kinds : [...kinds].reverse();
        for (const kind of order) {
          const r = await once(kind, transport, size);
          clientName = r.client;
          if (!results.has(key(kind, size, transport))) results.set(key(kind, size, transport), []);
          results.get(key(kind, size, transport)).push(r);
          process.stderr.write(`  ${kind} ${fmt.mib(size)} MiB ${transport}: ${fmt.s(r.ms)} s, ${fmt.mibs(size, r.ms)} MiB/s, node cpu ${r.cpu.toFixed(2)} s, peak ${fmt.mib(r.hwm)} MiB (before ${fmt.mib(r.rssBefore)})\n`);
        }
      }
    }
  }
  const rows = [];
  for (const size of sizes) {
    for (const transport of transports) {
      for (const kind of kinds) {
        const rs = results.get(key(kind, size, transport));
        const ms = median(rs.map((x) => x.ms));
        rows.push({ kind, size, transport, ms, rate: size / MiB / (ms / 1000), cpu: median(rs.map((x) => x.cpu)), hwm: median(rs.map((x) => x.hwm)), hwmMax: Math.max(...rs.map((x) => x.hwm)), before: median(rs.map((x) => x.rssBefore)), growth: median(rs.map((x) => x.hwm - x.rssBefore)), runs: rs.length });
      }
    }
  }
  const find = (kind, size, transport) => rows.find((r) => r.kind === kind && r.size === size && r.transport === transport);
  const cells = rows
    .filter((r) => r.kind === 'meshctl')
    .map((m) => ({ m, r: find('receptor', m.size, m.transport) }))
    .filter((x) => x.r);
  const label = (x) => `${fmt.mib(x.m.size)} MiB ${x.m.transport}`;
  const targets = cells.length
    ? [
        {
          target: "Node: payload ingest ≥ receptor's throughput",
          measured: cells.map((x) => `${label(x)} ${(x.m.rate / x.r.rate).toFixed(2)}×`).join(', '),
          met: cells.every((x) => x.m.rate >= x.r.rate) ? 'yes' : 'no',
        },
        {
          target: "Node: peak RSS during ingest ≤ receptor's + 10 MiB",
          measured: cells.map((x) => `${label(x)} ${fmt.mib(x.m.hwm)} vs ${fmt.mib(x.r.hwm)} MiB`).join(', '),
          met: cells.every((x) => x.m.hwm <= x.r.hwm + 10 * MiB) ? 'yes' : 'no',
        },
      ]
    : [{ target: "Node: payload ingest ≥ receptor's throughput, peak RSS ≤ receptor's + 10 MiB", measured: 'receptor not installed: not compared', met: 'measured' }];
  const md = [
    '## Node payload ingest',
    '',
    `A raw client (${clientName === 'socat' ? `\`{ printf '${REQUEST}\\n'; head -c N /dev/zero; } | socat -b ${SOCAT_BUF} -t 600 - UNIX-CONNECT:SOCK\` / \`OPENSSL:127.0.0.1:PORT,cafile=CA\`` : 'bench/raw-reader.js with `REQUEST=...`'}) ` +
      `sends the request line, ${sizes.map((x) => fmt.mib(x)).join(' and ')} MiB of payload and EOF to a fresh node (meshctl node, receptor 1.6.5; one empty unit run and released first, so that meshctl's unit runner, started with a node's first unit, is up as on any node that has run a unit), over the Unix socket and over TLS (the node's \`tcptls\` control listener, ECDSA P-256, TLS 1.3); ` +
      'wall time until the client exits (the node stored the payload, answered and closed). The unit (`wc -c`) must count every byte (checked), then it is released. ' +
      'Node CPU = its utime + stime (/proc/PID/stat) during the ingest; peak = its VmHWM (a fresh node per run); before = its RSS just before the ingest; peak − before = what the ingest itself added (median of the runs). ' +
      `Medians of ${runs} runs, meshctl node and receptor alternating run by run on a shared 2-core machine: compare the two, not the absolute figures.`,
    `Machine: ${machineLine()}.`,
    ...(notes.length ? ['', ...notes] : []),
    'Reproduce: `npm run build && node bench/node-ingest.js` (`BENCH_INGEST_SIZES=256MiB,1GiB`, `BENCH_RUNS=n`, `BENCH_INGEST_TRANSPORTS=unix,tls`).',
    '',
    '| node | client | MiB | transport | median s | MiB/s | vs receptor | node CPU s | CPU ÷ receptor | peak MiB (median / max) | RSS before MiB | peak − before MiB | runs |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const rc = find('receptor', r.size, r.transport);
      const vs = rc && r.kind === 'meshctl' ? (r.rate / rc.rate).toFixed(2) : '';
      const cpuVs = rc && r.kind === 'meshctl' && rc.cpu > 0 ? (r.cpu / rc.cpu).toFixed(2) : '';
      return `| ${r.kind === 'receptor' ? 'receptor 1.6.5' : 'meshctl node'} | ${clientName === 'socat' ? 'socat' : 'bench/raw-reader.js'} | ${fmt.mib(r.size)} | ${r.transport} | ${fmt.s(r.ms)} | ${r.rate.toFixed(0)} | ${vs} | ${r.cpu.toFixed(2)} | ${cpuVs} | ${fmt.mib(r.hwm)} / ${fmt.mib(r.hwmMax)} | ${fmt.mib(r.before)} | ${fmt.mib(r.growth)} | ${r.runs} |`;
    }),
  ].join('\n');
  return { md, targets };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const r = await run({ smoke: process.env.BENCH_SMOKE === '1' });
    console.log(r.md);
    console.log(r.targets.map((t) => `${t.target}: ${t.measured} (met: ${t.met})`).join('\n'));
    writeSection('node-ingest', r.md);
  } finally {
    await cleanupAll();
  }
}
