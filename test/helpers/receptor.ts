// The REAL peers for the interop suite: the `receptor` binary and the `receptorctl` CLI / Python library.
//
//   const peers = requirePeers();                       // throws with exactly what is missing
//   const node = await startReceptor({ nodeId: 'r1', workCommands: [{ worktype: 'cat', command: 'cat' }] });
//   const r = await runReceptorctl(['--socket', node.socketPath, 'status', '--json']);
//   await node.stop();                                   // kills receptor and its work processes, removes the dir
//
// Peers are looked up in: $RECEPTOR_BIN / $RECEPTORCTL_BIN, then PATH, then the directory .ci/install-peers
// fills (${MESHCTL_PEERS_DIR:-${XDG_CACHE_HOME:-~/.cache}/meshctl-peers}/bin).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, createServer, type AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { rawCommand } from '../interop/support/raw.js';

export const RECEPTOR_EXPECTED_VERSION = '1.6.5';
export const RECEPTORCTL_EXPECTED_VERSION = '1.6.5';

export interface PeerPaths {
  receptor: string;
  receptorctl: string;
  /** The Python interpreter that has the `receptorctl` package (for ReceptorControl snippets). */
  python: string;
  receptorVersion: string;
  receptorctlVersion: string;
}

export interface PeerCheck {
  ok: boolean;
  /** Every problem found, each a full sentence naming the path/version and the fix. */
  missing: string[];
  paths?: PeerPaths;
}

const INSTALL_HINT = 'run `bash .ci/install-peers` (builds receptor v1.6.5 and pip-installs receptorctl==1.6.5)';

export function peersBinDir(): string {
  const base = process.env.MESHCTL_PEERS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'meshctl-peers');
  return join(base, 'bin');
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function locate(name: string, envVar: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), peersBinDir()];
  return dirs.map((d) => join(d, name)).find(executable);
}

/** The interpreter from the script's shebang, so the library matches the CLI. */
function pythonOf(script: string): string {
  try {
    const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    if (m?.[1] && !m[1].endsWith('/env') && executable(m[1])) return m[1];
  } catch {
    // pyenv shims and wrappers: fall back to python3 on PATH
  }
  return 'python3';
}

let cached: PeerCheck | undefined;

/** Finds both peers and checks their versions. Never throws. */
export function hasPeers(): PeerCheck {
  if (cached) return cached;
  const missing: string[] = [];
  const receptor = locate('receptor', 'RECEPTOR_BIN');
  let receptorVersion = '';
  if (receptor && !executable(receptor)) {
    missing.push(`RECEPTOR_BIN=${receptor} is not an executable file; unset it or ${INSTALL_HINT}`);
  } else if (!receptor) {
    missing.push(`receptor binary not found (looked at $RECEPTOR_BIN, PATH and ${peersBinDir()}); ${INSTALL_HINT}`);
  } else {
    const r = spawnSync(receptor, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    receptorVersion = (r.stdout ?? '').trim();
    if (r.status !== 0) {
      missing.push(`'${receptor} --version' failed (exit ${r.status}): ${(r.stderr ?? r.error?.message ?? '').trim()}; ${INSTALL_HINT}`);
    } else if (receptorVersion.replace(/^v/, '') !== RECEPTOR_EXPECTED_VERSION) {
      missing.push(`receptor at ${receptor} reports version '${receptorVersion}', expected ${RECEPTOR_EXPECTED_VERSION}; ${INSTALL_HINT}`);
    }
  }
  const receptorctl = locate('receptorctl', 'RECEPTORCTL_BIN');
  let receptorctlVersion = '';
  let python = 'python3';
  if (receptorctl && !executable(receptorctl)) {
    missing.push(`RECEPTORCTL_BIN=${receptorctl} is not an executable file; unset it or ${INSTALL_HINT}`);
  } else if (!receptorctl) {
    missing.push(`receptorctl not found (looked at $RECEPTORCTL_BIN, PATH and ${peersBinDir()}); ${INSTALL_HINT}`);
  } else {
    python = pythonOf(receptorctl);
    const r = spawnSync(python, ['-c', 'import importlib.metadata as m, receptorctl; print(m.version("receptorctl"))'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    receptorctlVersion = (r.stdout ?? '').trim();
    if (r.status !== 0) {
      missing.push(`the Python package receptorctl cannot be imported by ${python}: ${(r.stderr ?? r.error?.message ?? '').trim().split('\n').pop()}; ${INSTALL_HINT}`);
    } else if (receptorctlVersion !== RECEPTORCTL_EXPECTED_VERSION) {
      missing.push(`receptorctl ${receptorctlVersion} is installed for ${python}, expected ${RECEPTORCTL_EXPECTED_VERSION}; ${INSTALL_HINT}`);
    }
  }
  cached =
    missing.length === 0
      ? { ok: true, missing, paths: { receptor: receptor!, receptorctl: receptorctl!, python, receptorVersion, receptorctlVersion } }
      : { ok: false, missing };
  return cached;
}

/** Returns the peers or throws one error listing everything that is missing (the interop suite FAILS, never skips). */
export function requirePeers(): PeerPaths {
  const check = hasPeers();
  if (!check.ok || !check.paths) {
    throw new Error(`interop peers missing:\n  - ${check.missing.join('\n  - ')}`);
  }
  return check.paths;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, resolve);
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

// ------------------------------------------------------------------------------------------ receptor process

export interface WorkCommandSpec {
  worktype: string;
  command: string;
  params?: string;
  allowruntimeparams?: boolean;
  verifysignature?: boolean;
}

export interface ReceptorOptions {
  /** Default 'rnode'. */
  nodeId?: string;
  workCommands?: WorkCommandSpec[];
  /** Plain TCP control listener on 127.0.0.1 (default true). */
  controlTcp?: boolean;
  /** Adds a second control-service (service `ctltls`) with `tcplisten` + `tcptls: <name>` (a tls-server you define). */
  controlTls?: { tlsServer: string };
  /** `tls: <name>` on the `control` service: TLS inside mesh streams (a tls-server you define). */
  controlServiceTls?: string;
  /** tcp-listener on 127.0.0.1 with a free port (`port` set on the returned node). */
  tcpListener?: { tls?: string; cost?: number };
  /** tcp-peer entries (`host:port`). */
  tcpPeers?: { address: string; tls?: string; cost?: number }[];
  /** Raw extra YAML items, e.g. `{ 'tls-server': { name, cert, key, ... } }`. */
  extraItems?: unknown[];
  /** Start with `-c <yaml>` (default) or with the same items as command-line flags (no reload possible). */
  viaFlags?: boolean;
  /** Default 'info'. */
  logLevel?: string;
  /** Reuse a directory (default: a fresh mkdtemp). */
  dir?: string;
}

export interface RunningReceptor {
  nodeId: string;
  dir: string;
  socketPath: string;
  datadir: string;
  configPath: string;
  /** Plain TCP control listener ('127.0.0.1', port) if enabled. */
  tcpPort?: number;
  /** TLS control listener port if `controlTls` was given. */
  tlsPort?: number;
  /** Backend tcp-listener port if `tcpListener` was given. */
  listenerPort?: number;
  process: ChildProcess;
  /** Everything receptor printed so far. */
  log(): string;
  /** Rewrites the YAML config (for `reload` tests). */
  writeConfig(items: unknown[]): Promise<void>;
  items: unknown[];
  stop(): Promise<void>;
}

async function canConnect(path: string | { port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = typeof path === 'string' ? netConnect(path) : netConnect(path.port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** A receptor or meshctl node process started by spawnUntilListening. */
export interface ListeningProcess {
  child: ChildProcess;
  /** Its control socket. */
  sock: string;
  /** Everything it wrote on stdout and stderr so far. */
  output(): string;
}

/**
 * Spawns a node process (receptor, or `meshctl node`) and resolves once its control socket `sock` accepts
 * connections and `ready(output)` holds; rejects if it exits first or takes longer than `boundMs`.
 * `started` sees the child at once, so a caller can stop it even when start-up fails.
 */
export async function spawnUntilListening(
  what: string,
  file: string,
  args: string[],
  opts: { sock: string; cwd: string; env?: NodeJS.ProcessEnv; boundMs: number; ready?: (output: string) => boolean; started?: (child: ChildProcess) => void },
): Promise<ListeningProcess> {
  const child = spawn(file, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
  opts.started?.(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + opts.boundMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode} during start-up: ${out.trim()}`);
    if (existsSync(opts.sock) && (await canConnect(opts.sock)) && (opts.ready?.(out) ?? true)) break;
    if (Date.now() > deadline) throw new Error(`${what} did not finish start-up within ${opts.boundMs} ms: ${out.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, sock: opts.sock, output: () => out };
}

/** Pids of this receptor's command runners and their descendants (runners detach from receptor's process group). */
function workProcesses(dir: string): number[] {
  const parent = new Map<number, number>();
  const roots: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('--command-runner') && cmdline.includes(dir)) roots.push(Number(entry));
    } catch {
      // process ended meanwhile
    }
  }
  const all = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (all.has(ppid) && !all.has(pid)) {
        all.add(pid);
        grew = true;
      }
    }
  }
  return [...all];
}

function itemsToFlags(items: unknown[]): string[] {
  const args: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      args.push(`--${item}`);
      continue;
    }
    for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
      args.push(`--${name}`);
      if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          args.push(`${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
        }
      } else if (value !== null && value !== undefined) {
        args.push(String(value));
      }
    }
  }
  return args;
}

export async function startReceptor(options: ReceptorOptions = {}): Promise<RunningReceptor> {
  return startControlNode('receptor', options);
}

/**
 * `node bin/meshctl.js node -c <yaml>` with exactly the YAML startReceptor would write for the same options
 * (needs `npm run build`). The handle is the same as for a real receptor, so a suite can run against both.
 */
export async function startMeshctlNode(options: ReceptorOptions = {}): Promise<RunningReceptor> {
  if (options.viaFlags) throw new Error('meshctl node reads a config file only (viaFlags is receptor-only)');
  if (!existsSync(join(meshctlBin(), '..', '..', 'dist', 'cli', 'main.js'))) {
    throw new Error('meshctl is not built: run `npm run build` (npm run test:interop does it first)');
  }
  return startControlNode('meshctl', options);
}

async function startControlNode(kind: 'receptor' | 'meshctl', options: ReceptorOptions): Promise<RunningReceptor> {
  const peers = kind === 'receptor' ? requirePeers() : undefined;
  const nodeId = options.nodeId ?? 'rnode';
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), `rcpt-${nodeId}-`)));
  const socketPath = join(dir, 'ctl.sock');
  const datadir = join(dir, 'data');
  const configPath = join(dir, 'receptor.yml');
  const tcpPort = options.controlTcp === false ? undefined : await freePort();
  const tlsPort = options.controlTls ? await freePort() : undefined;
  const listenerPort = options.tcpListener ? await freePort() : undefined;

  const items: unknown[] = [{ node: { id: nodeId, datadir } }, { 'log-level': options.logLevel ?? 'info' }];
  items.push(...(options.extraItems ?? []));
  items.push({
    'control-service': {
      service: 'control',
      filename: socketPath,
      ...(tcpPort ? { tcplisten: `127.0.0.1:${tcpPort}` } : {}),
      ...(options.controlServiceTls ? { tls: options.controlServiceTls } : {}),
    },
  });
  if (options.controlTls) {
    items.push({ 'control-service': { service: 'ctltls', tcplisten: `127.0.0.1:${tlsPort}`, tcptls: options.controlTls.tlsServer } });
  }
  if (options.tcpListener) {
    items.push({
      'tcp-listener': {
        bindaddr: '127.0.0.1',
        port: listenerPort,
        ...(options.tcpListener.tls ? { tls: options.tcpListener.tls } : {}),
        ...(options.tcpListener.cost ? { cost: options.tcpListener.cost } : {}),
      },
    });
  }
  for (const p of options.tcpPeers ?? []) {
    items.push({ 'tcp-peer': { address: p.address, ...(p.tls ? { tls: p.tls } : {}), ...(p.cost ? { cost: p.cost } : {}) } });
  }
  if (!options.tcpListener && !(options.tcpPeers?.length)) items.push('local-only');
  for (const w of options.workCommands ?? []) items.push({ 'work-command': { ...w } });

  const writeConfig = async (next: unknown[]) => writeFile(configPath, stringify(next), { mode: 0o600 });
  await writeConfig(items);
  const [file, args] =
    kind === 'receptor'
      ? [peers!.receptor, options.viaFlags ? itemsToFlags(items) : ['-c', configPath]]
      : [process.execPath, [meshctlBin(), 'node', '-c', configPath]];
  const child = spawn(file, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    const work = workProcesses(dir);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    for (const pid of [...work, ...workProcesses(dir)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (!options.dir) await rm(dir, { recursive: true, force: true });
  };

  // Ready when the Unix socket and every TCP listener accept connections (TLS listeners are not handshaked).
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${kind} node ${nodeId} exited during startup (code ${child.exitCode}): ${log.trim()}`);
    }
    const ready =
      existsSync(socketPath) &&
      (await canConnect(socketPath)) &&
      (!tcpPort || (await canConnect({ port: tcpPort }))) &&
      (!tlsPort || (await canConnect({ port: tlsPort }))) &&
      (!listenerPort || (await canConnect({ port: listenerPort })));
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${kind} node ${nodeId} did not open its listeners within 20 s: ${log.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // Then until its own advertisements are complete. Receptor sends its service ads as each service starts
  // (sendServiceAds), so for a moment after start `status` can lack the ctltls service or the WorkCommands;
  // two `status` calls taken then differ (seen once in CI: meshctl vs receptorctl status, unix).
  const services = ['control', ...(options.controlTls ? ['ctltls'] : [])];
  const workTypes = (options.workCommands ?? []).length;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${kind} node ${nodeId} exited during startup (code ${child.exitCode}): ${log.trim()}`);
    }
    const advertised = await ownAdvertisements(socketPath, nodeId).catch(() => []);
    const complete = services.every((svc) => advertised.some((a) => a.Service === svc && (a.WorkCommands?.length ?? 0) === workTypes));
    if (complete) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${kind} node ${nodeId} did not advertise ${services.join(', ')} with ${workTypes} work types within 20 s: ${log.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    nodeId,
    dir,
    socketPath,
    datadir,
    configPath,
    tcpPort,
    tlsPort,
    listenerPort,
    process: child,
    log: () => log,
    writeConfig,
    items,
    stop,
  };
}

/** The node's own advertisements from `status`. */
async function ownAdvertisements(socketPath: string, nodeId: string): Promise<{ Service: string; WorkCommands?: unknown[] | null }[]> {
  const reply = JSON.parse(await rawCommand(socketPath, '{"command":"status","requested_fields":["Advertisements"]}', 5_000)) as {
    Advertisements: { NodeID: string; Service: string; WorkCommands?: unknown[] | null }[] | null;
  };
  return (reply.Advertisements ?? []).filter((a) => a.NodeID === nodeId);
}

// ------------------------------------------------------------------------------------------ running processes

export interface ProcessResult {
  stdout: Buffer;
  stderr: string;
  /** null when killed by a signal (see `signal`) or timed out. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

export interface RunOptions {
  stdin?: string | Buffer | NodeJS.ReadableStream;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  cwd?: string;
}

/** Spawns a program, feeds stdin (then closes it), collects stdout as bytes and stderr as text. */
export function runProgram(file: string, args: string[], options: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const child = spawn(file, args, { env: env as NodeJS.ProcessEnv, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.stdin.on('error', () => {
      // the program may exit without reading stdin
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: err, exitCode: code, signal, timedOut });
    });
    const input = options.stdin;
    if (input === undefined) child.stdin.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin.end(input);
    else input.pipe(child.stdin);
  });
}

/** Runs the receptorctl CLI. Pass `--socket` yourself (its position matters: before the subcommand). */
export function runReceptorctl(args: string[], options: RunOptions = {}): Promise<ProcessResult> {
  return runProgram(requirePeers().receptorctl, args, { ...options, env: { RECEPTORCTL_SOCKET: undefined, ...options.env } });
}

/**
 * Runs a Python snippet with the interpreter that has receptorctl. The snippet gets `SOCKET` (from
 * options.socket) and `ReceptorControl` pre-imported; print JSON to stdout to hand results back.
 */
export function runPython(code: string, options: RunOptions & { socket?: string } = {}): Promise<ProcessResult> {
  const prelude = ['import json, os, sys, socket', 'from receptorctl import ReceptorControl', 'SOCKET = os.environ.get("MESHCTL_TEST_SOCKET")', ''].join('\n');
  return runProgram(requirePeers().python, ['-c', prelude + code], {
    ...options,
    env: { ...options.env, MESHCTL_TEST_SOCKET: options.socket },
  });
}

/** The path of the built meshctl CLI (bin/meshctl.js needs `npm run build` first). */
export function meshctlBin(): string {
  return fileURLToPath(new URL('../../bin/meshctl.js', import.meta.url));
}

/** Runs `node bin/meshctl.js …`. */
export function runMeshctl(args: string[], options: RunOptions = {}): Promise<ProcessResult> {
  return runProgram(process.execPath, [meshctlBin(), ...args], options);
}

export async function readLog(node: RunningReceptor): Promise<string> {
  return node.log() || (await readFile(join(node.dir, 'receptor.log'), 'utf8').catch(() => ''));
}
