// Load: N concurrent clients (default 200), each looping submit → results → release of a 1 KiB `cat` unit,
// against our node (`meshctl node`) and the real receptor side by side in one run. The machine is shared and
// noisy, so the two are interleaved: R rounds (default 6), each giving every side one slice of SECONDS/R
// (default 60/6 = 10 s), the order alternating (ABBA) so that drift hits both alike. Only the ratio from one
// run means anything. While a side is loaded, a separate client times `status` on a fresh connection every
// 100 ms: what "other clients are not delayed" means to a user.
//
// The clients speak the control protocol with raw sockets as receptorctl does (submit_work: command line,
// "Work unit created" line, payload, half-close, JSON reply; then `work results`, then `work release`, each
// on its own connection), so the client is the same for both nodes and costs little per loop.
//
// Counting with 200 clients in a 10 s slice: a loop can take seconds, so "loops finished inside the slice"
// would mostly count the pipeline filling up. Each loop instead earns the fraction of its wall time that
// lies inside the slice (a loop from 9 s to 11 s earns 0.5); with every client busy for the whole slice this
// is Little's law, clients / latency. Loops still running at the end of a slice are run to completion before
// the next slice starts (unmeasured) so that neither side's work spills into the other's slice.
//
// MESHCTL_BENCH_LOAD_NODE_ARGS adds Node flags to the meshctl node, e.g. `--cpu-prof --cpu-prof-dir=DIR` to
// see where its time goes under this load (the section then names them).
//
// Bounded: every step of a loop has a timeout, and the whole run a watchdog. Everything started (both nodes,
// their unit programs and the meshctl unit runner, temp dirs) is stopped, also on failure or Ctrl-C (run.js).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { control, machineLine, median, memoryOf, MiB, percentile, receptorBin, sleep, startNode, track } from './lib.js';

const PAYLOAD_BYTES = 1024;
const STEP_TIMEOUT_MS = 60_000;
const PROBE_EVERY_MS = 100;
const SAMPLE_EVERY_MS = 250;
const CLK_TCK = 100; // getconf CLK_TCK on Linux
const NODE_ARGS = (process.env.MESHCTL_BENCH_LOAD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

function intFromEnv(name, dflt) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}='${raw}' is not a positive integer (hint: e.g. ${name}=${dflt})`);
  return n;
}

// ------------------------------------------------------------------------------------------ raw client

/** Every socket a client holds, so the watchdog can cut them all. */
const live = new Set();

/** One control connection read as lines, then (for results) as raw bytes to the end. */
class Wire {
  /** Connects; a failure to connect surfaces from the first line() (writes before then are queued). */
  static open(path) {
    const sock = net.connect({ path });
    live.add(sock);
    sock.once('close', () => live.delete(sock));
    return new Wire(sock);
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.ended = false;
    this.error = undefined;
    this.wake = undefined;
    sock.on('data', (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.kick();
    });
    sock.on('end', () => {
      this.ended = true;
      this.kick();
    });
    sock.on('close', () => {
      this.ended = true;
      this.kick();
    });
    sock.on('error', (err) => {
      this.error ??= err;
      this.kick();
    });
  }

  kick() {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async line() {
    for (;;) {
      const i = this.buf.indexOf(10);
      if (i >= 0) {
        const text = this.buf.subarray(0, i).toString('utf8');
        this.buf = this.buf.subarray(i + 1);
        return text;
      }
      if (this.error) throw this.error;
      if (this.ended) throw new Error('connection closed before a reply line');
      await new Promise((r) => (this.wake = r));
    }
  }

  /** The rest of the stream, up to the node closing it. */
  async rest() {
    while (!this.ended && !this.error) await new Promise((r) => (this.wake = r));
    if (this.error) throw this.error;
    return this.buf;
  }

  write(data) {
    this.sock.write(data);
  }

  end() {
    this.sock.end();
  }

  close() {
    this.sock.destroy();
  }
}

/** Rejects after ms with a message naming the step; the step's socket is cut. */
async function step(name, ms, fn) {
  let timer;
  let wire;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      wire?.close();
      reject(new Error(`${name}: no answer within ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([fn((w) => (wire = w)), timeout]);
  } finally {
    clearTimeout(timer);
    wire?.close();
  }
}

async function greeted(path, hold) {
  const w = Wire.open(path);
  hold(w);
  const greeting = await w.line();
  if (!greeting.startsWith('Receptor Control')) throw new Error(`bad greeting '${greeting.slice(0, 80)}'`);
  return w;
}

/**
 * One submit → results → release loop. Returns the time each step took (ms). Throws on any failure,
 * including results whose bytes differ from the payload.
 */
async function oneLoop(path, payload) {
  const t0 = performance.now();
  let unitId;
  try {
    unitId = await step('submit', STEP_TIMEOUT_MS, async (hold) => {
      const w = await greeted(path, hold);
      w.write('work submit localhost cat\n');
      const created = await w.line();
      if (!created.startsWith('Work unit created')) throw new Error(`submit: ${created.slice(0, 200)}`);
      w.write(payload);
      w.end();
      const reply = await w.line();
      if (!reply.startsWith('{')) throw new Error(`submit: ${reply.slice(0, 200)}`);
      const id = JSON.parse(reply).unitid;
      if (typeof id !== 'string') throw new Error(`submit: no unitid in ${reply.slice(0, 200)}`);
      return id;
    });
    const t1 = performance.now();
    await step('results', STEP_TIMEOUT_MS, async (hold) => {
      const w = await greeted(path, hold);
      w.write(`work results ${unitId}\n`);
      const head = await w.line();
      if (!head.startsWith('Streaming results')) throw new Error(`results ${unitId}: ${head.slice(0, 200)}`);
      // receptorctl half-closes here (get_work_results, shutdown_write): both nodes end the stream once
      // the unit is done and the client has nothing more to say.
      w.end();
      const out = await w.rest();
      if (!out.equals(payload)) throw new Error(`results ${unitId}: ${out.length} bytes that differ from the ${payload.length}-byte payload`);
    });
    const t2 = performance.now();
    await step('release', STEP_TIMEOUT_MS, async (hold) => {
      const w = await greeted(path, hold);
      w.write(`work release ${unitId}\n`);
      const reply = await w.line();
      if (!reply.startsWith('{')) throw new Error(`release ${unitId}: ${reply.slice(0, 200)}`);
    });
    const t3 = performance.now();
    return { submit: t1 - t0, results: t2 - t1, release: t3 - t2 };
  } catch (err) {
    // Leave nothing behind for the next slice; the round's leftover sweep catches what this misses.
    if (unitId) {
      await step('force-release', 10_000, async (hold) => {
        const w = await greeted(path, hold);
        w.write(`work force-release ${unitId}\n`);
        await w.line();
      }).catch(() => undefined);
    }
    throw err;
  }
}

/** `status` on a fresh connection (connect + greeting + reply), timed. */
async function statusOnce(path) {
  const t0 = performance.now();
  await step('status', 30_000, async (hold) => {
    const w = await greeted(path, hold);
    w.write('status\n');
    const reply = await w.line();
    if (!reply.startsWith('{')) throw new Error(`status: ${reply.slice(0, 200)}`);
  });
  return performance.now() - t0;
}

// ------------------------------------------------------------------------------------------ /proc

/** PIDs of a process and all its descendants (children found through /proc/PID/task/TID/children). */
function tree(pid) {
  const out = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // gone
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ')) if (c.trim()) todo.push(Number(c));
      } catch {
        // thread gone
      }
    }
  }
  return out;
}

/** utime, stime, cutime, cstime (ms) and start time of a process from /proc/PID/stat; undefined once gone. */
function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name in parentheses (which may hold spaces): state is field 3.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ms = (i) => (Number(f[i - 3]) * 1000) / CLK_TCK;
    return { ppid: Number(f[1]), cpu: ms(14) + ms(15) + ms(16) + ms(17), start: f[22 - 3] };
  } catch {
    return undefined;
  }
}

/**
 * CPU (ms) used by a node and everything it started: for each live process of its tree, its own time plus
 * that of the children it has reaped (a unit program reaped by receptor's command runner is in the
 * runner's, the runner reaped by receptor in receptor's). Taken between slices, when no unit runs.
 */
function treeCpu(pid) {
  return tree(pid).reduce((sum, p) => sum + (statOf(p)?.cpu ?? 0), 0);
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** The meshctl node's unit runner: its `node -e` child (src/node/work/runner/client.ts). */
function runnerOf(pid) {
  return tree(pid).find((p) => p !== pid && statOf(p)?.ppid === pid && cmdline(p)[1] === '-e');
}

/** Sums VmRSS over a process tree every SAMPLE_EVERY_MS until stop(); the largest sum seen (bytes). */
function treeRssSampler(pid) {
  let peak = 0;
  let on = true;
  const done = (async () => {
    while (on) {
      let sum = 0;
      for (const p of tree(pid)) sum += (await memoryOf(p)).rss;
      peak = Math.max(peak, sum);
      await sleep(SAMPLE_EVERY_MS);
    }
    return peak;
  })();
  return {
    async stop() {
      on = false;
      return done;
    },
  };
}

// ------------------------------------------------------------------------------------------ one side

function newStats() {
  return { windowMs: 0, credit: 0, inWindow: 0, completed: 0, errors: 0, firstErrors: [], loopMs: [], submitMs: [], resultsMs: [], releaseMs: [], probeMs: [], probeErrors: 0, cpuMs: 0, genCpuMs: 0, treePeak: 0, runnerHwm: 0, drainMs: 0 };
}

function noteError(stats, err) {
  stats.errors++;
  const msg = String(err instanceof Error ? err.message : err).split('\n')[0];
  if (stats.firstErrors.length < 5 && !stats.firstErrors.includes(msg)) stats.firstErrors.push(msg);
}

/** One client's loops until the deadline; loops running at the deadline finish, earning their in-slice share. */
async function client(path, stats, t0, deadline, state) {
  const payload = randomBytes(PAYLOAD_BYTES);
  let n = 0;
  while (performance.now() < deadline && !state.aborted) {
    // A counter in the payload: results of another loop's unit would not match.
    payload.writeUInt32BE(n++, 0);
    const start = performance.now();
    try {
      const t = await oneLoop(path, payload);
      const end = performance.now();
      stats.completed++;
      if (end <= deadline) stats.inWindow++;
      stats.credit += (Math.min(end, deadline) - Math.max(start, t0)) / (end - start);
      stats.loopMs.push(end - start);
      stats.submitMs.push(t.submit);
      stats.resultsMs.push(t.results);
      stats.releaseMs.push(t.release);
    } catch (err) {
      if (!state.aborted) noteError(stats, err);
      await sleep(100); // no hot loop of failures
    }
  }
}

async function probes(path, stats, deadline, state) {
  while (performance.now() < deadline && !state.aborted) {
    const t0 = performance.now();
    try {
      stats.probeMs.push(await statusOnce(path));
    } catch (err) {
      stats.probeErrors++;
      noteError(stats, new Error(`status probe: ${err.message}`));
    }
    await sleep(Math.max(0, t0 + PROBE_EVERY_MS - performance.now()));
  }
}

/** Releases whatever a failed loop left on the node, so the next slice starts from an empty work list. */
async function sweep(side) {
  const list = await control(side.node.socket, 'work list').catch(() => ({}));
  for (const id of Object.keys(list)) await control(side.node.socket, `work force-release ${id}`).catch(() => undefined);
  return Object.keys(list).length;
}

/** Loads one side for `ms`; adds to `stats` when it is measured (warm-up slices pass none). */
async function slice(side, ms, clients, state, stats) {
  const s = stats ?? newStats();
  const cpu0 = treeCpu(side.node.pid);
  const gen0 = process.cpuUsage();
  const sampler = treeRssSampler(side.node.pid);
  const t0 = performance.now();
  const deadline = t0 + ms;
  const probing = probes(side.node.socket, s, deadline, state);
  await Promise.all(Array.from({ length: clients }, () => client(side.node.socket, s, t0, deadline, state)));
  await probing;
  const left = await sweep(side);
  s.drainMs += performance.now() - deadline;
  if (left) noteError(s, new Error(`${left} unit(s) left on the node after the slice (released)`));
  s.treePeak = Math.max(s.treePeak, await sampler.stop());
  const gen = process.cpuUsage(gen0);
  s.genCpuMs += (gen.user + gen.system) / 1000;
  s.cpuMs += treeCpu(side.node.pid) - cpu0;
  s.windowMs += ms;
  if (side.kind === 'meshctl') {
    const runner = runnerOf(side.node.pid);
    if (runner) {
      side.runnerPid = runner;
      s.runnerHwm = Math.max(s.runnerHwm, (await memoryOf(runner)).hwm);
    }
  }
  return s;
}

/**
 * Starts a node with a `cat` work type, and registers a clean-up that also ends what it started: the
 * meshctl unit runner and the unit programs live in their own sessions (they outlive a stopped node by
 * design, as Receptor's command runners do), so they are recorded before the node stops and killed if
 * they are still there 5 s later (start time checked, so a reused PID is left alone).
 */
async function startSide(kind) {
  const node = await startNode({ kind, nodeId: `load-${kind}`, workCommands: [{ worktype: 'cat', command: 'cat' }], nodeArgs: kind === 'meshctl' ? NODE_ARGS : [] });
  const side = { kind, node, runnerPid: undefined };
  const stop = async () => {
    const started = tree(node.pid)
      .filter((p) => p !== node.pid)
      .map((p) => ({ pid: p, start: statOf(p)?.start }));
    await node.stop();
    const deadline = Date.now() + 5000;
    let left = started;
    while (left.length && Date.now() < deadline) {
      await sleep(100);
      left = left.filter((x) => statOf(x.pid)?.start === x.start);
    }
    for (const x of left) {
      try {
        process.kill(x.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  const untrack = track(stop);
  side.stop = async () => {
    untrack();
    await stop();
  };
  return side;
}

// ------------------------------------------------------------------------------------------ the run

export const uses = ['receptor'];

// The smoke run (`npm run bench -- --smoke`): 10 clients, 2 rounds of 1 s per node; both nodes still run.
export async function run({ smoke = false } = {}) {
  const seconds = smoke ? 2 : intFromEnv('MESHCTL_BENCH_LOAD_SECONDS', 60);
  const clients = smoke ? 10 : intFromEnv('MESHCTL_BENCH_LOAD_CLIENTS', 200);
  const rounds = smoke ? 2 : intFromEnv('MESHCTL_BENCH_LOAD_ROUNDS', 6);
  const sliceMs = (seconds * 1000) / rounds;
  const warmupMs = Math.min(3000, sliceMs);
  const haveReceptor = Boolean(receptorBin());
  const kinds = ['meshctl', ...(haveReceptor ? ['receptor'] : [])];
  const state = { aborted: false };
  const sides = [];
  // Each slice is bounded by its steps' timeouts; this catches anything else (a hang no timeout sees, or
  // a node so slow that every slice runs out its loops' worst case): 3× the planned time, plus two loops'
  // worst case (three steps and a force-release), plus start-up.
  const budgetMs = 3 * kinds.length * (seconds * 1000 + warmupMs) + 2 * (3 * STEP_TIMEOUT_MS + 10_000) + 120_000;
  let watchdog;
  const expired = new Promise((_, reject) => {
    watchdog = setTimeout(() => {
      state.aborted = true;
      for (const s of live) s.destroy();
      reject(new Error(`load: did not finish within ${(budgetMs / 1000).toFixed(0)} s; stopped`));
    }, budgetMs);
  });
  const body = async () => {
    for (const kind of kinds) sides.push(await startSide(kind));
    const stats = new Map(kinds.map((k) => [k, newStats()]));
    const idle = new Map();
    for (const side of sides) {
      const xs = [];
      for (let i = 0; i < 20; i++) xs.push(await statusOnce(side.node.socket));
      idle.set(side.kind, median(xs));
    }
    for (const side of sides) {
      process.stderr.write(`  warm-up ${side.kind}: ${clients} clients for ${(warmupMs / 1000).toFixed(1)} s\n`);
      const w = await slice(side, warmupMs, clients, state);
      if (w.errors) noteError(stats.get(side.kind), new Error(`warm-up: ${w.errors} error(s), first: ${w.firstErrors[0]}`));
    }
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const s = stats.get(side.kind);
        const before = s.credit;
        await slice(side, sliceMs, clients, state, s);
        process.stderr.write(`  round ${r + 1}/${rounds} ${side.kind}: ${((s.credit - before) / (sliceMs / 1000)).toFixed(1)} loops/s, ${s.errors} error(s) so far${s.firstErrors.length ? ` (first: ${s.firstErrors[0]})` : ''}\n`);
      }
    }
    const hwm = new Map();
    for (const side of sides) hwm.set(side.kind, (await memoryOf(side.node.pid)).hwm);
    return { stats, idle, hwm, kinds };
  };
  let result;
  try {
    result = await Promise.race([body(), expired]);
  } finally {
    clearTimeout(watchdog);
    state.aborted = true;
    for (const s of live) s.destroy();
    for (const side of sides.reverse()) await side.stop();
  }
  const md = report({ ...result, seconds, clients, rounds, sliceMs, warmupMs, kinds });
  const errors = [...result.stats.values()].reduce((n, s) => n + s.errors, 0);
  if (errors) {
    console.log(md);
    throw new Error(`load: ${errors} error(s) (section not written): ${[...result.stats].map(([k, s]) => `${k}: ${s.firstErrors.join('; ') || 'none'}`).join(' | ')}`);
  }
  // Summary rows (bench/run.js): issue 13's lead in units/s (loops/s here), and `status` under load for reference.
  const loopsPerS = (s) => s.credit / (s.windowMs / 1000);
  const m = result.stats.get('meshctl');
  const r = result.stats.get('receptor');
  const targets = [
    r
      ? {
          target: `units/s: ${clients} clients looping submit → results → release, meshctl node ≥ receptor (keep the lead)`,
          measured: `meshctl node ${loopsPerS(m).toFixed(1)} loops/s, receptor ${loopsPerS(r).toFixed(1)} (${(loopsPerS(m) / loopsPerS(r)).toFixed(2)} ×; ${rounds} interleaved rounds, ${seconds} s per node)`,
          met: loopsPerS(m) >= loopsPerS(r) ? 'yes' : 'no',
        }
      : { target: `units/s: ${clients} clients looping submit → results → release, meshctl node ≥ receptor (keep the lead)`, measured: `meshctl node ${loopsPerS(m).toFixed(1)} loops/s; receptor not installed, no ratio`, met: 'no' },
    {
      target: `\`status\` p99 on a fresh connection while ${clients} clients loop`,
      measured: result.kinds.map((k) => `${k === 'meshctl' ? 'meshctl node' : 'receptor'} ${percentile(result.stats.get(k).probeMs, 99)?.toFixed(1) ?? '-'} ms`).join(', '),
      met: 'measured',
    },
  ];
  return { md, targets };
}

function report({ stats, idle, hwm, seconds, clients, rounds, sliceMs, warmupMs, kinds }) {
  const ms = (x) => (x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const pct = (xs) => (xs.length ? `${ms(median(xs))} / ${ms(percentile(xs, 99))}` : '-');
  const rate = (s) => s.credit / (s.windowMs / 1000);
  const m = stats.get('meshctl');
  const r = stats.get('receptor');
  const col = (f) => kinds.map((k) => f(stats.get(k), k)).join(' | ');
  const env = `MESHCTL_BENCH_LOAD_SECONDS=${seconds} MESHCTL_BENCH_LOAD_CLIENTS=${clients} MESHCTL_BENCH_LOAD_ROUNDS=${rounds}${NODE_ARGS.length ? ` MESHCTL_BENCH_LOAD_NODE_ARGS='${NODE_ARGS.join(' ')}'` : ''}`;
  const head = kinds.map((k) => (k === 'meshctl' ? 'meshctl node' : 'receptor 1.6.5')).join(' | ');
  const rows = [
    ['loops/s (in-slice share of each loop, see above)', (s) => rate(s).toFixed(1)],
    ['loops finished inside the slices / in all (slices + run-out)', (s) => `${s.inWindow} / ${s.completed}`],
    ['errors (loops, status probes, units left over)', (s) => String(s.errors)],
    ['loop latency p50 / p99 ms', (s) => pct(s.loopMs)],
    ['  submit p50 / p99 ms', (s) => pct(s.submitMs)],
    ['  results (unit run + stream) p50 / p99 ms', (s) => pct(s.resultsMs)],
    ['  release p50 / p99 ms', (s) => pct(s.releaseMs)],
    ['`status` under load p50 / p99 / max ms (probes)', (s) => (s.probeMs.length ? `${pct(s.probeMs)} / ${ms(Math.max(...s.probeMs))} (${s.probeMs.length})` : '-')],
    ['`status` idle, before the run, p50 ms', (_, k) => ms(idle.get(k))],
    ['CPU s used by the node and its programs (slices + run-out)', (s) => (s.cpuMs / 1000).toFixed(1)],
    ['CPU ms per loop', (s) => (s.completed ? (s.cpuMs / s.completed).toFixed(1) : '-')],
    ['peak RSS of the node (VmHWM) MiB', (_, k) => (hwm.get(k) / MiB).toFixed(0)],
    ['peak RSS of the meshctl unit runner (VmHWM) MiB', (s, k) => (k === 'meshctl' ? (s.runnerHwm ? (s.runnerHwm / MiB).toFixed(0) : 'not found') : 'n/a (a command runner per unit)')],
    [`peak of the summed VmRSS of the node's process tree (sampled every ${SAMPLE_EVERY_MS} ms) MiB`, (s) => (s.treePeak / MiB).toFixed(0)],
    ['CPU s used by the load generator (this process) meanwhile', (s) => (s.genCpuMs / 1000).toFixed(1)],
    ['run-out after the slices s (unmeasured)', (s) => (s.drainMs / 1000).toFixed(1)],
  ];
  const ratio = r ? `**meshctl / receptor = ${(rate(m) / rate(r)).toFixed(2)}** (loops/s, same run)` : 'receptor is not installed (`.ci/install-peers`): meshctl node only, no ratio';
  return [
    `## Load: ${clients} concurrent clients`,
    '',
    `${clients} clients, each looping over fresh Unix-socket connections: \`work submit localhost cat\` with a ${PAYLOAD_BYTES}-byte payload (half-close, JSON reply), ` +
      '`work results ID` to the end of the stream (bytes compared with the payload: a mismatch is an error), `work release ID`. Raw sockets, as receptorctl speaks the protocol, ' +
      'one client process for both nodes. Meanwhile `status` is timed on a fresh connection (connect + greeting + reply) every 100 ms.',
    `The nodes run side by side, interleaved: ${rounds} rounds of ${(sliceMs / 1000).toFixed(1)} s per node, the order alternating (ABBA), after a ${(warmupMs / 1000).toFixed(1)} s warm-up each; ` +
      `${seconds} s under load per node. Each loop counts for the share of its wall time inside a slice (loops running at the end of a slice finish unmeasured before the next starts), ` +
      'so loops/s is clients / latency. CPU is read from /proc/PID/stat (utime + stime + reaped children) over the node\'s whole process tree before and after each slice.',
    `Machine: ${machineLine()}; the load generator shares it.`,
    `Reproduce: \`${env} npm run bench -- load\`${seconds === 60 && clients === 200 && rounds === 6 && !NODE_ARGS.length ? ' (the defaults)' : ''}.`,
    ...(NODE_ARGS.length ? [`The meshctl node ran with \`${NODE_ARGS.join(' ')}\`.`] : []),
    '',
    ratio,
    '',
    `| | ${head} |`,
    `|---|${kinds.map(() => '---').join('|')}|`,
    ...rows.map(([label, f]) => `| ${label} | ${col(f)} |`),
    ...(kinds.some((k) => stats.get(k).firstErrors.length) ? ['', ...kinds.flatMap((k) => stats.get(k).firstErrors.map((e) => `- ${k}: ${e}`))] : []),
  ].join('\n');
}
