// Peak memory (VmHWM) of meshctl and of the node while 1 GiB streams through them: results over the Unix
// socket, results over TLS, and a payload submit from stdin. A fresh node per phase, so its VmHWM belongs to
// that phase alone (its idle figure after start-up is shown for reference). Target: < 100 MiB each.
import { fmt, GiB, machineLine, measure, memoryOf, MESHCTL, MiB, release, sleep, startNode, submitNoPayload, waitStatus } from './lib.js';

const PHASES = ['results over unix', 'results over TLS', 'submit from stdin (unix)'];

async function phase(kind, name, size, v8flags = []) {
  const node = await startNode({
    kind,
    nodeArgs: v8flags,
    tls: true,
    workCommands: [
      { worktype: 'gen', command: 'head', params: `-c ${size} /dev/zero` },
      { worktype: 'sink', command: 'wc', params: '-c' },
    ],
  });
  try {
    let r;
    let idle;
    if (name.startsWith('results')) {
      const id = await submitNoPayload(node.socket, 'gen');
      await waitStatus(node.socket, id, (s) => s.State === 2, 300_000);
      await sleep(200);
      idle = (await memoryOf(node.pid)).hwm;
      const addr = name.endsWith('TLS') ? ['-s', node.tlsAddress, '--rootcas', node.ca] : ['-s', node.socket];
      r = await measure({ cmd: process.execPath, args: [...v8flags, MESHCTL, ...addr, 'work', 'results', id] });
      if (r.code !== 0 || r.bytes !== size) throw new Error(`meshctl results failed (${r.code}, ${r.bytes} bytes): ${r.stderr}`);
      await release(node.socket, id);
    } else {
      await sleep(200);
      idle = (await memoryOf(node.pid)).hwm;
      r = await measure({ cmd: process.execPath, args: [...v8flags, MESHCTL, '-s', node.socket, 'work', 'submit', 'sink', '-p', '-'], producer: ['head', '-c', String(size), '/dev/zero'] });
      if (r.code !== 0) throw new Error(`meshctl submit failed (${r.code}): ${r.stderr}`);
    }
    const nodePeak = (await memoryOf(node.pid)).hwm;
    process.stderr.write(`  ${kind} ${name}: meshctl ${fmt.mib(r.hwm)} MiB, node ${fmt.mib(nodePeak)} MiB (idle ${fmt.mib(idle)})\n`);
    return { kind, name: v8flags.length ? `${name}, both with \`${v8flags.join(' ')}\`` : name, cli: r.hwm, node: nodePeak, idle, ms: r.ms };
  } finally {
    await node.stop();
  }
}

export const uses = [];

// The smoke run (`npm run bench -- --smoke`): 1 MiB through each phase; the figures then only show the paths work.
export async function run({ smoke = false, size = smoke ? MiB : Number(process.env.BENCH_SIZE ?? GiB) } = {}) {
  const rows = [];
  for (const name of PHASES) rows.push(await phase('meshctl', name, size));
  // For comparison: both processes with V8's young generation capped from the command line. The node
  // already keeps its young generation small by itself (src/cli/young-generation.ts); meshctl does not.
  rows.push(await phase('meshctl', PHASES[0], size, ['--max-semi-space-size=1']));
  rows.push(await phase('meshctl', PHASES[2], size, ['--max-semi-space-size=1']));
  const ok = (b) => (b < 100 * MiB ? 'yes' : '**no**');
  // Summary rows (bench/run.js): the < 100 MiB target, judged when 1 GiB streamed (the default run).
  const targets = rows.map((r) => ({
    target: `peak RSS while ${fmt.mib(size)} MiB streams, ${r.name.replace(/`/g, '')}: meshctl and meshctl node each < 100 MiB` + (size >= GiB ? '' : ' (judged at 1 GiB)'),
    measured: `meshctl ${fmt.mib(r.cli)} MiB, node ${fmt.mib(r.node)} MiB (idle ${fmt.mib(r.idle)} MiB)`,
    met: size >= GiB ? (Math.max(r.cli, r.node) < 100 * MiB ? 'yes' : 'no') : 'measured',
  }));
  const md = [
    '## Peak memory while streaming',
    '',
    `VmHWM (peak resident set) while ${fmt.mib(size)} MiB passes through: meshctl sampled from /proc every 20 ms, the node read after the transfer. ` +
      'A fresh node per phase; "node idle" is its VmHWM after start-up and (for results) after the unit ran, before the transfer. Target: < 100 MiB each. ' +
      'For scale: the *Start-up* section gives the peak RSS of a bare `node -e 0` in the same run.',
    `Machine: ${machineLine()}.`,
    'Reproduce: `npm run bench -- memory`.',
    '',
    '| node | phase | meshctl peak MiB | node peak MiB | node idle MiB | both < 100 MiB |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| meshctl node | ${r.name} | ${fmt.mib(r.cli)} | ${fmt.mib(r.node)} | ${fmt.mib(r.idle)} | ${ok(Math.max(r.cli, r.node))} |`),
  ].join('\n');
  return { md, targets };
}
