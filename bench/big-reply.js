// A large `work list` reply (issue 13: "reply parsing in linear time: a 74 MB `work list` reply within 1.5× socat";
// LineReader.push used to concatenate every chunk onto the line so far, and a 74 MB reply took 152 s).
//
// A stand-in control service (bench/big-reply-server.js, not a node) greets as receptor does and answers
// `work list` with a canned reply of receptor 1.6.5's shape (pkg/workceptor/workceptor.go unitStatusForCFR: Detail,
// ExtraData, State, StateName, StdoutSize, WorkType, keys in Go's sorted order; remote units with their
// RemoteExtraData), so only the clients are timed. Interleaved rounds, medians of wall time, stdout to /dev/null:
// - `meshctl work list --json` (reads, parses and prints the reply as indented JSON),
// - `receptorctl work list` (the same, in Python), when installed,
// - socat: sends `work list`, reads to EOF and discards: the floor for any client,
// - Node's floor for meshctl's job (NODE_FLOOR below): read, JSON.parse, JSON.stringify(…, null, 2), write.
// Target: meshctl within 1.5× socat.
// A second scenario (realNodes below) asks real nodes, `meshctl node` and receptor 1.6.5, for the same size of reply
// built from units on disk, as the issue measured it; socat's time there includes the node's building of the reply.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLine, MESHCTL, missingPeers, peers, sleep, startNode, tempDir, timeInterleaved, track } from './lib.js';
import { NODE_ID, unitId as diskUnitId, writeUnits } from './node-units.js';
import { rusageOnce, rusageTool } from './startup.js';

export const uses = ['receptor', 'receptorctl', 'socat'];

const SERVER = fileURLToPath(new URL('./big-reply-server.js', import.meta.url));

/**
 * Node's floor for a client that prints the reply as meshctl's --json does: one session on the default read path,
 * the reply's chunks joined once, JSON.parse, JSON.stringify(…, null, 2), one write. No checks, no errors.
 */
const NODE_FLOOR = `const s = require('node:net').connect(process.argv[1]);
const chunks = [];
let greeted = false;
s.on('data', (d) => {
  if (!greeted) {
    const i = d.indexOf(10);
    if (i < 0) return;
    greeted = true;
    s.write('{"command":"work","subcommand":"list"}\\n');
    d = d.subarray(i + 1);
  }
  chunks.push(d);
  if (d[d.length - 1] === 10) {
    s.destroy();
    const text = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')), null, 2) + '\\n';
    require('node:fs').writeSync(1, text);
  }
});`;
const TARGET = 1.5;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** The i-th unit id: 8 characters as receptor's (randstr), all distinct (i times a prime coprime to 62^8). */
function unitId(i) {
  let n = (BigInt(i) * 1_000_000_007n) % 62n ** 8n;
  let id = '';
  for (let k = 0; k < 8; k++) {
    id += ALPHABET[Number(n % 62n)];
    n /= 62n;
  }
  return id;
}

/** One unit's JSON as receptor's json.Marshal writes it (map keys sorted, compact). */
function unitJson(i) {
  const kind = i % 20;
  const size = (i * 7919) % 5_000_000;
  if (kind === 19) {
    // A remote unit: ExtraData is RemoteExtraData (workceptor/remote_work.go), fields in struct order.
    const extra = `{"RemoteNode":"exec-node-${i % 50}","RemoteWorkType":"ansible-runner","RemoteParams":{"params":"--playbook site.yml -i inventory"},"RemoteUnitID":"${unitId(i + 1)}","RemoteStarted":true,"LocalCancelled":false,"LocalReleased":false,"SignWork":true,"TLSClient":"mesh-client","Expiration":"0001-01-01T00:00:00Z"}`;
    return `{"Detail":"Running: PID ${10_000 + (i % 50_000)}","ExtraData":${extra},"State":1,"StateName":"Running","StdoutSize":${size},"WorkType":"remote"}`;
  }
  if (kind === 18) return `{"Detail":"exit status 2","ExtraData":null,"State":3,"StateName":"Failed","StdoutSize":${size},"WorkType":"ansible-runner"}`;
  if (kind === 17) return `{"Detail":"Running: PID ${10_000 + (i % 50_000)}","ExtraData":null,"State":1,"StateName":"Running","StdoutSize":${size},"WorkType":"ansible-runner"}`;
  return `{"Detail":"exit status 0","ExtraData":null,"State":2,"StateName":"Succeeded","StdoutSize":${size},"WorkType":"ansible-runner"}`;
}

/** Writes a reply of about `bytes` to `file`; resolves to the number of units. Go's map keys are sorted. */
export async function writeReply(file, bytes) {
  const entries = [];
  let total = 2;
  for (let i = 0; total < bytes; i++) {
    const e = `"${unitId(i)}":${unitJson(i)}`;
    entries.push(e);
    total += e.length + 1;
  }
  const ids = entries.map((e) => e.slice(1, 9));
  const order = ids.map((_, i) => i).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  const out = createWriteStream(file);
  const write = (s) => (out.write(s) ? undefined : new Promise((r) => out.once('drain', r)));
  await write('{');
  for (let k = 0; k < order.length; k++) await write((k ? ',' : '') + entries[order[k]]);
  await write('}\n');
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  return entries.length;
}

async function startServer(socket, replyFile) {
  const child = spawn(process.execPath, [SERVER, socket, replyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const untrack = track(() => child.kill('SIGKILL'));
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`big-reply-server exited ${code}`)));
    child.stdout.once('data', resolve);
  });
  return {
    async stop() {
      untrack();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The canned scenario: the clients alone, against bench/big-reply-server.js. */
async function canned(smoke) {
  const mb = smoke ? 1 : Number(process.env.BENCH_BIG_REPLY_MB) || 74;
  const runs = smoke ? 2 : Number(process.env.BENCH_RUNS) || 7;
  const tmp = tempDir('meshctl-bench-big-reply-');
  const socket = join(tmp.dir, 'ctl.sock');
  const replyFile = join(tmp.dir, 'reply.json');
  const units = await writeReply(replyFile, mb * 1e6);
  const replyBytes = statSync(replyFile).size;
  const server = await startServer(socket, replyFile);
  try {
    const p = peers();
    const requestFile = join(tmp.dir, 'request.txt');
    writeFileSync(requestFile, 'work list\n');
    const meshctl = [process.execPath, [MESHCTL, '-s', socket, 'work', 'list', '--json']];
    // -t: socat ends this long after its stdin's EOF (default 0.5 s, less than the reply takes); the server's end
    // of the reply ends it first.
    const socat = p.socat ? ['sh', ['-c', `exec socat -t 600 - UNIX-CONNECT:${socket} < ${requestFile}`]] : null;
    const rctl = p.receptorctl ? [p.receptorctl.path, ['--socket', socket, 'work', 'list']] : null;

    // Each client gets the whole reply: meshctl's JSON holds every unit, socat's bytes are the reply's.
    const check = spawnSync(meshctl[0], meshctl[1], { maxBuffer: 1 << 30, encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`meshctl work list --json exited ${check.status}: ${check.stderr}`);
    const got = Object.keys(JSON.parse(check.stdout)).length;
    if (got !== units) throw new Error(`meshctl work list --json printed ${got} units, the reply has ${units}`);
    if (socat) {
      const raw = spawnSync(socat[0], socat[1], { maxBuffer: 1 << 30 });
      const want = 'Receptor Control, node bigreply\n'.length + replyBytes;
      if (raw.status !== 0 || raw.stdout.length !== want) throw new Error(`socat read ${raw.stdout.length} bytes (exit ${raw.status}), expected ${want}`);
    }

    const cmds = [
      ['`meshctl work list --json`', ...meshctl],
      ['Node floor (parse, indent, write: no checks)', process.execPath, ['-e', NODE_FLOOR, socket]],
      ...(socat ? [['socat (send `work list`, read to EOF)', ...socat]] : []),
      ...(rctl ? [['`receptorctl work list`', ...rctl, Math.min(runs, 3)]] : []),
    ];
    const timed = timeInterleaved(cmds, { runs, warmup: 1 });
    // CPU time and peak RSS of one more run of each (python3's wait4; /usr/bin/time gives the RSS alone).
    const how = rusageTool();
    const usage = cmds.map(([, cmd, args]) => (how ? rusageOnce(cmd, args, how, join(tmp.dir, 'time.txt')) : null));
    const socatMedian = socat ? timed[2][1].median : undefined;
    const lines = timed.map(([name, r], j) => {
      const u = usage[j];
      const ratio = socatMedian ? `${(r.median / socatMedian).toFixed(2)}×` : '–';
      const cpu = u && !Number.isNaN(u[1]) ? u[1].toFixed(0) : '–';
      const rss = u ? (u[0] / 1024).toFixed(1) : '–';
      return `| ${name} | ${(r.median / 1000).toFixed(2)} | ${ratio} | ${(r.min / 1000).toFixed(2)}–${(r.max / 1000).toFixed(2)} | ${r.runs} | ${cpu} | ${rss} |`;
    });
    const meshMedian = timed[0][1].median;
    const targets = [
      {
        target: `\`meshctl work list --json\` with a ${mb} MB reply within ${TARGET}× socat (issue 13)`,
        measured: socatMedian
          ? `${(meshMedian / socatMedian).toFixed(2)}× (${(meshMedian / 1000).toFixed(2)} s against ${(socatMedian / 1000).toFixed(2)} s, medians of ${timed[0][1].runs} interleaved runs); Node's floor for parse + indent + write ${(timed[1][1].median / socatMedian).toFixed(2)}×`
          : `${(meshMedian / 1000).toFixed(2)} s; socat not installed, no ratio`,
        met: socatMedian ? (meshMedian / socatMedian <= TARGET ? 'yes' : 'no') : 'measured',
      },
    ];
    const missing = missingPeers({ receptorctl: 'the receptorctl row is', socat: 'the socat row and the ratio are' });
    const md = [
      '## Large reply: `work list`',
      '',
      '### A canned reply (the clients alone)',
      '',
      `One \`work list\` reply of ${(replyBytes / 1e6).toFixed(1)} MB (${units.toLocaleString('en-US')} units of receptor 1.6.5's shape, one in twenty a remote unit with its ExtraData) from a stand-in control service (bench/big-reply-server.js), over a Unix socket; stdout to /dev/null. Wall time, median of interleaved rounds; CPU and peak RSS of one more run each (${how === 'python3' ? "python3's os.wait4" : how ? '/usr/bin/time, RSS only' : 'not measured'}). Machine: ${machineLine()}.`,
      'Reproduce: `npm run bench -- big-reply` (BENCH_BIG_REPLY_MB=N for another size, BENCH_RUNS=N rounds).',
      ...(missing ? ['', missing] : []),
      '',
      '| client | median s | vs socat | range s | runs | CPU ms | peak RSS MiB |',
      '|---|---|---|---|---|---|---|',
      ...lines,
    ].join('\n');
    return { md, targets };
  } finally {
    await server.stop();
    tmp.remove();
  }
}

// ------------------------------------------------------------------------------------------ real nodes
//
// The canned reply shows the clients alone: socat only copies bytes there, and any JSON client must parse them.
// The issue's figure (152 s against socat's 4.6 s) was taken against a node building the reply, so here the same
// clients ask `meshctl node` and receptor 1.6.5 for `work list` over ~10k finished units on disk whose Detail is
// ~7 KB each (a reply of ~74 MB), both nodes alternated round by round in one interleaved run.

/**
 * Where the unit trees are written: $BENCH_UNITS_DIR, else tmpfs (/dev/shm) when there is one (as bench/units-scale.js:
 * on this VM's ext4, creating 10k units takes ~88 s).
 */
function unitsRoot() {
  return process.env.BENCH_UNITS_DIR || (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
}

/** A long Detail of `size` characters: a failed play's output, lines with quotes and newlines for JSON to escape. */
function longDetail(i, size) {
  let s = i % 10 === 0 ? 'exit status 1: ' : 'exit status 0: ';
  for (let k = 0; s.length < size; k++) {
    s += `TASK [deploy : step ${k}] host-${i % 97}.example.com ok: "changed": false, "elapsed_ms": ${(k * 7919) % 1000}\n`;
  }
  return s.slice(0, size);
}

/**
 * `n` finished units in receptor's layout (bench/node-units.js writeUnits), then each status file's Detail made
 * `detailSize` characters long. Returns the data directory (its units under NODE_ID) and a remover.
 */
function writeLongUnits(n, detailSize) {
  mkdirSync(unitsRoot(), { recursive: true });
  const dir = mkdtempSync(join(unitsRoot(), 'meshctl-bench-big-reply-units-'));
  const untrack = track(() => rmSync(dir, { recursive: true, force: true }));
  const base = writeUnits(dir, n);
  for (let i = 0; i < n; i++) {
    const file = join(base, diskUnitId(i), 'status');
    const status = JSON.parse(readFileSync(file, 'utf8'));
    status.Detail = longDetail(i, detailSize);
    writeFileSync(file, JSON.stringify(status) + '\n', { mode: 0o600 });
  }
  return {
    dir,
    remove() {
      untrack();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One `work list` on a fresh session, read as bytes (a 74 MB line through lib.js's RawSession, whose buffer is a
 * string searched on every chunk, would take minutes): the units it names and the reply's size, 'hung' when no
 * complete reply came in `timeoutMs`, undefined when the node refused or closed.
 */
function rawList(socket, timeoutMs) {
  return new Promise((resolve) => {
    const sock = netConnect({ path: socket });
    const chunks = [];
    let greeted = false;
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish('hung'), timeoutMs);
    sock.on('error', () => finish(undefined));
    sock.on('close', () => finish(undefined));
    sock.on('data', (d) => {
      if (!greeted) {
        const i = d.indexOf(10);
        if (i < 0) return; // a greeting split across chunks is short enough to wait for
        greeted = true;
        sock.write('work list\n');
        d = d.subarray(i + 1);
      }
      if (!d.length) return;
      chunks.push(d);
      if (d[d.length - 1] !== 10) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.startsWith('ERROR')) return finish(undefined);
      try {
        finish({ count: Object.keys(JSON.parse(text)).length, bytes: Buffer.byteLength(text) });
      } catch {
        finish(undefined);
      }
    });
  });
}

/**
 * Starts `kind` on its own copy of the units and waits for a `work list` naming all `n`. startNode has no datadir
 * option: its node runs under a wrapper that first links the node's data directory (`data` in its cwd) to the
 * prepared one. Receptor 1.6.5's `work list` during its load can name only some units, or hang for good
 * (bench/node-units.js HANG_MS says why): a hung node is killed and started again, up to 3 times.
 */
async function startWithUnits(kind, datadir, n, listMs) {
  const wrapper = ['sh', '-c', 'ln -s "$0" data && exec "$@"', datadir];
  let hangs = 0;
  for (;;) {
    const node = await startNode({ kind, nodeId: NODE_ID, workCommands: [{ worktype: 'cat', command: 'cat' }], wrapper });
    const deadline = Date.now() + 60_000 + n * 5;
    let partial = 0;
    for (;;) {
      const list = await rawList(node.socket, listMs);
      if (list === 'hung') break;
      if (list?.count === n) return { node, hangs, partial, replyBytes: list.bytes };
      if (list) partial++;
      if (Date.now() > deadline) {
        await node.stop();
        throw new Error(`${kind} named no complete work list of ${n} units in ${((60_000 + n * 5) / 1000).toFixed(0)} s`);
      }
      await sleep(50);
    }
    await node.stop();
    if (++hangs >= 3) throw new Error(`${kind}: a work list hung (no answer in ${(listMs / 1000).toFixed(0)} s) in 3 starts`);
    process.stderr.write(`  big-reply: ${kind}'s work list hung during its load; started again\n`);
  }
}

async function realNodes(smoke) {
  const n = smoke ? 500 : Number(process.env.BENCH_BIG_REPLY_UNITS) || 10_000;
  const detailSize = smoke ? 100 : Number(process.env.BENCH_BIG_REPLY_DETAIL) || 6_870;
  const rounds = smoke ? 1 : Number(process.env.BENCH_BIG_REPLY_ROUNDS) || 5;
  const listMs = 30_000 + n * 5;
  const p = peers();
  const kinds = p.receptor ? ['meshctl', 'receptor'] : ['meshctl'];
  const name = (k) => (k === 'receptor' ? 'receptor 1.6.5' : '`meshctl node`');
  const tmp = tempDir('meshctl-bench-big-reply-real-');
  const requestFile = join(tmp.dir, 'request.txt');
  writeFileSync(requestFile, 'work list\n');
  const data = {};
  const nodes = {};
  const facts = {};
  try {
    const tw = performance.now();
    for (const k of kinds) data[k] = writeLongUnits(n, detailSize);
    process.stderr.write(`  big-reply: ${kinds.length} × ${n} units written in ${((performance.now() - tw) / 1000).toFixed(1)} s under ${unitsRoot()}\n`);
    for (const k of kinds) {
      const s = await startWithUnits(k, data[k].dir, n, listMs);
      nodes[k] = s.node;
      facts[k] = { hangs: s.hangs, partial: s.partial, replyBytes: s.replyBytes };
    }
    // Each client gets the whole reply, once per node: socat's bytes are the greeting and one complete reply line,
    // meshctl's JSON names every unit.
    for (const k of kinds) {
      const socket = nodes[k].socket;
      const mj = spawnSync(process.execPath, [MESHCTL, '-s', socket, 'work', 'list', '--json'], { maxBuffer: 1 << 30, encoding: 'utf8' });
      if (mj.status !== 0) throw new Error(`meshctl work list --json against ${k} exited ${mj.status}: ${mj.stderr}`);
      const got = Object.keys(JSON.parse(mj.stdout)).length;
      if (got !== n) throw new Error(`meshctl work list --json against ${k} printed ${got} units, ${n} are on disk`);
      facts[k].meshctlUnits = got;
      facts[k].meshctlJsonBytes = Buffer.byteLength(mj.stdout);
      if (p.socat) {
        const raw = spawnSync('sh', ['-c', `exec socat -t 600 - UNIX-CONNECT:${socket} < ${requestFile}`], { maxBuffer: 1 << 30 });
        const nl = raw.stdout.indexOf(10);
        const reply = raw.stdout.subarray(nl + 1);
        const units = raw.status === 0 && reply[reply.length - 1] === 10 ? Object.keys(JSON.parse(reply.toString('utf8'))).length : -1;
        if (units !== n) throw new Error(`socat against ${k} read ${raw.stdout.length} bytes (exit ${raw.status}) naming ${units} units, ${n} are on disk`);
        facts[k].socatReplyBytes = reply.length;
      }
    }
    const cmds = [];
    for (const k of kinds) {
      const socket = nodes[k].socket;
      if (p.socat) cmds.push([`${k}:socat`, 'sh', ['-c', `exec socat -t 600 - UNIX-CONNECT:${socket} < ${requestFile}`]]);
      cmds.push([`${k}:json`, process.execPath, [MESHCTL, '-s', socket, 'work', 'list', '--json']]);
      cmds.push([`${k}:plain`, process.execPath, [MESHCTL, '-s', socket, 'work', 'list']]);
      if (p.receptorctl) cmds.push([`${k}:receptorctl`, p.receptorctl.path, ['--socket', socket, 'work', 'list']]);
      cmds.push([`${k}:floor`, process.execPath, ['-e', NODE_FLOOR, socket]]);
    }
    // Every command of both nodes once a round, the order rotating; the checks above were the warm-up.
    const timed = Object.fromEntries(timeInterleaved(cmds, { runs: rounds, warmup: 0 }));
    const label = { socat: 'socat (send `work list`, read to EOF)', json: '`meshctl work list --json`', plain: '`meshctl work list`', receptorctl: '`receptorctl work list`', floor: 'Node floor (parse, indent, write: no checks)' };
    const rows = [];
    const targets = [];
    for (const k of kinds) {
      const base = timed[`${k}:socat`]?.median;
      for (const c of ['socat', 'json', 'plain', 'receptorctl', 'floor']) {
        const r = timed[`${k}:${c}`];
        if (!r) continue;
        rows.push(`| ${name(k)} | ${label[c]} | ${(r.median / 1000).toFixed(2)} | ${base ? `${(r.median / base).toFixed(2)}×` : '–'} | ${(r.min / 1000).toFixed(2)}–${(r.max / 1000).toFixed(2)} | ${r.runs} |`);
      }
      const j = timed[`${k}:json`].median;
      const t = timed[`${k}:plain`].median;
      const mb = (facts[k].replyBytes / 1e6).toFixed(1);
      targets.push({
        target: `${mb} MB \`work list\` reply from ${name(k)} (${n.toLocaleString('en-US')} units on disk) within ${TARGET}× socat (issue 13)`,
        measured: base
          ? `\`meshctl work list\` ${(t / base).toFixed(2)}×, \`--json\` ${(j / base).toFixed(2)}× (${(t / 1000).toFixed(2)} s, ${(j / 1000).toFixed(2)} s against socat's ${(base / 1000).toFixed(2)} s, medians of ${rounds} interleaved rounds, both nodes in one run); Node's floor for parse + indent + write ${(timed[`${k}:floor`].median / base).toFixed(2)}×`
          : `\`meshctl work list\` ${(t / 1000).toFixed(2)} s, \`--json\` ${(j / 1000).toFixed(2)} s; socat not installed, no ratio`,
        met: base ? (Math.max(t, j) / base <= TARGET ? 'yes' : 'no') : 'measured',
      });
    }
    const factLines = kinds.map(
      (k) =>
        `- ${name(k)}: reply ${facts[k].replyBytes.toLocaleString('en-US')} bytes (${(facts[k].replyBytes / 1e6).toFixed(1)} MB)` +
        `${facts[k].socatReplyBytes !== undefined ? `, socat read ${facts[k].socatReplyBytes.toLocaleString('en-US')} bytes after the greeting, ${n} units` : ''}` +
        `; \`meshctl work list --json\` printed ${facts[k].meshctlUnits} units (${(facts[k].meshctlJsonBytes / 1e6).toFixed(1)} MB indented)` +
        `${facts[k].partial ? `; ${facts[k].partial} partial list${facts[k].partial > 1 ? 's' : ''} before the complete one` : ''}` +
        `${facts[k].hangs ? `; its work list hung during the load ${facts[k].hangs} time${facts[k].hangs > 1 ? 's' : ''} (node killed and started again)` : ''}.`,
    );
    const missing = [
      p.receptor ? '' : '**receptor is not installed** (no `receptor` on PATH, no $RECEPTOR_BIN; `.ci/install-peers`, or `source /root/.cache/meshctl-peers/env.sh`): only `meshctl node` was measured.',
      missingPeers({ receptorctl: 'the receptorctl rows are', socat: 'the socat rows and the ratios are' }),
    ].filter(Boolean);
    const md = [
      '### Real nodes building the reply',
      '',
      `${n.toLocaleString('en-US')} finished \`cat\` units on disk in receptor's layout (bench/node-units.js writeUnits, every tenth Failed), each status file's Detail ${detailSize.toLocaleString('en-US')} characters of play output (quotes and newlines for JSON to escape), one copy per node under ${unitsRoot()}. ` +
        `\`meshctl node\`${p.receptor ? ' and receptor 1.6.5 run side by side' : ' runs'}; once a \`work list\` names every unit, each client asks on a fresh session, stdout to /dev/null, every command of ${kinds.length > 1 ? 'both nodes' : 'the node'} once a round in rotating order (${rounds} round${rounds > 1 ? 's' : ''}, medians of wall time). ` +
        `socat's time is the node's building and sending of the reply, the floor for any client of that node; the Node floor (NODE_FLOOR above) is that of a Node client printing the reply as JSON. The machine is shared: read the ratios of one run rather than the absolute times. Machine: ${machineLine()}.`,
      'Reproduce: `npm run bench -- big-reply` (BENCH_BIG_REPLY_UNITS=N, BENCH_BIG_REPLY_DETAIL=CHARS, BENCH_BIG_REPLY_ROUNDS=N; BENCH_UNITS_DIR=DIR for the unit trees).',
      ...(missing.length ? ['', ...missing] : []),
      '',
      '| node | client | median s | vs socat, same node | range s | runs |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      ...factLines,
    ].join('\n');
    return { md, targets };
  } finally {
    for (const k of Object.keys(nodes)) await nodes[k].stop();
    for (const k of Object.keys(data)) data[k].remove();
    tmp.remove();
  }
}

export async function run({ smoke = false } = {}) {
  const a = await canned(smoke);
  const b = await realNodes(smoke);
  return { md: `${a.md}\n\n${b.md}`, targets: [...a.targets, ...b.targets] };
}
