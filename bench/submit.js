// Payload submit throughput: 1 GiB from stdin (`head -c N /dev/zero |`) into `work submit`, timed until the
// client exits (the node has stored the whole payload and answered "Job Started"). meshctl vs a raw socket
// writer (socat; and bench/raw-reader.js, the Node.js floor) vs receptorctl, over the Unix socket and TLS, against
// our embedded node and, for information, the real receptor. Each unit runs `wc -c` on its stdin; the count
// it prints is checked against the payload size, then the unit is released (its 1 GiB stdin file deleted).
import { fmt, GiB, machineLine, measure, median, MESHCTL, MiB, missingPeers, RawSession, receptorBin, release, startNode, waitStatus, which } from './lib.js';

export const uses = ['receptor', 'receptorctl', 'socat'];

const SOCAT_BUF = '131072';

function clients(node, transport, size) {
  const head = ['head', '-c', String(size), '/dev/zero'];
  const meshctlArgs = transport === 'unix' ? ['-s', node.socket] : ['-s', node.tlsAddress, '--rootcas', node.ca];
  const list = [{ name: 'meshctl', cmd: process.execPath, args: [MESHCTL, ...meshctlArgs, 'work', 'submit', 'sink', '-p', '-'], producer: head }];
  const request = 'work submit localhost sink';
  const socat = which('socat');
  if (socat) {
    const target = transport === 'unix' ? `UNIX-CONNECT:${node.socket}` : `OPENSSL:127.0.0.1:${node.tlsPort},cafile=${node.ca},verify=1`;
    // The request line, then the payload, then EOF (socat half-closes); it does not wait for the
    // `Work unit created` line before sending the payload, which is fine when the submit is valid.
    list.push({ name: 'socat (raw)', raw: true, cmd: socat, args: ['-b', SOCAT_BUF, '-t', '600', '-', target], producer: ['sh', '-c', `printf '${request}\\n'; exec head -c ${size} /dev/zero`] });
  }
  const rawReader = new URL('./raw-reader.js', import.meta.url).pathname;
  list.push({ name: 'node raw writer', raw: !socat, cmd: process.execPath, args: [rawReader, transport === 'unix' ? node.socket : node.tlsAddress, '-', ...(transport === 'tls' ? [node.ca] : [])], producer: head, env: { REQUEST: request } });
  const rctl = which('receptorctl');
  if (rctl) {
    const sock = transport === 'unix' ? ['--socket', node.socket] : ['--socket', node.tlsAddress, '--rootcas', node.ca];
    list.push({ name: 'receptorctl', cmd: rctl, args: [...sock, 'work', 'submit', 'sink', '-p', '-'], producer: head, once: true });
  }
  return list;
}

async function unitIds(socket) {
  const s = await RawSession.open(socket);
  try {
    return new Set(Object.keys(await s.command('work list')));
  } finally {
    s.close();
  }
}

/** The unit this run created: it must finish with `wc -c` having counted exactly `size` bytes. */
async function checkAndRelease(node, before, size, what) {
  const after = await unitIds(node.socket);
  const fresh = [...after].filter((id) => !before.has(id));
  if (fresh.length !== 1) throw new Error(`${what}: expected one new unit, found ${fresh.length}`);
  const id = fresh[0];
  try {
    await waitStatus(node.socket, id, (s) => s.State >= 2, 120_000);
    const s = await RawSession.open(node.socket);
    s.sock.write(`work results ${id}\n`);
    s.sock.end();
    await s.line(); // Streaming results for work unit ...
    const counted = Number((await s.line()).trim());
    s.close();
    if (counted !== size) throw new Error(`${what}: the unit counted ${counted} payload bytes, expected ${size}`);
  } finally {
    await release(node.socket, id);
  }
}

async function oneNode(kind, size, runs, transports) {
  const node = await startNode({ kind, tls: true, workCommands: [{ worktype: 'sink', command: 'wc', params: '-c' }] });
  const rows = [];
  try {
    for (const transport of transports) {
      const cs = clients(node, transport, size);
      const results = new Map(cs.map((c) => [c.name, []]));
      for (let i = 0; i < runs; i++) {
        for (const c of cs) {
          if (c.once && i > 0) continue;
          const before = await unitIds(node.socket);
          const r = await measure({ cmd: c.cmd, args: c.args, producer: c.producer, env: c.env });
          if (r.code !== 0) throw new Error(`${c.name} over ${transport} failed (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
          await checkAndRelease(node, before, size, `${c.name} over ${transport}`);
          results.get(c.name).push(r);
          process.stderr.write(`  ${kind} ${transport} ${c.name}: ${fmt.s(r.ms)} s, ${fmt.mibs(size, r.ms)} MiB/s, peak ${fmt.mib(r.hwm)} MiB\n`);
        }
      }
      const rawMs = median(results.get(cs.find((c) => c.raw).name).map((r) => r.ms));
      for (const c of cs) {
        const rs = results.get(c.name);
        const ms = median(rs.map((r) => r.ms));
        const best = Math.min(...rs.map((r) => r.ms));
        rows.push({ node: kind === 'receptor' ? 'receptor 1.6.5 (informative)' : 'meshctl node', transport, client: c.name, raw: Boolean(c.raw), ms, best, rate: size / MiB / (ms / 1000), vsRaw: rawMs / ms, hwm: Math.max(...rs.map((r) => r.hwm)), runs: rs.length });
      }
    }
  } finally {
    await node.stop();
  }
  return rows;
}

// The smoke run (`npm run bench -- --smoke`): 1 MiB, one run of each client; every path still runs.
export async function run({ smoke = false, size = smoke ? MiB : Number(process.env.BENCH_SIZE ?? GiB), runs = smoke ? 1 : Number(process.env.BENCH_RUNS ?? 3) } = {}) {
  const rows = [...(await oneNode('meshctl', size, runs, ['unix', 'tls']))];
  if (receptorBin()) rows.push(...(await oneNode('receptor', size, Math.max(1, runs - 2), ['unix', 'tls'])));
  const missing = missingPeers({ receptor: 'the receptor rows are', receptorctl: 'the receptorctl rows are', socat: '"vs raw" is against the node raw writer; socat rows are' });
  // Summary rows (bench/run.js). The client targets are those of `work results` (docs/performance.md), judged at 1 GiB.
  const want = { unix: 0.95, tls: 0.9 };
  const targets = [];
  for (const r of rows.filter((x) => x.client === 'meshctl')) {
    const raw = rows.find((x) => x.node === r.node && x.transport === r.transport && x.raw);
    const judged = size === GiB && r.node === 'meshctl node';
    targets.push({
      target: `\`work submit -p -\` of ${fmt.mib(size)} MiB to ${r.node} over ${r.transport === 'unix' ? 'the Unix socket' : 'TLS'}: meshctl ≥ ${want[r.transport]} × ${raw.client}` + (size === GiB ? '' : ' (judged at 1 GiB)'),
      measured: `${r.vsRaw.toFixed(2)} × (meshctl ${r.rate.toFixed(0)} MiB/s, ${raw.client} ${raw.rate.toFixed(0)} MiB/s; median of ${r.runs} interleaved runs)`,
      met: judged ? (r.vsRaw >= want[r.transport] ? 'yes' : 'no') : 'measured',
    });
  }
  for (const r of rows.filter((x) => x.raw && x.node === 'meshctl node')) {
    const theirs = rows.find((x) => x.node !== r.node && x.transport === r.transport && x.client === r.client);
    if (theirs) {
      targets.push({
        target: `payload stored from ${r.client} over ${r.transport === 'unix' ? 'the Unix socket' : 'TLS'}, ${fmt.mib(size)} MiB: meshctl node vs receptor (the nodes ran one after the other, not interleaved: bench/node-ingest.js judges ingest)`,
        measured: `meshctl node ${r.rate.toFixed(0)} MiB/s, receptor ${theirs.rate.toFixed(0)} MiB/s (${(r.rate / theirs.rate).toFixed(2)} ×)`,
        met: 'measured',
      });
    }
  }
  const md = [
    '## Payload submit throughput',
    '',
    `\`head -c ${size} /dev/zero | CLIENT work submit sink -p -\` (${fmt.mib(size)} MiB from stdin); wall time until the client exits, i.e. until the node has stored ` +
      'the payload and answered. The unit (`wc -c`) must count every byte (checked), then it is released. ' +
      `Median of ${runs} interleaved runs (real receptor: ${Math.max(1, runs - 2)}; receptorctl: one). "vs raw" = socat's median time ÷ the client's. ` +
      `Raw writer: \`{ printf 'work submit localhost sink\\n'; head -c N /dev/zero; } | socat -b ${SOCAT_BUF} -t 600 - UNIX-CONNECT:SOCK\`; ` +
      '"node raw writer" = bench/raw-reader.js with `REQUEST=...` (`stdin.pipe(socket)`). Peak = client VmHWM.',
    `Machine: ${machineLine()}.`,
    'Reproduce: `npm run bench -- submit` (`BENCH_SIZE`, `BENCH_RUNS`).',
    ...(missing ? ['', missing] : []),
    '',
    '| node | transport | client | median s | best s | MiB/s (median) | vs raw | peak MiB | runs |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.node} | ${r.transport} | ${r.client} | ${fmt.s(r.ms)} | ${fmt.s(r.best)} | ${r.rate.toFixed(0)} | ${r.vsRaw.toFixed(2)} | ${fmt.mib(r.hwm)} | ${r.runs} |`),
  ].join('\n');
  return { md, targets };
}
