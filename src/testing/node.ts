// startNode for tests: an embedded node (src/node) in this process, on a temp directory of its own, with a
// handle that knows its socket and real ports and can stop, restart, kill, wait for routes and inject faults.
// See docs/testing.md.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ControlClient } from '../client/control-client.js';
import type { ControlClientOptions } from '../client/options.js';
import { loadConfigFile } from '../config/parse.js';
import type { NodeFaults } from '../node/control/context.js';
import { StreamLogger } from '../node/logger.js';
import type { MeshTimers } from '../node/mesh/index.js';
import { startNode as startEmbeddedNode, type ListenerAddress, type MeshListenerAddress, type NodeHandle, type StartNodeOptions } from '../node/node.js';
import type { RemoteWorkTiming } from '../node/work/remote.js';
import { buildEntries, pinPorts, toYaml, type ConfigOptions, type ReceptorConfig } from './config.js';
import { waitUntil } from './wait.js';

/** Mesh timers that keep tests fast: redial after 100 ms (at most 400 ms), a dead link noticed in 2 s. */
export const FAST_MESH_TIMERS: Partial<MeshTimers> = {
  routeUpdateIntervalMs: 1000,
  routeFloodDelayMs: 10,
  routeRecalcDelayMs: 10,
  serviceAdIntervalMs: 3000,
  serviceAdDelayMs: 10,
  heartbeatMs: 200,
  idleTimeoutMs: 2000,
  handshakeTimeoutMs: 3000,
  initialUpdateMs: 200,
  streamKeepaliveMs: 1000,
  streamIdleTimeoutMs: 4000,
  redialDelayMs: 100,
  redialMaxDelayMs: 400,
  dialTimeoutMs: 3000,
  pingTimeoutMs: 3000,
  openTimeoutMs: 3000,
};

/** Remote-work timing for tests: retries from 100 ms up to 1 s, status polled every 100 ms, greeting within 2 s. */
export const FAST_REMOTE_WORK: Partial<RemoteWorkTiming> = { retryInitialMs: 100, retryMaxMs: 1000, statusPollMs: 100, helloTimeoutMs: 2000 };

export interface NodeOptions extends ConfigOptions {
  /**
   * Where the node's log lines go: a stream, or a function called per line. Default: nowhere.
   * The level is the config's `log-level` (or `logLevel`).
   */
  log?: Writable | ((line: string) => void);
  /** Parent of the node's temp directory. Default: os.tmpdir(). */
  tmpDir?: string;
  /**
   * `fast` (default): FAST_MESH_TIMERS and FAST_REMOTE_WORK, so links redial and remote work retries within
   * a fraction of a second. `receptor`: Receptor's own timers (redial after 1 s growing, routes every 10 s...).
   */
  timers?: 'fast' | 'receptor';
  /** More options of the embedded node (src/node startNode): shutdownGraceMs, meshTimers, controlLimits... */
  startOptions?: StartNodeOptions;
}

/** What startNode takes: Receptor YAML text, its list of entries, or options (which may hold `config`). */
export type NodeConfigInput = string | ReceptorConfig | NodeOptions;

export type NodeState = 'running' | 'stopped' | 'killed';

export interface CutResultsOptions {
  /** Only streams of this unit (default: any unit's). */
  unitId?: string;
  /** Cut every matching stream until `cancel()` (default: only the next one). */
  every?: boolean;
}

export interface ResultsCut {
  /** Resolves with the unit ID when a stream was cut (the first one, with `every`); with '' if the node stops first. */
  readonly hit: Promise<string>;
  /** How many streams were cut so far. */
  readonly count: number;
  /** Stops cutting. */
  cancel(): void;
}

export interface WaitOptions {
  /** Default 15000. */
  timeoutMs?: number;
}

export interface TestNode extends AsyncDisposable {
  readonly nodeId: string;
  /** The node's own temp directory (config, data, socket); removed by stop(). */
  readonly dir: string;
  readonly configPath: string;
  /** The control service's Unix socket. */
  readonly socketPath: string;
  /** `tcp://127.0.0.1:PORT` of the control service, when `tcp` was asked or the config has a `tcplisten`. */
  readonly tcpAddress: string | undefined;
  readonly tcpPort: number | undefined;
  /** Every control-service listener (Unix, TCP, TLS), real ports. */
  readonly addresses: readonly ListenerAddress[];
  /** Mesh listeners (`tcp-listener`, `ws-listener`), real ports. */
  readonly meshListeners: readonly MeshListenerAddress[];
  /** `127.0.0.1:PORT` of the first `tcp-listener`: what another node's `tcp-peer` dials. */
  readonly peerAddress: string | undefined;
  /** `<datadir>/<nodeid>`, where the units live. */
  readonly unitsDir: string;
  readonly state: NodeState;
  /** The embedded node (src/node NodeHandle: mesh status, work units...). Throws unless running. */
  readonly node: NodeHandle;
  /** A ControlClient on the node's socket; closed by stop(). */
  client(options?: Omit<ControlClientOptions, 'address'>): ControlClient;
  /** Stops the node for good: running units' programs are stopped, clients closed, the directory removed. */
  stop(): Promise<void>;
  /**
   * Stops the node as `meshctl node` stops on SIGTERM (running programs go on) and starts it again on the
   * same directory and ports; it takes its units back. After kill(), just starts it.
   */
  restart(): Promise<void>;
  /**
   * Takes the node down abruptly, as far as a node in this process can be: see docs/testing.md, "kill()".
   * Its files and running programs stay; restart() brings it back, stop() cleans up.
   */
  kill(): Promise<void>;
  /** Waits until this node has a route to each of `nodeIds` (from its routing table). */
  waitForRoutes(nodeIds: readonly string[], options?: WaitOptions): Promise<void>;
  /** Cuts the next `work results` stream (or each, see options) after `bytes` bytes of results. */
  cutResults(bytes: number, options?: CutResultsOptions): ResultsCut;
}

/**
 * Removes a node's directory. A program that a kill() left running belongs to the unit runner of the killed node:
 * when the node started by stop() ends it, that runner writes the unit's status file as the program exits, which
 * can land while the tree is being removed (ENOTEMPTY; seen in 1 of 8 runs): rm retries then (maxRetries covers
 * ENOTEMPTY, EBUSY and EPERM), and the runner's later writes fail quietly on the missing directory.
 */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

function isOptions(input: NodeConfigInput | undefined): input is NodeOptions {
  return input !== undefined && typeof input === 'object' && !Array.isArray(input);
}

function lineLogger(log: NodeOptions['log']): Writable | undefined {
  if (log === undefined || log instanceof Writable) return log;
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) log(line);
      cb();
    },
  });
}

interface ActiveCut {
  bytes: number;
  unitId: string | undefined;
  every: boolean;
  count: number;
  hit: (unitId: string) => void;
}

/** Extra entries and settings a mesh gives its nodes. */
export interface NodeInternals {
  extraEntries?: ReceptorConfig;
  /** Use this directory (created by the caller, removed by it). */
  dir?: string;
}

class TestNodeImpl implements TestNode {
  private handle: NodeHandle | undefined;
  private current: NodeState = 'stopped';
  private readonly clients = new Set<ControlClient>();
  private readonly cuts = new Set<ActiveCut>();
  private readonly faults: NodeFaults = {
    cutResults: (unitId) => {
      for (const c of this.cuts) {
        if (c.unitId !== undefined && c.unitId !== unitId) continue;
        c.count++;
        if (!c.every) this.cuts.delete(c);
        c.hit(unitId);
        return c.bytes;
      }
      return undefined;
    },
  };
  private readonly logStream: Writable | undefined;
  /** stop() ran: the directory is gone. */
  private gone = false;

  constructor(
    readonly nodeId: string,
    readonly dir: string,
    private readonly ownsDir: boolean,
    readonly socketPath: string,
    private readonly entries: ReceptorConfig,
    private readonly options: NodeOptions,
  ) {
    this.logStream = lineLogger(options.log);
  }

  get configPath(): string {
    return path.join(this.dir, 'receptor.yaml');
  }

  get state(): NodeState {
    return this.current;
  }

  get node(): NodeHandle {
    if (!this.handle) throw new Error(`test node ${this.nodeId} is ${this.current}`);
    return this.handle;
  }

  get addresses(): readonly ListenerAddress[] {
    return this.handle?.addresses ?? [];
  }

  get meshListeners(): readonly MeshListenerAddress[] {
    return this.handle?.meshListeners ?? [];
  }

  get tcpAddress(): string | undefined {
    return this.addresses.find((a) => a.kind === 'tcp')?.address;
  }

  get tcpPort(): number | undefined {
    return this.addresses.find((a) => a.kind === 'tcp')?.port;
  }

  get peerAddress(): string | undefined {
    const l = this.meshListeners.find((m) => m.section === 'tcp-listener');
    return l ? `127.0.0.1:${l.port}` : undefined;
  }

  get unitsDir(): string {
    if (this.handle) return this.handle.unitsDir;
    const node = this.entries.find((e) => typeof e === 'object' && Object.keys(e)[0]?.toLowerCase() === 'node') as { [k: string]: { datadir: string } };
    return path.join(Object.values(node)[0]!.datadir, this.nodeId);
  }

  async start(): Promise<void> {
    await writeFile(this.configPath, toYaml(this.entries));
    const config = await loadConfigFile(this.configPath);
    const fast = (this.options.timers ?? 'fast') === 'fast';
    const extra = this.options.startOptions ?? {};
    this.handle = await startEmbeddedNode(config, {
      ...(this.logStream ? { logger: new StreamLogger(this.logStream, config.logLevel) } : {}),
      ...extra,
      meshTimers: { ...(fast ? FAST_MESH_TIMERS : {}), ...extra.meshTimers },
      remoteWork: { ...(fast ? FAST_REMOTE_WORK : {}), ...extra.remoteWork },
      faults: this.faults,
    });
    this.current = 'running';
    // Port 0 becomes the port the node got: a restart listens there again (clients and peers keep working).
    pinPorts(
      this.entries,
      this.handle.meshListeners.map((l) => l.port),
      this.handle.addresses.filter((a) => a.kind !== 'unix').map((a) => a.port!),
    );
  }

  client(options: Omit<ControlClientOptions, 'address'> = {}): ControlClient {
    const c = new ControlClient({ ...options, address: this.socketPath });
    this.clients.add(c);
    return c;
  }

  private async closeClients(): Promise<void> {
    await Promise.all([...this.clients].map((c) => c.close().catch(() => undefined)));
    this.clients.clear();
  }

  async stop(): Promise<void> {
    if (this.gone) return;
    this.gone = true;
    if (this.current === 'killed') {
      // Programs a kill left running belong to no node now: a node on the same directory takes them back
      // and stops them (what the CLI's next start followed by a stop would do).
      try {
        await this.start();
      } catch {
        this.current = 'killed';
      }
    }
    await this.closeClients();
    const h = this.handle;
    this.handle = undefined;
    this.current = 'stopped';
    for (const c of this.cuts) c.hit('');
    this.cuts.clear();
    try {
      await h?.close();
    } finally {
      if (this.ownsDir) await removeDir(this.dir);
    }
  }

  async restart(): Promise<void> {
    if (this.gone) throw new Error(`test node ${this.nodeId} was stopped for good; start a new one`);
    const h = this.handle;
    this.handle = undefined;
    // Down with its programs left running: if the start below fails, stop() still takes them back and ends them.
    this.current = 'killed';
    await h?.close({ keepWork: true });
    await this.start();
  }

  async kill(): Promise<void> {
    const h = this.handle;
    if (!h) return;
    this.handle = undefined;
    this.current = 'killed';
    // In-process there is no SIGKILL: every connection and listener is dropped at once (close destroys
    // sessions and links without a goodbye, as Receptor sends none) and running programs are left to their
    // unit runner, as receptor's command runners outlive a killed receptor.
    await h.close({ keepWork: true });
  }

  async waitForRoutes(nodeIds: readonly string[], options: WaitOptions = {}): Promise<void> {
    await waitUntil(
      () => {
        const table = this.node.mesh.status().RoutingTable;
        return nodeIds.every((id) => id === this.nodeId || table[id] !== undefined);
      },
      `routes from ${this.nodeId} to ${nodeIds.join(', ')}`,
      options.timeoutMs ?? 15_000,
    );
  }

  cutResults(bytes: number, options: CutResultsOptions = {}): ResultsCut {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`cutResults: bytes must be a whole number >= 0, got ${bytes}`);
    let hit!: (unitId: string) => void;
    const promise = new Promise<string>((resolve) => (hit = resolve));
    const cut: ActiveCut = { bytes, unitId: options.unitId, every: options.every ?? false, count: 0, hit };
    this.cuts.add(cut);
    return {
      hit: promise,
      get count() {
        return cut.count;
      },
      cancel: () => {
        this.cuts.delete(cut);
      },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Starts an embedded node in this process.
 *
 *   const n = await startNode({ workCommands: [{ worktype: 'cat', command: 'cat' }], tcp: true });
 *   n.socketPath; n.tcpAddress; n.nodeId; n.dir
 *   await n.stop();
 *
 * `input` is Receptor YAML text, its list of entries, or options (which may carry the YAML as `config`).
 * The node runs in a new temp directory; a missing `node` id/datadir and control socket are added there.
 */
export function startNode(input?: NodeConfigInput): Promise<TestNode> {
  return startTestNode(input, {});
}

/** startNode with what a mesh adds (its links' entries, a directory it owns). Not exported by meshctl/testing. */
export async function startTestNode(input: NodeConfigInput | undefined, internals: NodeInternals): Promise<TestNode> {
  const options: NodeOptions = isOptions(input) ? input : input === undefined ? {} : { config: input };
  const ownsDir = internals.dir === undefined;
  const dir = internals.dir ?? (await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'meshctl-test-')));
  try {
    const built = buildEntries(options, dir, internals.extraEntries);
    const n = new TestNodeImpl(built.nodeId, dir, ownsDir, built.socketPath, built.entries, options);
    await n.start();
    return n;
  } catch (err) {
    if (ownsDir) await removeDir(dir);
    throw err;
  }
}
