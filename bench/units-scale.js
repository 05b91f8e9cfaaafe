// Units scale curve (issue 13): 1k, 10k and 100k finished units on disk, `meshctl node` against the real
// receptor 1.6.5, alternated run by run. Per run, on a fresh copy of the units (release-all consumes them):
// - spawn → the first `status` answer;
// - spawn → the first `work list` that names every unit (asked again and again from the `status` answer on);
// - steady-state `work list`: the median of several, each on a fresh session, timed from sending `work list\n`
//   (after the greeting) to the reply's newline, by one raw socket client that only counts bytes (the reply is
//   parsed after the clock stops), so the node is measured and not a client;
// - the node's RSS after those lists;
// - release-all: `work release ID` for every unit, pipelined on RELEASE_CONNS connections (a window of
//   RELEASE_WINDOW lines in flight on each), the same for both nodes, until every reply is in and the units
//   directory is empty.
// The units are written in receptor's layout by bench/node-units.js (writeUnits). Receptor 1.6.5 can hang for good
// on a `work list` that arrives while it still loads its units (bench/node-units.js says why): every step has a
// timeout, a hung or failed step is reported as such and the node killed, and the run goes on.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineLine, median, memoryOf, MESHCTL, MiB, receptorBin, sleep, tempDir, track } from './lib.js';
import { ask, config, connectable, NODE_ID, unitId, writeUnits } from './node-units.js';

/** The peers this bench measures against (bench/list.js, test/interop/bench-smoke.test.ts). */
export const uses = ['receptor'];

const RELEASE_CONNS = 4;
const RELEASE_WINDOW = 64;

/** Per size: measured rounds (each kind once per round) and steady-state lists per run. */
function plan(smoke) {
  if (smoke) return [{ n: 200, rounds: 1, lists: 3 }];
  const sizes = (process.env.BENCH_UNITS_SIZES ?? '1000,10000,100000').split(',').map(Number);
  return sizes.map((n) => (n >= 100_000 ? { n, rounds: 1, lists: 5 } : n >= 10_000 ? { n, rounds: 3, lists: 9 } : { n, rounds: 3, lists: 15 }));
}

/**
 * Where the units are written: $BENCH_UNITS_DIR, else tmpfs (/dev/shm) when there is one. On this VM's ext4
 * (discard) creating 10k units took 88 s (2 ms a file) against 1.1 s on tmpfs, and removing them 7 s against
 * 1.7 s: on disk a 100k run would take a quarter of an hour to set up and the file system's cost would drown
 * the nodes' own in release-all. Both nodes read the same page-cached files either way.
 */
function unitsRoot() {
  return process.env.BENCH_UNITS_DIR || (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
}


/** Timeouts grow with the units: a node that keeps to them is slow, one that misses them is reported so. */
const limits = (n) => ({ startMs: 60_000 + n * 2, listMs: 10_000 + n * 0.5, releaseMs: 60_000 + n * 5 });

/** A session after its greeting: `exchange(text)` writes and resolves once `replies` newline-ended lines are in. */
async function openRaw(socket, timeoutMs) {
  const sock = net.connect({ path: socket });
  await new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let onData = null;
  let failed = null;
  sock.on('data', (d) => onData?.(d));
  const fail = (err) => {
    failed = err ?? new Error('connection closed');
    onData?.(null);
  };
  sock.on('error', fail);
  sock.on('close', () => fail());
  // Lines are counted by their newlines; the caller says how many it waits for and gets the bytes.
  const read = (lines, onLine) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      let got = 0;
      const timer = setTimeout(() => {
        onData = null;
        reject(new Error(`no complete reply in ${(timeoutMs / 1000).toFixed(0)} s`));
      }, timeoutMs);
      onData = (d) => {
        if (d === null) {
          clearTimeout(timer);
          onData = null;
          reject(failed);
          return;
        }
        chunks.push(d);
        for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) {
          got++;
          onLine?.(got);
        }
        if (got >= lines) {
          clearTimeout(timer);
          onData = null;
          resolve(Buffer.concat(chunks));
        }
      };
    });
  const greeting = (await read(1)).toString();
  if (!greeting.startsWith('Receptor Control')) throw new Error(`bad greeting: ${greeting}`);
  return { sock, read, close: () => sock.destroy() };
}

/** One `work list` on a fresh session: ms from the request to the reply's newline, and the units it names. */
async function timedList(socket, timeoutMs) {
  const s = await openRaw(socket, timeoutMs);
  try {
    const t0 = performance.now();
    const reply = s.read(1);
    s.sock.write('work list\n');
    const bytes = await reply;
    const ms = performance.now() - t0;
    const text = bytes.toString();
    if (text.startsWith('ERROR')) throw new Error(text.trim());
    return { ms, count: Object.keys(JSON.parse(text)).length, bytes: bytes.length };
  } finally {
    s.close();
  }
}

/** Releases `ids` over RELEASE_CONNS pipelined sessions; the ERROR replies once every reply is in. */
async function releaseAll(socket, ids, timeoutMs) {
  const parts = Array.from({ length: RELEASE_CONNS }, (_, k) => ids.filter((_, i) => i % RELEASE_CONNS === k));
  const sessions = await Promise.all(parts.map(() => openRaw(socket, timeoutMs)));
  try {
    const replies = await Promise.all(
      sessions.map((s, k) => {
        const mine = parts[k];
        let sent = 0;
        const send = (upTo) => {
          let text = '';
          for (; sent < Math.min(upTo, mine.length); sent++) text += `work release ${mine[sent]}\n`;
          if (text) s.sock.write(text);
        };
        const done = s.read(mine.length, (got) => send(got + RELEASE_WINDOW));
        send(RELEASE_WINDOW);
        return done;
      }),
    );
    return { errors: replies.reduce((a, b) => a + (b.toString().match(/^ERROR/gm)?.length ?? 0), 0) };
  } finally {
    for (const s of sessions) s.close();
  }
}

/** One run of `kind` on `n` fresh units; every figure it reached, and `failed` naming the step that did not end. */
async function once(kind, n, lists) {
  const lim = limits(n);
  const data = tempDir('meshctl-bench-scale-data-', unitsRoot());
  const tmp = tempDir(`meshctl-bench-scale-${kind}-`);
  const base = writeUnits(data.dir, n);
  const ids = Array.from({ length: n }, (_, i) => unitId(i));
  const { socket, file } = config(tmp.dir, data.dir);
  const [cmd, args] = kind === 'receptor' ? [receptorBin(), ['-c', file]] : [process.execPath, [MESHCTL, 'node', '-c', file]];
  let log = '';
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp.dir });
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => child.once('exit', r));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const untrack = track(async () => {
    await kill();
    tmp.remove();
    data.remove();
  });
  const r = { kind, n };
  try {
    const alive = () => {
      if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}: ${log.slice(-500)}`);
    };
    // Spawn → `status` answers.
    for (;;) {
      alive();
      if (performance.now() - t0 > lim.startMs) return { ...r, failed: `no status answer in ${lim.startMs / 1000} s` };
      if ((await connectable(socket)) && (await ask(socket, 'status'))) break;
      await sleep(5);
    }
    r.ready = performance.now() - t0;
    // Spawn → a complete `work list`.
    for (;;) {
      alive();
      if (performance.now() - t0 > lim.startMs) return { ...r, failed: `no complete work list in ${lim.startMs / 1000} s` };
      const list = await ask(socket, 'work list', lim.listMs);
      if (list === 'hung') return { ...r, failed: `a work list during the load got no answer in ${(lim.listMs / 1000).toFixed(0)} s (hung)` };
      const count = list ? Object.keys(list).length : -1;
      r.firstList ??= count;
      if (count === n) break;
      await sleep(5);
    }
    r.listed = performance.now() - t0;
    // Steady state. Receptor 1.6.5 may name fewer units again after a complete list (seen at 1k: 55 of 1000 in
    // one run, while its work-command section still scanned the directory): such a list is counted, not timed,
    // and the next one asked after a pause.
    const xs = [];
    r.shortLists = 0;
    while (xs.length < lists) {
      alive();
      if (performance.now() - t0 > lim.startMs + lists * lim.listMs) return { ...r, failed: `no ${lists} complete steady lists (${r.shortLists} short)` };
      let x;
      try {
        x = await timedList(socket, lim.listMs);
      } catch (err) {
        return { ...r, failed: `steady work list: ${err.message}` };
      }
      if (x.count !== n) {
        r.shortLists++;
        r.shortExample ??= x.count;
        await sleep(50);
        continue;
      }
      xs.push(x.ms);
      r.replyBytes = x.bytes;
    }
    r.list = median(xs);
    r.rss = (await memoryOf(child.pid)).rss;
    // Release-all: every reply in, then the units directory empty.
    let rel;
    const tRelease = performance.now();
    try {
      rel = await releaseAll(socket, ids, lim.releaseMs);
    } catch (err) {
      return { ...r, failed: `release-all: ${err.message}` };
    }
    r.releaseErrors = rel.errors;
    for (;;) {
      const left = readdirSync(base).length;
      if (left === 0) break;
      if (performance.now() - t0 > lim.startMs + lim.releaseMs) return { ...r, failed: `release-all: ${left} unit directories still there` };
      await sleep(5);
    }
    r.release = performance.now() - tRelease;
    return r;
  } catch (err) {
    return { ...r, failed: err.message };
  } finally {
    untrack();
    await kill();
    tmp.remove();
    data.remove();
  }
}

const fms = (x) => (x === undefined ? '–' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`);

/** Growth from size a to size b of a figure: the exponent k of cost ∝ n^k (1 = linear). */
const exponent = (ta, tb, na, nb) => Math.log(tb / ta) / Math.log(nb / na);

export async function run({ smoke = false } = {}) {
  const receptor = receptorBin();
  const kinds = receptor ? ['meshctl', 'receptor'] : ['meshctl'];
  const sizes = plan(smoke);
  const results = []; // {kind, n, runs: [...]}
  for (const { n, rounds, lists } of sizes) {
    const runs = Object.fromEntries(kinds.map((k) => [k, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...kinds].reverse() : kinds;
      for (const k of order) {
        const x = await once(k, n, lists);
        runs[k].push(x);
        process.stderr.write(
          `  ${n} units, ${k}: status ${fms(x.ready)}, complete list ${fms(x.listed)} (first list ${x.firstList ?? '–'}), ` +
            `steady list ${fms(x.list)}${x.shortLists ? ` (${x.shortLists} short)` : ''}, RSS ${x.rss ? (x.rss / MiB).toFixed(0) : '–'} MiB, release-all ${fms(x.release)}` +
            `${x.failed ? ` FAILED: ${x.failed}` : ''}\n`,
        );
      }
    }
    for (const k of kinds) results.push({ kind: k, n, runs: runs[k] });
  }

  const med = (runs, f) => {
    const v = runs.map(f).filter((x) => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  const fig = (k, n, f) => {
    const e = results.find((x) => x.kind === k && x.n === n);
    return e ? med(e.runs, f) : undefined;
  };
  const name = (k) => (k === 'receptor' ? 'receptor 1.6.5' : '`meshctl node`');
  const rows = [];
  for (const { kind, n, runs } of results) {
    const failed = runs.filter((x) => x.failed || x.releaseErrors);
    const partial = runs.filter((x) => x.firstList !== undefined && x.firstList !== n).length;
    const short = runs.filter((x) => x.shortLists > 0);
    rows.push(
      `| ${name(kind)} | ${n} | ${fms(med(runs, (x) => x.ready))} | ${fms(med(runs, (x) => x.listed))} | ${partial}/${runs.length} | ` +
        `${fms(med(runs, (x) => x.list))}${short.length ? ` (${short.length} run${short.length > 1 ? 's' : ''} with a short list after the complete one, e.g. ${short[0].shortExample} of ${n})` : ''} | ${med(runs, (x) => x.rss) ? (med(runs, (x) => x.rss) / MiB).toFixed(0) : '–'} | ` +
        `${fms(med(runs, (x) => x.release))} | ${failed.length ? failed.map((x) => x.failed ?? `${x.releaseErrors} release replies were ERROR`).join('; ') : '–'} |`,
    );
  }
  // The curve: cost per 1k units at each size, and the exponent between neighbouring sizes.
  const metrics = [
    ['spawn → complete `work list`', (x) => x.listed],
    ['steady `work list`', (x) => x.list],
    ['release-all', (x) => x.release],
  ];
  const curve = [];
  const ns = sizes.map((s) => s.n);
  for (const k of kinds) {
    for (const [label, f] of metrics) {
      const per = ns.map((n) => {
        const v = fig(k, n, f);
        return v === undefined ? '–' : `${(v / (n / 1000)).toFixed(1)}`;
      });
      const exps = [];
      for (let i = 1; i < ns.length; i++) {
        const a = fig(k, ns[i - 1], f);
        const b = fig(k, ns[i], f);
        exps.push(a !== undefined && b !== undefined ? exponent(a, b, ns[i - 1], ns[i]).toFixed(2) : '–');
      }
      curve.push(`| ${name(k)} | ${label} | ${per.join(' / ')} | ${exps.join(' / ') || '–'} |`);
    }
  }
  const ratio = (n, f) => {
    const a = fig('meshctl', n, f);
    const b = fig('receptor', n, f);
    return a !== undefined && b !== undefined ? { a, b, r: a / b } : undefined;
  };
  const at10k = ns.includes(10_000) ? 10_000 : ns[ns.length - 1];
  const listR = ratio(at10k, (x) => x.list);
  const relR = ratio(at10k, (x) => x.release);
  const targets = [
    {
      target: `\`work list\` at ${at10k / 1000}k units no slower than receptor (steady state, one raw socket client)`,
      measured: listR ? `${fms(listR.a)} against receptor's ${fms(listR.b)} (${listR.r.toFixed(2)}×), medians of interleaved runs` : receptor ? 'not measured (a run failed)' : 'receptor missing',
      met: listR ? (listR.r <= 1 ? 'yes' : 'no') : 'measured',
    },
    {
      target: `Scale curve, units (1k / 10k / 100k on disk: start-up, list, release-all): release-all at ${at10k / 1000}k no slower than receptor`,
      measured: relR ? `release-all ${fms(relR.a)} against receptor's ${fms(relR.b)} (${relR.r.toFixed(2)}×); the curve in *Units scale*` : 'the curve in *Units scale*',
      met: relR ? (relR.r <= 1 ? 'yes' : 'no') : 'measured',
    },
  ];
  const md = [
    '## Units scale',
    '',
    `Finished \`cat\` units in receptor's layout (bench/node-units.js writeUnits; every tenth Failed), a fresh copy per run, under ${unitsRoot()} ` +
      `(tmpfs by default: creating the unit files on this VM's ext4 takes far longer than the nodes' own work and would drown it; BENCH_UNITS_DIR=DIR puts them elsewhere). ` +
      `Each size alternates \`meshctl node\` and receptor run by run (${sizes.map((s) => `${s.n}: ${s.rounds} round${s.rounds > 1 ? 's' : ''}`).join(', ')}); ` +
      `the machine is shared, so read the ratios of one run rather than the absolute times. Machine: ${machineLine()}.`,
    'Reproduce: `npm run bench -- units-scale` or `node bench/units-scale.js` (BENCH_UNITS_SIZES=1000,10000 for fewer sizes).',
    receptor ? '' : '\n**receptor is missing** (no `receptor` on PATH, no $RECEPTOR_BIN): only `meshctl node` was measured. `source /root/.cache/meshctl-peers/env.sh` first.\n',
    '| node | units | spawn → `status` | spawn → complete `work list` | first list partial | steady `work list` | RSS after load, MiB | release-all | failed / hung |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Steady \`work list\`: median of ${sizes.map((s) => s.lists).join(' / ')} lists per run, each on a fresh session, from sending \`work list\\n\` after the greeting to the reply's newline (one raw socket client for both nodes; the reply is parsed after the clock stops). ` +
      `Release-all: \`work release ID\` for every unit on ${RELEASE_CONNS} connections, ${RELEASE_WINDOW} lines in flight on each, until every reply is in (the units directory is then checked empty). ` +
      `Timeouts: status and a complete list within 60 s + 2 ms a unit, one list within 10 s + 0.5 ms a unit, release-all within 60 s + 5 ms a unit.`,
    '',
    '### How the cost grows',
    '',
    `ms per 1k units at ${ns.map((n) => `${n / 1000}k`).join(' / ')}, and the growth exponent k between neighbouring sizes (cost ∝ units^k: 1 is linear, below 1 a fixed cost still shows, above 1 super-linear).`,
    '',
    '| node | figure | ms per 1k units | k |',
    '|---|---|---|---|',
    ...curve,
  ].join('\n');
  return { md, targets };
}

// `node bench/units-scale.js [--smoke]`: one run, the section printed (BENCH_OUT=FILE also writes it there).
if (import.meta.url === `file://${process.argv[1]}`) {
  const { cleanupAll, writeSection } = await import('./lib.js');
  try {
    const { md, targets } = await run({ smoke: process.argv.includes('--smoke') });
    console.log(md);
    console.log(JSON.stringify(targets, null, 2));
    if (process.env.BENCH_OUT) writeSection('units-scale', md);
  } finally {
    await cleanupAll();
  }
}
