// Shared pieces of the benchmarks: timing child processes, starting nodes (ours or the real receptor),
// a tiny raw control client for setup, pipelines whose bytes and peak memory are measured, writing figures.
// Benchmarks print figures and never assert on time. Everything they start is stopped and every temp dir
// removed, also when a step fails (see track()/cleanupAll()).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MESHCTL = join(ROOT, 'bin', 'meshctl.js');
export const GiB = 2 ** 30;
export const MiB = 2 ** 20;

// ------------------------------------------------------------------------------------------ bookkeeping

const cleanups = new Set();
/** Registers a clean-up step run by cleanupAll() (at the end of the run, or on Ctrl-C). Returns an untrack function. */
export function track(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
export async function cleanupAll() {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      await fn();
    } catch {
      // best effort
    }
  }
}

export function tempDir(prefix = 'meshctl-bench-', root = tmpdir()) {
  const dir = mkdtempSync(join(root, prefix));
  const untrack = track(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    remove() {
      untrack();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------ statistics

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// ------------------------------------------------------------------------------------------ timing

/** Wall time of one run of `cmd args` in ms; throws if it exits non-zero. */
export function timeOnce(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/**
 * Median wall times of several commands measured in interleaved rounds (each round runs every command once, the
 * order rotating), so that drift in the load of a shared machine hits every command alike and their ratios hold.
 * `cmds`: [name, cmd, args, runs?]; a command with fewer runs sits out the later rounds.
 */
export function timeInterleaved(cmds, { runs = 41, warmup = 3 } = {}) {
  for (const [, cmd, args] of cmds) for (let i = 0; i < warmup; i++) timeOnce(cmd, args);
  const xs = cmds.map(() => []);
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < cmds.length; k++) {
      const j = (k + round) % cmds.length;
      const [, cmd, args, n = runs] = cmds[j];
      if (round < n) xs[j].push(timeOnce(cmd, args));
    }
  }
  return cmds.map(([name], j) => [name, { median: median(xs[j]), min: Math.min(...xs[j]), max: Math.max(...xs[j]), runs: xs[j].length }]);
}

export function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The real receptor binary, if there is one: $RECEPTOR_BIN, PATH, or ~/go/bin/receptor. */
export function receptorBin() {
  const candidates = [process.env.RECEPTOR_BIN, which('receptor'), join(process.env.HOME ?? '/root', 'go', 'bin', 'receptor')];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

export function machineLine() {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

// ------------------------------------------------------------------------------------------ /proc

/** VmRSS / VmHWM of a live process, in bytes (0 once it is gone). */
export async function memoryOf(pid) {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** Samples VmHWM of `pid` every `everyMs` until stop(); resolves to the largest seen (bytes). */
export function hwmSampler(pid, everyMs = 20) {
  let peak = 0;
  let on = true;
  const done = (async () => {
    while (on) {
      const m = await memoryOf(pid);
      peak = Math.max(peak, m.hwm);
      await sleep(everyMs);
    }
    return peak;
  })();
  return {
    get peak() {
      return peak;
    },
    async stop() {
      on = false;
      return done;
    },
  };
}

// ------------------------------------------------------------------------------------------ ports and certificates

export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** `n` distinct free ports: every listener stays open until all are taken, so no port comes back twice. */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      await new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', resolve);
      });
      servers.push(srv);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

// ------------------------------------------------------------------------------------------ follow latency

const TICKER = `// Prints "SEQ WALLCLOCK_MS" every EVERY ms, N times.
const [n, every] = process.argv.slice(2).map(Number);
let i = 0;
const t = setInterval(() => {
  process.stdout.write(i + ' ' + (performance.timeOrigin + performance.now()).toFixed(3) + '\\n');
  if (++i >= n) clearInterval(t);
}, every);
`;

/** A `ticker` work command (written into `dir`) printing its wall-clock time every `everyMs`, `lines` times. */
export function tickerWorkCommand(dir, lines, everyMs) {
  const script = join(dir, 'ticker.cjs');
  writeFileSync(script, TICKER);
  return { worktype: 'ticker', command: process.execPath, params: `${script} ${lines} ${everyMs}` };
}

/**
 * Follows one ticker unit: `meshctl work submit ticker -n -f --rm [--node NODE]` through `socket`. Resolves to each
 * line's latency in ms (its arrival on meshctl's stdout minus the stamp the ticker wrote), in order.
 */
export async function followTicker(socket, { node, lines, timeoutMs }) {
  const args = [MESHCTL, '-s', socket, 'work', 'submit', 'ticker', '-n', '-f', '--rm', ...(node ? ['--node', node] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const untrack = track(() => child.kill('SIGKILL'));
  const samples = [];
  let buf = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    const now = performance.timeOrigin + performance.now();
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const [, stamp] = buf.slice(0, i).split(' ');
      buf = buf.slice(i + 1);
      samples.push(now - Number(stamp));
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise((r) => child.once('close', r));
  clearTimeout(timer);
  untrack();
  if (code !== 0) throw new Error(`work submit ticker -f exited ${code}: ${err.trim()}`);
  if (samples.length !== lines) throw new Error(`got ${samples.length} of ${lines} ticker lines: ${err.trim()}`);
  return samples;
}

/** A throwaway CA and a server certificate for 127.0.0.1 / localhost, made with the openssl CLI. */
export function makeTlsFiles(dir) {
  const f = (n) => join(dir, n);
  const run = (args) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=meshctl bench CA']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext']);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

// ------------------------------------------------------------------------------------------ nodes

function workCommandsYaml(workCommands) {
  return workCommands
    .map(
      (w) =>
        `- work-command:\n    worktype: ${w.worktype}\n    command: ${JSON.stringify(w.command)}\n` +
        (w.params ? `    params: ${JSON.stringify(w.params)}\n` : '') +
        (w.allowruntimeparams ? '    allowruntimeparams: true\n' : ''),
    )
    .join('');
}

async function canConnect(opts) {
  return new Promise((resolve) => {
    const s = net.connect(opts);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts a node as a child process from a Receptor v1 YAML config: `kind` 'meshctl' (our embedded node,
 * `node bin/meshctl.js node -c`) or 'receptor' (the real binary). Options: workCommands, tcp (plain TCP
 * control listener), tls (TLS control listener; certificates are generated), extraYaml (mesh listeners and
 * peers), localOnly (default true; false for a mesh member), nodeId.
 * Resolves once every listener accepts connections.
 */
export async function startNode({ kind = 'meshctl', nodeId = 'benchnode', workCommands = [], tcp = false, tls = false, extraYaml = '', logLevel = 'error', nodeArgs = [], localOnly = true, wrapper = [] } = {}) {
  const tmp = tempDir(`meshctl-bench-${kind}-`);
  const dir = tmp.dir;
  const socket = join(dir, 'ctl.sock');
  const datadir = join(dir, 'data');
  let yaml = `---\n- node:\n    id: ${nodeId}\n    datadir: ${datadir}\n- log-level: ${logLevel}\n${localOnly ? '- local-only\n' : ''}- control-service:\n    service: control\n    filename: ${socket}\n`;
  const tcpPort = tcp ? await freePort() : undefined;
  if (tcpPort) yaml += `    tcplisten: "127.0.0.1:${tcpPort}"\n`;
  let tlsFiles;
  let tlsPort;
  if (tls) {
    tlsFiles = makeTlsFiles(dir);
    tlsPort = await freePort();
    // A plain server certificate: no Receptor node-ID name in it, so the node-ID check is off.
    yaml += `- tls-server:\n    name: benchtls\n    cert: ${tlsFiles.cert}\n    key: ${tlsFiles.key}\n    skipreceptornamescheck: true\n`;
    yaml += `- control-service:\n    service: ctltls\n    tcplisten: "127.0.0.1:${tlsPort}"\n    tcptls: benchtls\n`;
  }
  yaml += workCommandsYaml(workCommands) + extraYaml;
  const configPath = join(dir, 'node.yaml');
  writeFileSync(configPath, yaml);
  let cmd;
  let args;
  if (kind === 'receptor') {
    cmd = receptorBin();
    if (!cmd) throw new Error('no receptor binary (set RECEPTOR_BIN)');
    args = ['-c', configPath];
  } else {
    cmd = process.execPath;
    args = [...nodeArgs, MESHCTL, 'node', '-c', configPath];
  }
  let log = '';
  // `wrapper`: a command the node runs under, e.g. ['prlimit', '--nofile=256:256'] (exec's the node: same pid).
  const child = wrapper.length ? spawn(wrapper[0], [...wrapper.slice(1), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir }) : spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    tmp.remove();
  };
  const untrack = track(stop);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      untrack();
      await stop();
      throw new Error(`${kind} node exited with ${child.exitCode}: ${log}`);
    }
    const ready =
      existsSync(socket) &&
      (await canConnect({ path: socket })) &&
      (!tcpPort || (await canConnect({ port: tcpPort, host: '127.0.0.1' }))) &&
      (!tlsPort || (await canConnect({ port: tlsPort, host: '127.0.0.1' })));
    // Receptor opens its control socket before it registers the work commands: wait until status lists them.
    if (ready && (workCommands.length === 0 || (await workTypesReady(socket, workCommands)))) break;
    if (Date.now() > deadline) {
      untrack();
      await stop();
      throw new Error(`${kind} node did not start in 20 s: ${log}`);
    }
    await sleep(50);
  }
  return {
    kind,
    nodeId,
    dir,
    datadir,
    socket,
    configPath,
    tcpAddress: tcpPort ? `tcp://127.0.0.1:${tcpPort}` : undefined,
    tlsAddress: tlsPort ? `tls://127.0.0.1:${tlsPort}` : undefined,
    tlsPort,
    ca: tlsFiles?.ca,
    pid: child.pid,
    child,
    log: () => log,
    async stop() {
      untrack();
      await stop();
    },
  };
}

async function workTypesReady(socket, workCommands) {
  try {
    const st = await control(socket, 'status');
    const ad = (st.Advertisements ?? []).find((a) => a.NodeID === st.NodeID);
    const have = new Set((ad?.WorkCommands ?? []).map((w) => w.WorkType));
    return workCommands.every((w) => have.has(w.worktype));
  } catch {
    return false;
  }
}

/** Kept for bench/startup.js: our node on a Unix socket. */
export function startEmbeddedNode(opts = {}) {
  return startNode({ kind: 'meshctl', ...opts });
}

// ------------------------------------------------------------------------------------------ raw control client

/** One control session: greeting, then request/response lines. Setup only (the clients under test are separate). */
export class RawSession {
  static async open(socketPath) {
    const s = net.connect({ path: socketPath });
    await new Promise((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    const session = new RawSession(s);
    const greeting = await session.line();
    if (!greeting.startsWith('Receptor Control')) throw new Error(`bad greeting: ${greeting}`);
    return session;
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.waiters = [];
    this.closed = false;
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      this.buf += d;
      this.pump();
    });
    const end = () => {
      this.closed = true;
      this.pump();
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', end);
  }

  pump() {
    while (this.waiters.length) {
      const i = this.buf.indexOf('\n');
      if (i < 0) {
        if (this.closed) this.waiters.shift().reject(new Error('connection closed'));
        else return;
        continue;
      }
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      this.waiters.shift().resolve(line);
    }
  }

  line(timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a reply line')), timeoutMs);
      this.waiters.push({
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.pump();
    });
  }

  async command(line) {
    this.sock.write(line + '\n');
    const reply = await this.line();
    if (reply.startsWith('ERROR: ')) throw new Error(reply);
    return JSON.parse(reply);
  }

  close() {
    this.sock.destroy();
  }
}

/** Sends one command on a fresh session. */
export async function control(socketPath, line) {
  const s = await RawSession.open(socketPath);
  try {
    return await s.command(line);
  } finally {
    s.close();
  }
}

/** `work submit` with an empty payload; resolves to the unit id. */
export async function submitNoPayload(socketPath, worktype, params) {
  const s = await RawSession.open(socketPath);
  try {
    const req = { command: 'work', subcommand: 'submit', node: 'localhost', worktype, ...(params ? { params } : {}) };
    s.sock.write(JSON.stringify(req) + '\n');
    const created = await s.line();
    if (!created.startsWith('Work unit created')) throw new Error(created);
    s.sock.end();
    const final = JSON.parse(await s.line());
    return final.unitid;
  } finally {
    s.close();
  }
}

/** Polls `work status` until `pred(status)`; throws after timeoutMs. */
export async function waitStatus(socketPath, unitId, pred, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await control(socketPath, `work status ${unitId}`);
    if (pred(st)) return st;
    if (Date.now() > deadline) throw new Error(`unit ${unitId} still ${st.StateName} after ${timeoutMs / 1000}s`);
    await sleep(100);
  }
}

export async function release(socketPath, unitId) {
  await control(socketPath, `work force-release ${unitId}`).catch(() => undefined);
}

// ------------------------------------------------------------------------------------------ measured pipelines

/**
 * Runs `[producer |] cmd args | wc -c`: the producer (e.g. `head -c N /dev/zero`) feeds cmd's stdin, cmd's stdout
 * is counted by `wc -c` (C code, so the counting costs every client the same and little). Returns the wall time
 * from starting the processes to cmd and wc both exiting, the byte count, cmd's peak memory (VmHWM, sampled
 * every 20 ms from /proc), its exit code and stderr. A run longer than `timeoutMs` is killed and reported failed.
 */
export async function measure({ cmd, args = [], producer, env = {}, timeoutMs = 300_000 }) {
  const procs = [];
  const kill = () => procs.forEach((p) => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
  const untrack = track(kill);
  try {
    const t0 = process.hrtime.bigint();
    const wc = spawn('wc', ['-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    procs.push(wc);
    let count = '';
    wc.stdout.setEncoding('utf8');
    wc.stdout.on('data', (d) => (count += d));
    let prod;
    if (producer) {
      prod = spawn(producer[0], producer.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
      procs.push(prod);
    }
    const child = spawn(cmd, args, { stdio: [prod ? prod.stdout : 'ignore', wc.stdin, 'pipe'], env: { ...process.env, ...env } });
    procs.push(child);
    // This process must not hold the pipe ends it handed over (wc would never see EOF).
    wc.stdin.destroy();
    prod?.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => (stderr += d));
    const hwm = hwmSampler(child.pid);
    const timer = setTimeout(kill, timeoutMs);
    const [code] = await Promise.all([
      new Promise((r) => child.once('close', (c, s) => r(c ?? s))),
      new Promise((r) => wc.once('close', r)),
      prod ? new Promise((r) => prod.once('close', r)) : undefined,
    ]);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    clearTimeout(timer);
    const peak = await hwm.stop();
    return { ms, bytes: Number(count.trim()), hwm: peak, code, stderr };
  } finally {
    untrack();
    kill();
  }
}

// ------------------------------------------------------------------------------------------ output

export const fmt = {
  mibs: (bytes, ms) => `${(bytes / MiB / (ms / 1000)).toFixed(0)}`,
  mib: (bytes) => (bytes / MiB).toFixed(1),
  s: (ms) => (ms / 1000).toFixed(2),
};

/**
 * Replaces the block between `<!-- bench:NAME -->` markers in docs/performance.md (creating it if needed).
 * BENCH_OUT=FILE writes to another file instead: trial runs and the smoke run must not rewrite the docs.
 */
export function writeSection(name, markdown) {
  const file = process.env.BENCH_OUT || join(ROOT, 'docs', 'performance.md');
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n\nFigures written by `npm run bench` (see bench/). Each section names the command that produced it.\n';
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text.endsWith('\n') ? text : text + '\n');
}

// ------------------------------------------------------------------------------------------ peers

/** The Python interpreter of a script's shebang (pyenv shims and `env` fall back to python3). */
function pythonOf(script) {
  try {
    const m = /^#!\s*(\S+)/.exec(readFileSync(script, 'utf8').split('\n', 1)[0] ?? '');
    if (m && !m[1].endsWith('/env') && existsSync(m[1])) return m[1];
  } catch {
    // not a readable script
  }
  return 'python3';
}

let peerCache;
/**
 * The comparison programs of the benches, found as the benches find them: receptor (RECEPTOR_BIN, PATH,
 * ~/go/bin), receptorctl and socat on PATH. Each is `{ path, version }` or null when it is not installed.
 * receptorctl has no --version: its version is the Python package's, asked of the interpreter in its shebang.
 */
export function peers() {
  if (peerCache) return peerCache;
  const out = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
    return r.status === 0 ? `${r.stdout}`.trim() : '';
  };
  const receptor = receptorBin();
  const receptorctl = which('receptorctl');
  const socat = which('socat');
  peerCache = {
    receptor: receptor ? { path: receptor, version: out(receptor, ['--version']).replace(/^v/, '') || 'unknown version' } : null,
    receptorctl: receptorctl
      ? { path: receptorctl, version: out(pythonOf(receptorctl), ['-c', 'import importlib.metadata as m; print(m.version("receptorctl"))']) || 'unknown version' }
      : null,
    socat: socat ? { path: socat, version: /socat version (\S+)/.exec(out(socat, ['-V']))?.[1] ?? 'unknown version' } : null,
  };
  return peerCache;
}

/** One plain sentence per missing peer for a bench's section, naming the comparisons it leaves out ('' when none). */
export function missingPeers(what) {
  const p = peers();
  return Object.entries(what)
    .filter(([name]) => !p[name])
    .map(([name, lost]) => `**${name} is not installed** (\`.ci/install-peers\`, or \`source /root/.cache/meshctl-peers/env.sh\`): ${lost} missing from this run.`)
    .join('\n');
}
