// Mixed meshes of real receptor 1.6.5 processes and `meshctl node` processes (issue 15), each node started from
// the same Receptor YAML whichever program runs it, over one backend: tcp, tls (mutual TLS), ws or udp.
//
//   const root = await mkdtemp(join(tmpdir(), 'mixed-mesh-'));
//   const mesh = new MixedMesh(root, 'tcp');
//   const exec = await mesh.start('receptor', 'executor', { listen: { cost: 2.5 }, workCommands });
//   const hop = await mesh.start('meshctl', 'hop', { listen: { cost: 1.5 }, dial: [{ node: exec, cost: 2.5 }] });
//   await hop.restart({ signal: 'SIGKILL' });   // same config, same listener port
//   await mesh.close();                         // every node, every work process left behind, the directory
//
// A node's listener port is chosen once (a free port) and kept across restarts, so its peers redial it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { makeTestPki, type TestPki } from '../../helpers/certs.js';
import { freePort, meshctlBin, requirePeers, spawnUntilListening, type WorkCommandSpec } from '../../helpers/receptor.js';
import { rawCommand } from './raw.js';

export type Backend = 'tcp' | 'tls' | 'ws' | 'udp';
export type Kind = 'receptor' | 'meshctl';

export interface Advert {
  NodeID: string;
  Service: string;
  Time?: string;
  ConnType: number;
  Tags: Record<string, string> | null;
  WorkCommands?: { WorkType: string; Secure: boolean }[] | null;
}

export interface NodeStatus {
  NodeID: string;
  Connections: { NodeID: string; Cost: number }[] | null;
  RoutingTable: Record<string, string> | null;
  KnownConnectionCosts: Record<string, Record<string, number>> | null;
  Advertisements: Advert[] | null;
}

export interface StartOptions {
  /** A listener of the mesh's backend on 127.0.0.1, every link through it at `cost`. */
  listen?: { cost: number };
  /** Peers to dial over the mesh's backend; both ends of a link must be configured with the same cost. */
  dial?: { node: MixedNode; cost: number }[];
  workCommands?: WorkCommandSpec[];
  /** More top-level YAML items, e.g. `{ 'work-signing': {...} }` or `{ 'work-verification': {...} }`. */
  extraItems?: unknown[];
}

/** Polls `probe` every 200 ms until it returns a value; the error names `what` and appends `logs()`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms: number, logs: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = ` (last probe error: ${(err as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${lastError}\n${logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A free UDP port on 127.0.0.1 (bound to 0, read, released). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * Whether something is bound to `port`: a TCP socket in LISTEN state, or any UDP socket, read from
 * /proc/net. Used instead of connecting, so a readiness probe never shows up in a node's log as a peer that
 * spoke no protocol.
 */
function bound(proto: 'tcp' | 'udp', port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      if (!cols[1]!.endsWith(`:${hex}`)) continue;
      if (proto === 'udp' || cols[3] === '0A') return true;
    }
  }
  return false;
}

/** Pids of every process whose command line names `dir` (work processes a killed node left behind), except ours. */
export function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

export class MixedNode {
  private child: ChildProcess | undefined;
  private past = '';
  private current: () => string = () => '';
  private exited: Promise<void> = Promise.resolve();
  /** How many times the node was started. */
  runs = 0;

  constructor(
    readonly mesh: MixedMesh,
    readonly kind: Kind,
    readonly id: string,
    readonly dir: string,
    readonly port: number | undefined,
    readonly items: unknown[],
  ) {}

  get sock(): string {
    return join(this.dir, 'ctl.sock');
  }

  get configPath(): string {
    return join(this.dir, 'receptor.yml');
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The process (throws while stopped). */
  get process(): ChildProcess {
    if (!this.child) throw new Error(`${this.kind} node ${this.id} is not running`);
    return this.child;
  }

  /** Everything the node printed, over every run (restarts marked). */
  log(): string {
    return this.past + this.current();
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (this.runs > 0) this.past += `${this.current()}\n----- ${this.kind} ${this.id} restarted -----\n`;
    this.current = () => '';
    this.runs++;
    const [file, args] =
      this.kind === 'receptor' ? [requirePeers().receptor, ['-c', this.configPath]] : [process.execPath, [meshctlBin(), 'node', '-c', this.configPath]];
    const p = await spawnUntilListening(`${this.kind} node ${this.id}`, file, args, {
      sock: this.sock,
      cwd: this.dir,
      boundMs: 30_000,
      started: (c) => {
        this.child = c;
        this.exited = new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve())));
      },
    });
    this.current = p.output;
    if (this.port !== undefined) {
      const proto = this.mesh.backend === 'udp' ? 'udp' : 'tcp';
      await waitFor(`${this.id}'s ${this.mesh.backend} listener on port ${this.port}`, () => (bound(proto, this.port!) ? true : undefined), 20_000, () => this.log());
    }
  }

  /** Ends the process with `signal` (SIGTERM: then SIGKILL after 5 s) and waits for its exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    const t = signal === 'SIGKILL' ? undefined : setTimeout(() => c.kill('SIGKILL'), 5_000);
    await this.exited;
    if (t) clearTimeout(t);
  }

  /** Stops the node (SIGKILL by default: a crash) and starts it again from the same config and port. */
  async restart({ signal = 'SIGKILL' as NodeJS.Signals } = {}): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  async status(): Promise<NodeStatus> {
    return JSON.parse(await rawCommand(this.sock, '{"command":"status"}', 10_000)) as NodeStatus;
  }
}

export class MixedMesh {
  readonly nodes: MixedNode[] = [];
  private pki: Promise<TestPki> | undefined;

  constructor(
    readonly root: string,
    readonly backend: Backend,
  ) {}

  /** One CA and a certificate per node ID (the node ID as its receptor otherName SAN), made on first use. */
  private certs(): Promise<TestPki> {
    this.pki ??= (async () => {
      const dir = join(this.root, 'pki');
      await mkdir(dir, { recursive: true });
      return makeTestPki(dir, { nodes: ['controller', 'hop', 'executor'].map((name) => ({ name })) });
    })();
    return this.pki;
  }

  private listenerItem(port: number, cost: number): unknown {
    const common = { bindaddr: '127.0.0.1', port, cost };
    switch (this.backend) {
      case 'tcp':
        return { 'tcp-listener': common };
      case 'tls':
        return { 'tcp-listener': { ...common, tls: 'mesh-srv' } };
      case 'ws':
        return { 'ws-listener': common };
      case 'udp':
        return { 'udp-listener': common };
    }
  }

  private peerItem(port: number, cost: number): unknown {
    switch (this.backend) {
      case 'tcp':
        return { 'tcp-peer': { address: `127.0.0.1:${port}`, cost } };
      case 'tls':
        return { 'tcp-peer': { address: `127.0.0.1:${port}`, tls: 'mesh-cli', cost } };
      case 'ws':
        return { 'ws-peer': { address: `ws://127.0.0.1:${port}/`, cost } };
      case 'udp':
        return { 'udp-peer': { address: `127.0.0.1:${port}`, cost } };
    }
  }

  /** Writes `<root>/<id>/receptor.yml` and starts `kind` on it; resolves once its socket and listener are up. */
  async start(kind: Kind, id: string, options: StartOptions = {}): Promise<MixedNode> {
    const dir = join(this.root, id);
    await mkdir(dir, { recursive: true });
    const port = options.listen ? (this.backend === 'udp' ? await freeUdpPort() : await freePort()) : undefined;
    const items: unknown[] = [
      { node: { id, datadir: join(dir, 'data') } },
      { 'log-level': 'info' },
      { 'control-service': { service: 'control', filename: join(dir, 'ctl.sock') } },
    ];
    if (this.backend === 'tls') {
      const pki = await this.certs();
      const own = pki.nodes[id];
      if (!own) throw new Error(`no test certificate for node ID '${id}' (the pki has controller, hop, executor)`);
      // Mutual TLS both ways: the listener asks for and checks the client's certificate.
      if (options.listen) items.push({ 'tls-server': { name: 'mesh-srv', cert: own.certPath, key: own.keyPath, requireclientcert: true, clientcas: pki.ca.certPath } });
      if (options.dial?.length) items.push({ 'tls-client': { name: 'mesh-cli', cert: own.certPath, key: own.keyPath, rootcas: pki.ca.certPath } });
    }
    if (options.listen && port !== undefined) items.push(this.listenerItem(port, options.listen.cost));
    for (const d of options.dial ?? []) {
      if (d.node.port === undefined) throw new Error(`${id} cannot dial ${d.node.id}: it has no listener`);
      items.push(this.peerItem(d.node.port, d.cost));
    }
    for (const w of options.workCommands ?? []) items.push({ 'work-command': { ...w } });
    items.push(...(options.extraItems ?? []));
    await writeFile(join(dir, 'receptor.yml'), stringify(items), { mode: 0o600 });
    const node = new MixedNode(this, kind, id, dir, port, items);
    this.nodes.push(node);
    await node.start();
    return node;
  }

  node(id: string): MixedNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node '${id}' in this mesh`);
    return n;
  }

  /** Every node's log, headed by its kind and ID (for failure messages). */
  logs(): string {
    return this.nodes.map((n) => `===== ${n.kind} ${n.id} =====\n${n.log()}`).join('\n');
  }

  /** Stops every node, kills the work processes they left (their command lines name the mesh's directory), removes it. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    for (const pid of processesUnder(this.root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A shell script that prints `line 1` … `line <count>`, one every `intervalS` seconds (a long-running work unit). */
export async function writeTicker(path: string, count: number, intervalS: number): Promise<string> {
  await writeFile(path, `#!/bin/sh\ni=1\nwhile [ $i -le ${count} ]; do\n  echo "line $i"\n  i=$((i+1))\n  sleep ${intervalS}\ndone\n`, { mode: 0o755 });
  return path;
}

export function tickerLines(count: number): string {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}\n`).join('');
}

/** A child process whose output can be watched while it runs. */
export interface LiveProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves at exit (SIGKILLed after `timeoutMs`). */
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>;
}

export function spawnLive(file: string, args: string[], timeoutMs: number): LiveProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.RECEPTORCTL_SOCKET;
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>((resolve) =>
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, timedOut });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, done };
}

/** `status` Connections sorted by node (receptor lists them in map order). */
export function connections(st: NodeStatus): { NodeID: string; Cost: number }[] {
  return [...(st.Connections ?? [])].sort((a, b) => a.NodeID.localeCompare(b.NodeID));
}

/** Adverts without their Time (set by each node's clock), work commands sorted, in a stable order. */
export function adverts(st: NodeStatus): Omit<Advert, 'Time'>[] {
  return (st.Advertisements ?? [])
    .map(({ NodeID, Service, ConnType, Tags, WorkCommands }) => ({
      NodeID,
      Service,
      ConnType,
      Tags,
      WorkCommands: WorkCommands ? [...WorkCommands].sort((a, b) => a.WorkType.localeCompare(b.WorkType)) : WorkCommands ?? null,
    }))
    .sort((a, b) => `${a.NodeID}/${a.Service}`.localeCompare(`${b.NodeID}/${b.Service}`));
}
