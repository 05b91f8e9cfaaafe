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
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLine, MESHCTL, missingPeers, peers, tempDir, timeInterleaved, track } from './lib.js';
import { rusageOnce, rusageTool } from './startup.js';

export const uses = ['receptorctl', 'socat'];

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

export async function run({ smoke = false } = {}) {
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
