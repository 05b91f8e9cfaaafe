// Node start-up (issue 12): how long from spawn until a node's control socket is ready, `meshctl node -c FILE`
// against bare `node -e 0` and the real receptor 1.6.5, and three nodes started at once (receptorctl's own test
// fixture starts three and asks the first for `status` 0.5 s later). All measured in one run, in interleaved
// rounds whose order rotates, so the load of a shared machine hits every command alike and the ratios hold.
// Then the units-on-disk figures of bench/node-units.js (start-up and shutdown with 1k / 10k units).
//
// "Ready" is measured twice: the socket file exists and a connect succeeds; and the node answers `status`
// (greeting, `status`, its JSON reply) on a fresh connection. The poller checks every millisecond.
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import { machineLine, median, MESHCTL, RawSession, receptorBin, sleep, tempDir, track } from './lib.js';

export const uses = ['receptor'];

const now = () => Number(process.hrtime.bigint()) / 1e6;

function canConnect(path) {
  return new Promise((resolve) => {
    const s = net.connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function answersStatus(path) {
  let s;
  try {
    s = await RawSession.open(path);
    const st = await s.command('status');
    return typeof st.NodeID === 'string';
  } catch {
    return false;
  } finally {
    s?.close();
  }
}

/** A config for one node: a Unix control socket only, as receptorctl's fixture nodes have (plus local-only). */
function writeConfig(dir, id) {
  const socket = join(dir, `${id}.sock`);
  const file = join(dir, `${id}.yaml`);
  writeFileSync(
    file,
    `---\n- node:\n    id: ${id}\n    datadir: ${join(dir, `${id}-data`)}\n- log-level: error\n- local-only\n` +
      `- control-service:\n    service: control\n    filename: ${socket}\n`,
  );
  return { socket, file };
}

// Node's own floor for a node with a Unix control socket: listen and nothing else; and listen after loading the
// built-in modules `meshctl node` loads before its socket opens (read from process.moduleLoadList at that point).
// Then the same after loading dist/cli-bundle/node.cjs as bin/meshctl.js does (bin/code-cache.js: read, V8 code
// cache, the modules' top level, which loads those built-ins), without running the node: what is left of
// `meshctl node` beyond it is reading the config and starting the node up to its socket.
const LISTEN = "require('net').createServer(() => {}).listen(process.argv[1]); process.on('SIGTERM', () => process.exit(0));";
const NODE_BUILTINS = ['v8', 'vm', 'tty', 'fs/promises', 'stream/promises', 'timers/promises', 'os', 'string_decoder'];
const BUNDLES = join(dirname(MESHCTL), '..', 'dist', 'cli-bundle');
const FLOORS = {
  listen: LISTEN,
  builtins: `for (const m of ${JSON.stringify(NODE_BUILTINS)}) require(m); ${LISTEN}`,
  bundle:
    `require(${JSON.stringify(join(dirname(MESHCTL), 'code-cache.js'))}).loadBundle(${JSON.stringify(join(BUNDLES, 'node.cjs'))}, ` +
    `${JSON.stringify(join(BUNDLES, 'node.cjs.cache'))}, { flags: '--semi-space-growth-factor=1' }); ${LISTEN}`,
};

function command(kind, file, socket) {
  if (kind === 'receptor') return [receptorBin(), ['-c', file]];
  if (kind in FLOORS) return [process.execPath, ['-e', FLOORS[kind], socket]];
  return [process.execPath, [MESHCTL, 'node', '-c', file]];
}

/**
 * Starts one node per config at the same moment; resolves to the ms from spawn until each socket accepted a
 * connection and until each answered `status`, then stops them (SIGTERM) and waits for their exit.
 */
async function startTogether(kind, configs) {
  const children = [];
  const stopAll = async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode === null && c.signalCode === null) {
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          const t = setTimeout(() => c.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(t);
        }
      }),
    );
  };
  const untrack = track(stopAll);
  try {
    const t0 = now();
    for (const c of configs) {
      const [cmd, args] = command(kind, c.file, c.socket);
      const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      child.log = '';
      child.stderr.on('data', (d) => (child.log += d));
      children.push(child);
    }
    const results = await Promise.all(
      configs.map(async (c, i) => {
        const child = children[i];
        let connectMs;
        for (;;) {
          if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}: ${child.log}`);
          if (now() - t0 > 20_000) throw new Error(`${kind} did not answer status in 20 s: ${child.log}`);
          if (connectMs === undefined && existsSync(c.socket) && (await canConnect(c.socket))) connectMs = now() - t0;
          if (connectMs !== undefined && kind in FLOORS) return { connectMs };
          if (connectMs !== undefined && (await answersStatus(c.socket))) return { connectMs, statusMs: now() - t0 };
          await sleep(1);
        }
      }),
    );
    return results;
  } finally {
    await stopAll();
    untrack();
    // The floors exit without removing their socket files (the nodes remove theirs).
    for (const c of configs) rmSync(c.socket, { force: true });
  }
}

/** Wall time of `node -e 0`: spawn to exit. */
function nodeBare() {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    c.once('error', reject);
    c.once('exit', () => resolve(now() - t0));
  });
}

const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length });

// The smoke run (`npm run bench -- --smoke`): two rounds, one trio, 50 units on disk; every step still runs.
export async function run({ smoke = false, rounds = smoke ? 2 : 31, trioRounds = smoke ? 1 : 15 } = {}) {
  const receptor = receptorBin();
  const kinds = receptor ? ['meshctl', 'receptor'] : ['meshctl'];
  const tmp = tempDir('meshctl-bench-startup-');
  try {
    // One node at a time, interleaved with `node -e 0`.
    const single = {
      bare: [],
      listen: { connect: [] },
      builtins: { connect: [] },
      bundle: { connect: [] },
      meshctl: { connect: [], status: [] },
      receptor: { connect: [], status: [] },
    };
    const steps = ['bare', 'listen', 'builtins', 'bundle', ...kinds];
    const configs = Object.fromEntries(steps.slice(1).map((k) => [k, writeConfig(tmp.dir, `single-${k}`)]));
    const runStep = async (step, record) => {
      if (step === 'bare') {
        const ms = await nodeBare();
        if (record) single.bare.push(ms);
        return;
      }
      const [r] = await startTogether(step, [configs[step]]);
      if (record) {
        single[step].connect.push(r.connectMs);
        if (r.statusMs !== undefined) single[step].status.push(r.statusMs);
      }
    };
    for (const step of steps) for (let i = 0; i < (smoke ? 1 : 2); i++) await runStep(step, false); // warm-up: page cache, code cache
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < steps.length; k++) await runStep(steps[(k + round) % steps.length], true);
    }

    // Three nodes at once, until all three answer status.
    const trio = { meshctl: [], receptor: [] };
    const trioConfigs = Object.fromEntries(kinds.map((k) => [k, [1, 2, 3].map((n) => writeConfig(tmp.dir, `trio-${k}-${n}`))]));
    for (let round = 0; round < trioRounds; round++) {
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(k + round) % kinds.length];
        const r = await startTogether(kind, trioConfigs[kind]);
        trio[kind].push(Math.max(...r.map((x) => x.statusMs)));
      }
    }

    const bare = stats(single.bare);
    const row = (name, s) => `| ${name} | ${s.median.toFixed(1)} | ${(s.median / bare.median).toFixed(2)}× | ${s.min.toFixed(1)}–${s.max.toFixed(1)} | ${s.runs} |`;
    const lines = [
      row('`node -e 0` (to exit)', bare),
      row("Node's floor: `node -e` listening on a Unix socket", stats(single.listen.connect)),
      row('… after loading the built-in modules `meshctl node` loads first', stats(single.builtins.connect)),
      row('… after loading node.cjs as bin/meshctl.js does (code cache, modules\' top level), node not started', stats(single.bundle.connect)),
    ];
    for (const k of kinds) {
      const name = k === 'meshctl' ? '`meshctl node -c FILE`' : '`receptor -c FILE` (1.6.5)';
      lines.push(row(`${name}: socket accepts a connection`, stats(single[k].connect)));
      lines.push(row(`${name}: answers \`status\``, stats(single[k].status)));
    }
    const trioLines = kinds.map((k) => {
      const s = stats(trio[k]);
      const within = trio[k].filter((ms) => ms <= 500).length;
      const name = k === 'meshctl' ? '`meshctl node`' : '`receptor` 1.6.5';
      return `| ${name} | ${s.median.toFixed(1)} | ${s.min.toFixed(1)}–${s.max.toFixed(1)} | ${within} of ${s.runs} |`;
    });
    const md = [
      '## Node start-up',
      '',
      `Milliseconds from spawn until the control socket of a node (Unix socket only, \`local-only\`, log level error) accepts a connection, and until it answers \`status\` on a fresh connection, polled every ms; \`node -e 0\` from spawn to exit. Interleaved rounds, order rotating, all figures from this one run. Machine: ${machineLine()}.`,
      'Reproduce: `npm run bench -- node-startup`.',
      receptor ? '' : '\n**The real receptor was not found** (`source /root/.cache/meshctl-peers/env.sh`, or set RECEPTOR_BIN): its rows are missing.\n',
      `The two floors are scripts that do nothing but listen (the second after requiring ${NODE_BUILTINS.map((m) => `\`${m}\``).join(', ')}): what Node itself costs a node with a Unix control socket. The third listens after loading dist/cli-bundle/node.cjs through bin/code-cache.js as \`meshctl node\` does (reading it and its code cache, deserialising, running its modules' top level, which loads those built-ins) without starting a node. The rest, up to \`meshctl node\`'s row, is reading the config and starting the node up to its listening socket (scripts/bundle-cli.mjs and docs/performance.md, \"How the code meets the figures\", say what was done about each part).`,
      '',
      '| command | median ms | vs `node -e 0` | range ms | runs |',
      '|---|---|---|---|---|',
      ...lines,
      '',
      "Three nodes spawned at once (receptorctl's test fixture asks for `status` 0.5 s later): ms until all three answer `status`.",
      '',
      '| nodes | median ms | range ms | all three within 0.5 s |',
      '|---|---|---|---|',
      ...trioLines,
    ].join('\n');
    // The units-on-disk figures (start-up and shutdown with 1k / 10k units) are part of this benchmark.
    // Summary rows (bench/run.js): issue 12's aim for a ready socket, and the comparison with receptor.
    const ratio = (xs) => median(xs) / bare.median;
    const targets = [
      {
        target: '`meshctl node -c FILE` until its control socket accepts a connection ≤ 1.3 × `node -e 0`',
        measured: `${ratio(single.meshctl.connect).toFixed(2)} × (${median(single.meshctl.connect).toFixed(1)} ms, \`node -e 0\` ${bare.median.toFixed(1)} ms; median of ${rounds} interleaved rounds)`,
        met: ratio(single.meshctl.connect) <= 1.3 ? 'yes' : 'no',
      },
      receptor
        ? {
            target: 'node start-up until it answers `status`: meshctl node ≤ receptor',
            measured: `meshctl node ${median(single.meshctl.status).toFixed(1)} ms, receptor ${median(single.receptor.status).toFixed(1)} ms (same rounds)`,
            met: median(single.meshctl.status) <= median(single.receptor.status) ? 'yes' : 'no',
          }
        : { target: 'node start-up until it answers `status`: meshctl node ≤ receptor', measured: `meshctl node ${median(single.meshctl.status).toFixed(1)} ms; receptor not installed`, met: 'no' },
      {
        target: 'three nodes spawned at once all answer `status` within 0.5 s',
        measured: kinds.map((k) => `${k === 'meshctl' ? 'meshctl node' : 'receptor'} ${trio[k].filter((x) => x <= 500).length} of ${trio[k].length} rounds (median ${median(trio[k]).toFixed(0)} ms)`).join(', '),
        met: trio.meshctl.every((x) => x <= 500) ? 'yes' : 'no',
      },
    ];
    const units = await import('./node-units.js');
    const unitsOut = await units.run(smoke ? { smoke, sizes: [50], rounds: 1 } : {});
    const unitsMd = typeof unitsOut === 'string' ? unitsOut : unitsOut.md;
    if (typeof unitsOut === 'object' && Array.isArray(unitsOut.targets)) targets.push(...unitsOut.targets);
    return { md: `${md}\n\n${unitsMd.trim()}`, targets };
  } finally {
    tmp.remove();
  }
}
