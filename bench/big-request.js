// One big control request against everyone else (issue 10): while one client sends a huge command line,
// another asks `status` over and over on its own connection. Printed per scenario: how long the big request
// took to be answered (or refused and closed), how many `status` answers the other client got meanwhile and
// its longest wait, and the node's memory (VmHWM: peak RSS since start, a fresh node per scenario; RSS after).
// Our node and, when installed, receptor 1.6.5. Scenarios: 30 MiB of params in a text and in a JSON submit
// (work type `cat`, which takes no runtime params: the node answers once it has parsed the line), the same
// for a work type that allows them (the unit is then started with 15 million arguments), a JSON line of
// 24 MiB of `\u0041` escapes, and a 40 MiB line (over meshctl's 32 MiB bound).
//
//   npm run build && node bench/big-request.js            (or: npm run bench -- big-request, once listed in bench/run.js)
import * as net from 'node:net';
import { pathToFileURL } from 'node:url';
import { cleanupAll, hwmSampler, machineLine, memoryOf, MiB, RawSession, receptorBin, sleep, startNode } from './lib.js';

const SCENARIOS = [
  { name: '30 MiB params, text submit', worktype: 'cat', line: () => Buffer.concat([Buffer.from('work submit localhost cat '), Buffer.alloc(30 * MiB, 'a '), Buffer.from('\n')]) },
  {
    name: '30 MiB params, JSON submit',
    worktype: 'cat',
    line: () => Buffer.concat([Buffer.from('{"command":"work","subcommand":"submit","node":"localhost","worktype":"cat","params":"'), Buffer.alloc(30 * MiB, 'a '), Buffer.from('"}\n')]),
  },
  {
    name: '30 MiB params, text submit, allowruntimeparams',
    worktype: 'args',
    line: () => Buffer.concat([Buffer.from('work submit localhost args '), Buffer.alloc(30 * MiB, 'a '), Buffer.from('\n')]),
    payload: true,
  },
  {
    name: 'JSON line of 24 MiB of \\u0041 escapes',
    worktype: 'cat',
    line: () => Buffer.concat([Buffer.from('{"command":"status","requested_fields":["'), Buffer.alloc(24 * MiB, '\\u0041'), Buffer.from('"]}\n')]),
  },
  { name: '40 MiB line (over the 32 MiB bound)', worktype: 'cat', line: () => Buffer.concat([Buffer.from('work submit localhost cat '), Buffer.alloc(40 * MiB, 'b'), Buffer.from('\n')]) },
];

async function scenario(kind, s) {
  const node = await startNode({
    kind,
    workCommands: [
      { worktype: 'cat', command: 'cat' },
      { worktype: 'args', command: 'echo', allowruntimeparams: true },
    ],
  });
  try {
    const line = s.line();
    const other = await RawSession.open(node.socket);
    await other.command('status');
    const big = net.connect({ path: node.socket, allowHalfOpen: true });
    big.on('error', () => {});
    let out = '';
    big.setEncoding('utf8');
    await new Promise((resolve) => big.on('data', function greet(d) {
      out += d;
      if (out.includes('\n')) {
        big.off('data', greet);
        resolve();
      }
    }));
    out = '';
    const hwm = hwmSampler(node.pid, 20);
    const t0 = performance.now();
    let tEnd;
    // Finished: the final reply (after the `Work unit created` line of a started submit), or the connection closed.
    const finished = new Promise((resolve) => {
      const done = () => {
        tEnd ??= performance.now();
        resolve();
      };
      big.on('data', (d) => {
        out += d;
        const lines = out.split('\n').length - 1;
        if (out.startsWith('Work unit created') && lines === 1) big.end(); // empty payload
        if (lines >= (out.startsWith('Work unit created') ? 2 : 1)) done();
      });
      big.on('close', done);
    });
    big.write(line, () => {
      if (!s.payload) big.end();
    });
    const waits = [];
    let answers = 0;
    let stop = false;
    finished.then(() => (stop = true));
    while (!stop) {
      const a = performance.now();
      await other.command('status');
      waits.push(performance.now() - a);
      answers++;
      await sleep(2);
    }
    const ms = tEnd - t0;
    const peak = await hwm.stop();
    const after = await memoryOf(node.pid);
    other.close();
    big.destroy();
    waits.sort((x, y) => x - y);
    return {
      kind,
      name: s.name,
      ms,
      reply: out.trim().split('\n').pop()?.slice(0, 70) ?? '',
      answers,
      p50: waits[waits.length >> 1] ?? 0,
      longest: waits[waits.length - 1] ?? 0,
      hwm: peak,
      rss: after.rss,
    };
  } finally {
    await node.stop();
  }
}

export async function run() {
  const kinds = ['meshctl', ...(receptorBin() ? ['receptor'] : [])];
  const rows = [];
  // BIG_REQUEST_ONLY=regex picks scenarios by name.
  const only = process.env.BIG_REQUEST_ONLY ? new RegExp(process.env.BIG_REQUEST_ONLY) : undefined;
  for (const s of SCENARIOS.filter((x) => !only || only.test(x.name))) {
    for (const kind of kinds) {
      const r = await scenario(kind, s);
      console.error(`big-request: ${kind} ${s.name}: ${Math.round(r.ms)} ms, ${r.answers} status answers, longest wait ${Math.round(r.longest)} ms, peak ${(r.hwm / MiB).toFixed(0)} MiB`);
      rows.push(r);
    }
  }
  const f = (x) => Math.round(x).toString();
  return [
    '## One big request against everyone else (`node bench/big-request.js`)',
    '',
    `${machineLine()}. A fresh node per row; another client asks \`status\` in a loop meanwhile.`,
    '',
    '| node | request | answered or closed after (ms) | reply | status answers meanwhile | their p50 / longest wait (ms) | node peak RSS (MiB) | RSS after (MiB) |',
    '|---|---|---:|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.kind} | ${r.name} | ${f(r.ms)} | \`${r.reply.replace(/\|/g, '\\|')}\` | ${r.answers} | ${r.p50.toFixed(1)} / ${f(r.longest)} | ${f(r.hwm / MiB)} | ${f(r.rss / MiB)} |`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(await run());
  } finally {
    await cleanupAll();
  }
}
