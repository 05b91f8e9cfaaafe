// Units on disk (issue 12): start-up and shutdown of a node whose data directory already holds 1k / 10k units,
// `meshctl node` against the real receptor 1.6.5, in interleaved rounds. Per run: spawn → a control socket that
// answers `status`; spawn → the first `work list` that names every unit on disk; SIGTERM → exit.
// Both nodes read the same unit directories, written in receptor's layout (pkg/workceptor: `<datadir>/<nodeid>/
// <unitid>/` with status, status.lock, stdin, stdout; status is StatusFileData as Go marshals it, as receptor
// leaves a finished command unit: ExtraData null). A run that changes any status file is reported.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { machineLine, median, MESHCTL, RawSession, receptorBin, sleep, tempDir, track } from './lib.js';

export const NODE_ID = 'unitsnode';
const ID_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Receptor's generateUnitID form: the node ID and 8 letters/digits (here the unit's number in base 62). */
export function unitId(i) {
  let s = '';
  for (let k = 0, x = i; k < 8; k++, x = Math.floor(x / ID_CHARS.length)) s = ID_CHARS[x % ID_CHARS.length] + s;
  return NODE_ID + s;
}

/** `n` finished `cat` units (every tenth Failed), as receptor 1.6.5 leaves them. */
export function writeUnits(datadir, n) {
  const base = join(datadir, NODE_ID);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  for (let i = 0; i < n; i++) {
    const dir = join(base, unitId(i));
    mkdirSync(dir, { mode: 0o700 });
    const ok = i % 10 !== 0;
    const out = ok ? `unit ${i}\n` : '';
    const status = { State: ok ? 2 : 3, Detail: ok ? 'exit status 0' : 'exit status 1', StdoutSize: out.length, WorkType: 'cat', ExtraData: null };
    writeFileSync(join(dir, 'status'), JSON.stringify(status) + '\n', { mode: 0o600 });
    writeFileSync(join(dir, 'status.lock'), '', { mode: 0o600 });
    writeFileSync(join(dir, 'stdin'), out, { mode: 0o600 });
    writeFileSync(join(dir, 'stdout'), out, { mode: 0o600 });
  }
  return base;
}

/** Newest status-file mtime under the units dir (ms), and how many units there are. */
function statusStamp(base) {
  let newest = 0;
  let count = 0;
  for (const id of readdirSync(base)) {
    count++;
    newest = Math.max(newest, statSync(join(base, id, 'status')).mtimeMs);
  }
  return { newest, count };
}

/** The node's YAML (units dir `datadir`, one `cat` work type, a Unix control socket in `dir`). */
export function config(dir, datadir) {
  const socket = join(dir, 'ctl.sock');
  const file = join(dir, 'node.yaml');
  writeFileSync(
    file,
    `---\n- node:\n    id: ${NODE_ID}\n    datadir: ${datadir}\n- log-level: error\n- local-only\n` +
      `- control-service:\n    service: control\n    filename: ${socket}\n- work-command:\n    worktype: cat\n    command: cat\n`,
  );
  return { socket, file };
}

export function connectable(socket) {
  return new Promise((resolve) => {
    const s = net.connect({ path: socket });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * One answer to `line` on a fresh session: the reply, undefined when the socket does not answer yet, or 'hung'
 * when the session opened but no reply came within HANG_MS.
 */
export async function ask(socket, line, hangMs = HANG_MS) {
  let s;
  try {
    s = await RawSession.open(socket);
  } catch {
    return undefined;
  }
  try {
    s.sock.write(line + '\n');
    const reply = await s.line(hangMs).catch((err) => (/timed out/.test(err.message) ? 'hung' : undefined));
    if (reply === 'hung' || reply === undefined || reply.startsWith('ERROR: ')) return reply === 'hung' ? 'hung' : undefined;
    return JSON.parse(reply);
  } finally {
    s.close();
  }
}

// Receptor 1.6.5 can deadlock on a `work list` that arrives while it still loads units: list takes the read
// lock of its units map, and findUnit, for a unit the work-command section has just dropped to rescan it,
// calls scanForUnit, which takes the write lock under it (pkg/workceptor/workceptor.go findUnit). Such a run
// is counted as hung and the node killed. (A SIGQUIT goroutine dump of a hung receptor 1.6.5 shows it: one
// goroutine in findUnit → scanForUnit → RWMutex.Lock, the config's RegisterWorker → scanForUnits → scanForUnit
// waiting in RWMutex.RLock behind it.)
export const HANG_MS = 10_000;

/**
 * One start/stop of `kind` on the units dir: ms from spawn to `status` answering, ms from spawn to a complete
 * `work list` (and how many units the first list after `status` held), ms from SIGTERM to exit.
 */
async function once(kind, datadir, n) {
  const tmp = tempDir(`meshctl-bench-units-${kind}-`);
  const { socket, file } = config(tmp.dir, datadir);
  const [cmd, args] = kind === 'receptor' ? [receptorBin(), ['-c', file]] : [process.execPath, [MESHCTL, 'node', '-c', file]];
  let log = '';
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp.dir });
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => child.once('exit', () => r(performance.now())));
  const untrack = track(async () => {
    child.kill('SIGKILL');
    await exited;
    tmp.remove();
  });
  try {
    const deadline = t0 + 120_000;
    const check = () => {
      if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}: ${log}`);
      if (performance.now() > deadline) throw new Error(`${kind} did not answer in 120 s: ${log}`);
    };
    // Spawn → a socket that answers `status`.
    for (;;) {
      check();
      if ((await connectable(socket)) && (await ask(socket, 'status'))) break;
      await sleep(5);
    }
    const ready = performance.now() - t0;
    // Spawn → a `work list` naming every unit on disk.
    let firstList;
    let listed;
    for (;;) {
      check();
      const list = await ask(socket, 'work list');
      if (list === 'hung') return { ready, hung: true };
      const count = list ? Object.keys(list).length : -1;
      firstList ??= count;
      if (count === n) {
        listed = performance.now() - t0;
        break;
      }
      await sleep(5);
    }
    const t1 = performance.now();
    child.kill('SIGTERM');
    const stopped = (await exited) - t1;
    return { ready, listed, firstList, stopped, hung: false };
  } finally {
    untrack();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    tmp.remove();
  }
}

const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

export async function run({ sizes = [1000, 10_000], rounds = 5 } = {}) {
  const receptor = receptorBin();
  const kinds = receptor ? ['meshctl', 'receptor'] : ['meshctl'];
  const rows = [];
  const notes = [];
  for (const n of sizes) {
    const data = tempDir('meshctl-bench-units-data-');
    try {
      const base = writeUnits(data.dir, n);
      const before = statusStamp(base);
      const xs = Object.fromEntries(kinds.map((k) => [k, []]));
      // One unmeasured start each first: the page cache then holds the units for every measured run alike.
      for (const k of kinds) await once(k, data.dir, n);
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 ? [...kinds].reverse() : kinds;
        for (const k of order) {
          const x = await once(k, data.dir, n);
          xs[k].push(x);
          process.stderr.write(
            x.hung
              ? `  ${n} units, ${k}: status ${ms(x.ready)}, work list hung (killed)\n`
              : `  ${n} units, ${k}: status ${ms(x.ready)}, full list ${ms(x.listed)} (first list ${x.firstList}), stop ${ms(x.stopped)}\n`,
          );
        }
      }
      const after = statusStamp(base);
      if (after.count !== n) notes.push(`${n} units: ${after.count} unit directories after the runs`);
      if (after.newest !== before.newest) notes.push(`${n} units: a status file was rewritten during the runs`);
      for (const k of kinds) {
        const all = xs[k];
        const v = all.filter((x) => !x.hung);
        const partial = v.filter((x) => x.firstList !== n).length;
        const med = (f) => (v.length ? ms(median(v.map(f))) : '–');
        rows.push(
          `| ${k === 'receptor' ? 'receptor 1.6.5' : '`meshctl node`'} | ${n} | ${ms(median(all.map((x) => x.ready)))} | ${med((x) => x.listed)} | ${partial}/${v.length} | ${all.length - v.length}/${all.length} | ${med((x) => x.stopped)} |`,
        );
      }
    } finally {
      data.remove();
    }
  }
  return [
    '### Units on disk',
    '',
    `A node started on a data directory already holding finished \`cat\` units (receptor's on-disk layout), medians of ${rounds} interleaved runs each after one unmeasured start. Machine: ${machineLine()}.`,
    'Reproduce: `npm run bench -- node-startup` (this section: bench/node-units.js).',
    receptor ? '' : '\n**receptor is missing** (no `receptor` on PATH, no $RECEPTOR_BIN): only `meshctl node` was measured. `source /root/.cache/meshctl-peers/env.sh` first.\n',
    '| node | units | spawn → `status` answers | spawn → complete `work list` | first `work list` partial | `work list` hung | SIGTERM → exit |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    "`work list` is asked again and again from the moment `status` answers; \"partial\" counts runs whose first answer lacked units, \"hung\" runs where a `work list` got no answer in 10 s (receptor's findUnit takes its units map's write lock under the read lock while it still loads; those nodes are killed and left out of the list and shutdown medians).",
    ...(notes.length ? ['', ...notes.map((s) => `- ${s}`)] : []),
  ].join('\n');
}
