// Results throughput: one 1 GiB completed unit streamed by `meshctl work results` vs a raw socket reader (socat,
// the limit: it only copies bytes) vs receptorctl, over the Unix socket and over TLS, against our embedded node
// and, for information, against the real receptor. Every client's stdout goes to `wc -c` (the count is checked).
// Target: meshctl ≥ 0.9 × the raw reader on the same node in the same run.
import { fmt, GiB, machineLine, measure, median, MESHCTL, MiB, receptorBin, startNode, submitNoPayload, waitStatus, which } from './lib.js';

const SOCAT_BUF = '131072';

/** The clients for one node and transport: { name, cmd, args, producer?, unit? }. */
function clients(node, transport, unitId, smallUnitId) {
  const meshctlArgs = transport === 'unix' ? ['-s', node.socket] : ['-s', node.tlsAddress, '--rootcas', node.ca];
  const list = [{ name: 'meshctl', cmd: process.execPath, args: [MESHCTL, ...meshctlArgs, 'work', 'results', unitId] }];
  const socat = which('socat');
  if (socat) {
    const target = transport === 'unix' ? `UNIX-CONNECT:${node.socket}` : `OPENSSL:127.0.0.1:${node.tlsPort},cafile=${node.ca},verify=1`;
    // socat sends the request from stdin, half-closes when stdin ends (as meshctl and receptorctl do), then
    // copies the stream until the node closes. -t: wait that long for the other direction after our EOF.
    list.push({ name: 'socat (raw)', raw: true, cmd: socat, args: ['-b', SOCAT_BUF, '-t', '600', '-', target], producer: ['printf', 'work results %s\\n', unitId] });
  }
  // The floor for any Node.js client: socket.pipe(stdout), no protocol handling (bench/raw-reader.js).
  const rawReader = new URL('./raw-reader.js', import.meta.url).pathname;
  list.push({ name: 'node raw reader', raw: !socat, cmd: process.execPath, args: [rawReader, transport === 'unix' ? node.socket : node.tlsAddress, unitId, ...(transport === 'tls' ? [node.ca] : [])] });
  const rctl = which('receptorctl');
  if (rctl) {
    const sock = transport === 'unix' ? ['--socket', node.socket] : ['--socket', node.tlsAddress, '--rootcas', node.ca];
    // receptorctl copies in lines of at most 256 bytes (~30 MiB/s): it reads a smaller unit, once.
    list.push({ name: 'receptorctl', cmd: rctl, args: [...sock, 'work', 'results', smallUnitId], once: true, small: true });
  }
  return list;
}

async function generated(node, size) {
  const id = await submitNoPayload(node.socket, 'gen', `-c ${size} /dev/zero`);
  await waitStatus(node.socket, id, (s) => s.State === 2 && s.StdoutSize === size, 300_000);
  return id;
}

async function oneNode(kind, size, smallSize, runs, transports) {
  const node = await startNode({ kind, tls: true, workCommands: [{ worktype: 'gen', command: 'head', allowruntimeparams: true }] });
  const rows = [];
  try {
    const id = await generated(node, size);
    const smallId = smallSize === size ? id : await generated(node, smallSize);
    for (const transport of transports) {
      const cs = clients(node, transport, id, smallId);
      const results = new Map(cs.map((c) => [c.name, []]));
      // Warm the page cache and the node once, then interleave the clients so drift hits them alike.
      await measure({ cmd: cs[0].cmd, args: cs[0].args });
      for (let i = 0; i < runs; i++) {
        for (const c of cs) {
          if (c.once && i > 0) continue;
          const want = c.small ? smallSize : size;
          const r = await measure({ cmd: c.cmd, args: c.args, producer: c.producer });
          if (r.code !== 0 || r.bytes < want) throw new Error(`${c.name} over ${transport} failed (exit ${r.code}, ${r.bytes} bytes): ${r.stderr.slice(0, 500)}`);
          results.get(c.name).push(r);
          process.stderr.write(`  ${kind} ${transport} ${c.name}: ${fmt.s(r.ms)} s, ${fmt.mibs(want, r.ms)} MiB/s, peak ${fmt.mib(r.hwm)} MiB\n`);
        }
      }
      const rawRate = rate(results.get(cs.find((c) => c.raw).name), size);
      for (const c of cs) {
        const rs = results.get(c.name);
        const r = rate(rs, c.small ? smallSize : size);
        rows.push({ node: kind === 'receptor' ? 'receptor 1.6.5 (informative)' : 'meshctl node', transport, client: c.name + (c.small ? ` (${fmt.mib(smallSize)} MiB unit)` : ''), ms: median(rs.map((x) => x.ms)), rate: r, vsRaw: r / rawRate, hwm: Math.max(...rs.map((x) => x.hwm)), runs: rs.length });
      }
    }
  } finally {
    await node.stop();
  }
  return rows;
}

function rate(rs, size) {
  return size / MiB / (median(rs.map((r) => r.ms)) / 1000);
}

export async function run({ size = Number(process.env.BENCH_SIZE ?? GiB), runs = Number(process.env.BENCH_RUNS ?? 3) } = {}) {
  const smallSize = Math.min(size, 256 * MiB);
  const rows = [...(await oneNode('meshctl', size, smallSize, runs, ['unix', 'tls']))];
  const receptor = receptorBin();
  // The real receptor writes a unit's output slowly (~10 MiB/s here: it opens the unit's stdout file with
  // O_SYNC, pkg/workceptor/command.go), so its unit is the small one.
  if (receptor) rows.push(...(await oneNode('receptor', smallSize, smallSize, Math.max(1, runs - 1), ['unix', 'tls'])));
  const table = rows.map(
    (r) => `| ${r.node} | ${r.transport} | ${r.client} | ${fmt.s(r.ms)} | ${r.rate.toFixed(0)} | ${r.vsRaw.toFixed(2)} | ${fmt.mib(r.hwm)} | ${r.runs} |`,
  );
  return [
    '## Results throughput',
    '',
    `\`work results\` of one completed unit of ${fmt.mib(size)} MiB (\`head -c ${size} /dev/zero\`), each client's stdout piped into \`wc -c\` (byte count checked). ` +
      `Median of ${runs} interleaved runs after one warm-up (receptorctl: one run of a ${fmt.mib(smallSize)} MiB unit, it copies 256-byte lines). ` +
      `Real receptor (informative): a ${fmt.mib(smallSize)} MiB unit for every client (receptor takes ~100 s to write a 1 GiB unit here: it opens the unit's stdout file with O_SYNC), ${Math.max(1, runs - 1)} runs. ` +
      '"vs raw" = client MiB/s ÷ socat MiB/s (1.00 = as fast as copying the socket); wall time includes process start-up (~0.2 s for meshctl). "node raw reader" = bench/raw-reader.js (`socket.pipe(process.stdout)`), the floor for any Node.js client. ' +
      `Raw reader: \`socat -b ${SOCAT_BUF} -t 600 - UNIX-CONNECT:SOCK\` / \`OPENSSL:127.0.0.1:PORT,cafile=CA\` fed \`work results ID\` on stdin. ` +
      'TLS: the node\'s `tcptls` control listener, ECDSA P-256 certificate, TLS 1.3. Peak = client VmHWM (sampled every 20 ms).',
    `Machine: ${machineLine()}.`,
    'Reproduce: `npm run bench -- results` (`BENCH_SIZE=bytes`, `BENCH_RUNS=n` to change the size and run count).',
    '',
    '| node | transport | client | median s | MiB/s | vs raw | peak MiB | runs |',
    '|---|---|---|---|---|---|---|---|',
    ...table,
  ].join('\n');
}
