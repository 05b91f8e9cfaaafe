// The embedded node: startNode(config) runs a Receptor v1 configuration — a mesh node (links over TCP,
// TLS and WebSocket, routes, service advertisements, ping/traceroute, streams; src/node/mesh), control
// services on Unix sockets, TCP and the mesh, work-command units, remote units for work on other nodes,
// and the tcp-server / tcp-client port forwarders. See docs/node.md and docs/mesh.md.
import { access, readFile, unlink } from 'node:fs/promises';
import type net from 'node:net';
import type { Duplex, Writable } from 'node:stream';
import { loadConfigFile, workTypesInOrder } from '../config/parse.js';
import { RELOADABLE_PREFIXES } from '../config/schema.js';
import type { EntrySource, MeshConfig, NodeConfig } from '../config/types.js';
import { MeshctlError } from '../errors.js';
import { parseGoDurationMs } from '../protocol/duration.js';
import { standardCommands } from './control/commands/index.js';
import type { NodeFaults, NodeServices, ReloadOutcome, SessionKind } from './control/context.js';
import { ByteBudget, DEFAULT_CONTROL_LIMITS, type ControlLimits } from './control/limits.js';
import { closeListener, listenTcp, listenUnix } from './control/listeners.js';
import { ControlSession } from './control/session.js';
import { prepareTlsServer, type PreparedTlsServer } from './control/tls.js';
import { mainLogger, SilentLogger, StreamLogger, type NodeLogger } from './logger.js';
import { parseFirewallRules, type ParsedFirewall } from './mesh/firewall.js';
import {
  DEFAULT_TIMERS,
  goMeshStatus,
  Mesh,
  secureClientStream,
  secureServerStream,
  startBackends,
  type ListenerHandle,
  type MeshLimits,
  type MeshTimers,
  type MeshTlsResolver,
  type PeerHandle,
} from './mesh/index.js';
import { startTcpClient, startTcpServer, type ProxyHandle, type ProxyTls } from './proxy/tcp-proxy.js';
import { startUnixSocketClient, startUnixSocketServer } from './proxy/unix-proxy.js';
import { prepareTlsClient, type PreparedTlsClient } from './tls-client.js';
import { RECEPTOR_COMPAT_VERSION } from './version.js';
import { CommandError } from './work/command-error.js';
import { prepareDataDir } from './work/datadir.js';
import { DEFAULT_REMOTE_TIMING, RemoteTlsError, type RemoteWorkEnv, type RemoteWorkTiming } from './work/remote.js';
import { loadRsaPrivateKey, signWorkToken } from './work/signing.js';
import type { KubeEnv } from './work/kube-unit.js';
import { Workceptor } from './work/workceptor.js';

export interface CloseOptions {
  /** Leave running units' programs running for the next node on this data directory. Default false. */
  keepWork?: boolean;
}

export interface StartNodeOptions {
  /** A logger, or a stream to write Receptor-style log lines to at the config's log level. Default: silent. */
  logger?: NodeLogger | Writable;
  /** Version reported by `status`. Default: the Receptor release the node imitates. */
  version?: string;
  /** SIGINT → SIGKILL delay when a unit is cancelled (Receptor: 10 s). */
  cancelGraceMs?: number;
  /** SIGTERM → SIGKILL delay for running units when the node closes. Default 2 s. */
  shutdownGraceMs?: number;
  /** Mesh timers (tests shrink them); `node: maxidleconnectiontimeout` still sets idleTimeoutMs. */
  meshTimers?: Partial<MeshTimers>;
  meshLimits?: Partial<MeshLimits>;
  /** Retry and poll timing of remote units (Receptor: retries 1 s growing ×1.5 to 60 s, status every 1 s). */
  remoteWork?: Partial<RemoteWorkTiming>;
  /** Bounds on control requests (docs/node.md, "Limits"); default 32 MiB per request, 256 MiB per node. */
  controlLimits?: Partial<ControlLimits>;
  /**
   * Log `Node <id> listening on <address>` for each control listener (port 0 resolved) before
   * `Initialization complete`, which receptor logs last (cmd/receptor-cl/receptor.go: after every
   * section ran): a harness can wait for that one line and then know every address.
   */
  logAddresses?: boolean;
  /** Where `work-kubernetes` units look for a cluster (kube-unit.ts); default: this process's environment. */
  kubeEnv?: KubeEnv;
  /** Fault injection for tests (meshctl/testing): e.g. cut `work results` streams after N bytes. */
  faults?: NodeFaults;
}

export interface ListenerAddress {
  kind: 'unix' | 'tcp' | 'tls';
  /** For clients: the socket path, or `tcp://HOST:PORT` / `tls://HOST:PORT`. */
  address: string;
  /** The control-service entry's mesh service name. */
  service: string;
  path?: string;
  host?: string;
  port?: number;
}

/** A mesh listener (`tcp-listener`, `ws-listener`, `udp-listener`) as started, port 0 resolved. */
export interface MeshListenerAddress {
  section: 'tcp-listener' | 'ws-listener' | 'udp-listener';
  kind: 'tcp' | 'tls' | 'ws' | 'wss' | 'udp';
  /** What a `tcp-peer` / `ws-peer` / `udp-peer` dials: `127.0.0.1:PORT` or `ws://127.0.0.1:PORT/path`. */
  url: string;
  host: string;
  port: number;
}

export interface NodeHandle {
  readonly nodeId: string;
  readonly config: NodeConfig;
  /** Every control-service listener, in config order. */
  readonly addresses: readonly ListenerAddress[];
  /** The mesh listeners running now (changes with `reload`). */
  readonly meshListeners: readonly MeshListenerAddress[];
  /** `tcp-server` entries: the local ports they listen on, in config order. */
  readonly tcpServers: readonly net.AddressInfo[];
  /** `<datadir>/<nodeid>`: where the work units live. */
  readonly unitsDir: string;
  readonly work: Workceptor;
  readonly mesh: Mesh;
  /**
   * Stops listening, removes socket files and ends sessions. Running `work-command` units are stopped
   * (they become Failed/"Killed") unless `keepWork`: then their programs go on under the unit runner and
   * the next node started on the same data directory takes them back (what `meshctl node` does on
   * SIGTERM/SIGINT, as Receptor's command runners outlive their node).
   */
  close(opts?: CloseOptions): Promise<void>;
  /** Resolves once close() has finished (also when the node stopped itself: a duplicate node ID). */
  readonly closed: Promise<void>;
}

function entryLabel(config: NodeConfig, source: EntrySource): string {
  if (source.label !== undefined) return source.label; // set by src/config (also `argv: --node` for command-line entries)
  return `${config.file ?? '<config>'}${source.line !== undefined ? `:${source.line}` : ''}: entry #${source.index} (${source.section})`;
}

/** NodeCfg.Init's ParseFirewallRules: receptor's texts (`error in rule 0: unknown action: foo`) after the entry. */
function refuseUnsupported(config: NodeConfig): ParsedFirewall {
  try {
    return parseFirewallRules(config.node.firewallrules ?? []);
  } catch (err) {
    const nodeEntry = config.entries.find((e) => e.section === 'node');
    throw new MeshctlError('EBADCONFIG', `${nodeEntry ? entryLabel(config, nodeEntry) : (config.file ?? '<config>')}: ${(err as Error).message}`, {
      hint: 'a rule is a map of action (accept, reject or drop) and optional fromnode, tonode, fromservice, toservice strings',
    });
  }
}

async function mustExist(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    // pkg/workceptor/command.go filenameExists
    throw new MeshctlError('EBADCONFIG', `${file} does not exist`, { hint: 'check the key file path' });
  }
}

function toLogger(opt: StartNodeOptions['logger'], config: NodeConfig): NodeLogger {
  if (!opt) return new SilentLogger();
  if (typeof (opt as NodeLogger).debug === 'function' && typeof (opt as NodeLogger).enabled === 'function') {
    return opt as NodeLogger;
  }
  return new StreamLogger(opt as Writable, config.logLevel);
}

/** Canonical texts of the entries `reload` cannot apply (pkg/controlsvc/reload.go isReloadable). */
function fixedEntries(config: NodeConfig): EntrySource[] {
  return config.entries.filter((e) => !RELOADABLE_PREFIXES.some((p) => e.section.startsWith(p)));
}

const EMPTY_MESH: MeshConfig = { tcpListeners: [], tcpPeers: [], wsListeners: [], wsPeers: [], tcpServers: [], tcpClients: [] };

/** One backend entry of the config, keyed by its canonical text (what `reload` compares). */
interface BackendEntry {
  key: string;
  source: EntrySource;
  /** A MeshConfig holding just this entry, for startBackends. */
  only: MeshConfig;
}

function backendEntries(mesh: MeshConfig): BackendEntry[] {
  const out: BackendEntry[] = [];
  for (const l of mesh.tcpListeners) out.push({ key: l.source.canonical, source: l.source, only: { ...EMPTY_MESH, tcpListeners: [l] } });
  for (const l of mesh.wsListeners) out.push({ key: l.source.canonical, source: l.source, only: { ...EMPTY_MESH, wsListeners: [l] } });
  for (const p of mesh.tcpPeers) out.push({ key: p.source.canonical, source: p.source, only: { ...EMPTY_MESH, tcpPeers: [p] } });
  for (const p of mesh.wsPeers) out.push({ key: p.source.canonical, source: p.source, only: { ...EMPTY_MESH, wsPeers: [p] } });
  for (const l of mesh.udpListeners ?? []) out.push({ key: l.source.canonical, source: l.source, only: { ...EMPTY_MESH, udpListeners: [l] } });
  for (const p of mesh.udpPeers ?? []) out.push({ key: p.source.canonical, source: p.source, only: { ...EMPTY_MESH, udpPeers: [p] } });
  return out.sort((a, b) => a.source.index - b.source.index);
}

interface RunningBackend {
  key: string;
  section: string;
  listeners: ListenerHandle[];
  peers: PeerHandle[];
}

function listenerAddress(section: string, l: ListenerHandle): MeshListenerAddress {
  return { section: section === 'ws-listener' || section === 'udp-listener' ? section : 'tcp-listener', kind: l.kind, url: l.url, host: l.address.address, port: l.address.port };
}

export async function startNode(config: NodeConfig, options: StartNodeOptions = {}): Promise<NodeHandle> {
  const firewall = refuseUnsupported(config);
  const logger = toLogger(options.logger, config);
  const nodeId = config.node.id;
  if (config.workSigning && config.workSigning.privatekey !== '') await mustExist(config.workSigning.privatekey);
  if (config.workVerification) await mustExist(config.workVerification.publickey);

  const tlsServers = new Map<string, PreparedTlsServer>();
  for (const t of config.tlsServers) tlsServers.set(t.name, await prepareTlsServer(t, nodeId));
  const tlsClients = new Map<string, PreparedTlsClient>();
  for (const t of config.tlsClients) tlsClients.set(t.name, await prepareTlsClient(t, nodeId));
  // Before anything listens: an unusable datadir is a configuration error now, not a hang or a failed submit later.
  const nodeEntry = config.entries.find((e) => e.section === 'node');
  await prepareDataDir(config.node.datadir, nodeId, { label: nodeEntry ? entryLabel(config, nodeEntry) : (config.file ?? '<config>') });

  const timers: Partial<MeshTimers> = { ...options.meshTimers };
  if (config.node.maxidleconnectiontimeout) {
    timers.idleTimeoutMs = parseGoDurationMs(config.node.maxidleconnectiontimeout);
    // Heartbeats must come well within the idle limit, or quiet links would be dropped.
    timers.heartbeatMs = Math.min(timers.heartbeatMs ?? DEFAULT_TIMERS.heartbeatMs, timers.idleTimeoutMs / 3);
  }
  let work: Workceptor | undefined;
  const mesh = new Mesh({
    nodeId,
    logger,
    timers,
    ...(options.meshLimits ? { limits: options.meshLimits } : {}),
    workCommands: () => work?.workCommands() ?? [],
    firewall: firewall.rules,
  });
  for (const w of firewall.warnings) logger.warning(w);
  // Every remote unit waiting to reach its node listens for route changes.
  mesh.setMaxListeners(0);

  // How remote units reach other nodes' control services (remoteUnit.ConnectToRemote).
  const remote: RemoteWorkEnv = {
    async dialControl(node, tlsName, signal) {
      const stream = await mesh.dialService(node, 'control', { signal, tls: tlsName !== '' });
      if (tlsName === '') return stream;
      const c = tlsClients.get(tlsName);
      if (!c) {
        stream.destroy();
        throw new Error(`unknown TLS config ${tlsName}`);
      }
      const { tls, expectedNodeId } = c.forNode(node);
      try {
        return await secureClientStream(stream, tls, expectedNodeId);
      } catch (err) {
        throw new RemoteTlsError((err as Error).message);
      }
    },
    routesChanged(signal) {
      return new Promise((resolve) => {
        if (signal.aborted) return resolve();
        const done = (): void => {
          mesh.off('routes', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        mesh.on('routes', done);
        signal.addEventListener('abort', done, { once: true });
      });
    },
    async createSignature(node) {
      // Workceptor.createSignature.
      const ws = config.workSigning;
      if (!ws || ws.privatekey === '') throw new Error('cannot sign work: signing key is empty');
      let key;
      try {
        key = loadRsaPrivateKey(await readFile(ws.privatekey));
      } catch (err) {
        throw new Error(`could not load signing key file: ${(err as Error).message}`);
      }
      const expiresInMs = ws.tokenexpiration !== '' ? parseGoDurationMs(ws.tokenexpiration) : 5 * 60_000;
      return signWorkToken(key, node, { expiresInMs });
    },
    timing: { ...DEFAULT_REMOTE_TIMING, ...options.remoteWork },
  };

  work = new Workceptor({
    nodeId,
    dataDir: config.node.datadir,
    workCommands: config.workCommands,
    ...(config.workKubernetes ? { kubeWorkers: config.workKubernetes, workTypesInOrder: workTypesInOrder(config) } : {}),
    ...(options.kubeEnv ? { kubeEnv: options.kubeEnv } : {}),
    logger,
    remote,
    hasTlsClient: (name) => tlsClients.has(name),
    ...(config.workVerification ? { verifyingKeyFile: config.workVerification.publickey } : {}),
    ...(options.cancelGraceMs === undefined ? {} : { cancelGraceMs: options.cancelGraceMs }),
  });
  const workceptor = work;

  const commands = standardCommands();
  const servers: net.Server[] = [];
  const socketFiles: string[] = [];
  const openStreams = new Set<Duplex>();
  const addresses: ListenerAddress[] = [];
  const backends: RunningBackend[] = [];
  const proxies: ProxyHandle[] = [];
  const tcpServers: net.AddressInfo[] = [];
  let closing = false;
  const baseline = fixedEntries(config).map((e) => e.canonical);

  const tlsResolver: MeshTlsResolver = {
    server: (name) => tlsServers.get(name),
    client: (name, host) => tlsClients.get(name)?.forHost(host),
  };
  const proxyTls: ProxyTls = { server: (name) => tlsServers.get(name), client: (name) => tlsClients.get(name) };

  const nodeServices: NodeServices = {
    nodeId,
    version: options.version ?? RECEPTOR_COMPAT_VERSION,
    logger,
    work: workceptor,
    meshStatus: () => goMeshStatus(mesh.status()),
    ping: (target, signal) => mesh.ping(target, signal),
    traceroute: (target, signal) => mesh.traceroute(target, signal),
    async dial(node, service, tlsName, signal) {
      // Receptor: GetClientTLSConfig(name, node, ExpectedHostnameTypeReceptor), then Dial.
      const c = tlsName !== '' ? tlsClients.get(tlsName) : undefined;
      if (tlsName !== '' && !c) throw new CommandError(`unknown TLS config ${tlsName}`);
      let stream: Duplex;
      try {
        stream = await mesh.dialService(node, service, { signal, tls: c !== undefined });
      } catch (err) {
        throw new CommandError((err as Error).message);
      }
      if (!c) return stream;
      const { tls, expectedNodeId } = c.forNode(node.toLowerCase() === 'localhost' ? nodeId : node);
      try {
        return await secureClientStream(stream, tls, expectedNodeId);
      } catch (err) {
        throw new CommandError((err as Error).message);
      }
    },
    reload: () => reload(),
    ...(options.faults ? { faults: options.faults } : {}),
  };

  // One budget for the requests of every control connection of this node (Unix, TCP, TLS, mesh).
  const controlLimits = { ...DEFAULT_CONTROL_LIMITS, ...options.controlLimits };
  const sessionLimits = { maxRequestBytes: controlLimits.maxRequestBytes, budget: new ByteBudget(controlLimits.maxBufferedBytes) };
  const serve = (stream: Duplex, kind: SessionKind, peer: string): void => {
    if (closing) {
      stream.destroy();
      return;
    }
    openStreams.add(stream);
    stream.once('close', () => openStreams.delete(stream));
    void new ControlSession(stream, kind, nodeServices, commands, peer, sessionLimits).run();
  };

  const startBackend = async (b: BackendEntry): Promise<void> => {
    let started;
    try {
      started = await startBackends(mesh, b.only, tlsResolver);
    } catch (err) {
      if (err instanceof MeshctlError) {
        throw new MeshctlError(err.code, `${entryLabel(config, b.source)}: ${err.message.replace(/^[a-z-]+: /, '')}`, {
          cause: err.cause,
          ...(err.hint ? { hint: err.hint } : {}),
        });
      }
      throw err;
    }
    backends.push({ key: b.key, section: b.source.section, ...started });
    for (const l of started.listeners) logger.info(`Listening for mesh connections on ${l.url} (${b.source.section})`);
  };

  const stopBackend = async (r: RunningBackend): Promise<void> => {
    backends.splice(backends.indexOf(r), 1);
    await Promise.all([...r.listeners.map((l) => l.close()), ...r.peers.map((p) => p.close())]);
  };

  // Reloads run one at a time. Receptor 1.6.5 runs them side by side: the second one fails with
  // "bind: address already in use" for a listener the first one just restarted, and repeated overlapping
  // reloads panic the node (docs/receptor-observed.md). Queued, each reload sees the previous one's result.
  let reloading: Promise<unknown> = Promise.resolve();
  function reload(): Promise<ReloadOutcome> {
    const next = reloading.then(reloadNow, reloadNow);
    reloading = next;
    return next;
  }

  async function reloadNow(): Promise<ReloadOutcome> {
    if (!config.file) return { ok: false, error: 'no configuration file was provided, reload function not set ERRORCODE 4' };
    let next: NodeConfig;
    try {
      next = await loadConfigFile(config.file);
      refuseUnsupported(next);
    } catch (err) {
      return { ok: false, error: `${(err as Error).message} ERRORCODE 4` };
    }
    const remaining = [...baseline];
    for (const e of fixedEntries(next)) {
      const i = remaining.indexOf(e.canonical);
      if (i === -1) {
        return {
          ok: false,
          error: `a non-reloadable config action '${e.section}' was modified or added. Must restart receptor for these changes to take effect ERRORCODE 3`,
        };
      }
      remaining.splice(i, 1);
    }
    if (remaining.length > 0) {
      const section = config.entries.find((e) => e.canonical === remaining[0])?.section ?? '?';
      return {
        ok: false,
        error: `a non-reloadable config action '${section}' was removed. Must restart receptor for changes to take effect ERRORCODE 3`,
      };
    }
    // Receptor stops every backend and starts the file's backends again (CancelBackends, then ParseAndRun);
    // here only the entries that changed are stopped or started, so unchanged links stay up.
    const wanted = backendEntries(next.mesh);
    const keep = new Set<RunningBackend>();
    const toStart: BackendEntry[] = [];
    for (const w of wanted) {
      const running = backends.find((r) => r.key === w.key && !keep.has(r));
      if (running) keep.add(running);
      else toStart.push(w);
    }
    try {
      for (const r of backends.filter((x) => !keep.has(x))) await stopBackend(r);
      for (const w of toStart) await startBackend(w);
    } catch (err) {
      return { ok: false, error: `${(err as Error).message} ERRORCODE 4` };
    }
    logger.info('Reload successful');
    return { ok: true };
  }

  const cleanup = async (): Promise<void> => {
    await Promise.all(servers.map((s) => closeListener(s)));
    await Promise.all(socketFiles.map((f) => unlink(f).catch(() => undefined)));
    await Promise.all(proxies.map((p) => p.close()));
  };

  try {
    await workceptor.init();
    for (const cs of config.controlServices) {
      if (cs.service !== '') {
        const t = cs.tls !== '' ? tlsServers.get(cs.tls) : undefined;
        try {
          // Receptor: ListenAndAdvertise(service, tls, {type: "Control Service"}); ConnType 2 with TLS.
          mesh.listenService(
            cs.service,
            (stream, from) => {
              const peer = `${from.node}:${from.service}`;
              if (!t) return serve(stream, 'mesh', peer);
              secureServerStream(stream, t).then(
                (socket) => serve(socket, 'mesh', peer),
                (err: Error) => logger.error(`TLS handshake error on control service ${cs.service} from ${peer}: ${err.message}`),
              );
            },
            { tags: { type: 'Control Service' }, connType: t ? 2 : 1 },
          );
        } catch (err) {
          throw new MeshctlError('EBADCONFIG', `${entryLabel(config, cs.source)}: ${(err as Error).message}`, {
            hint: 'give each control-service its own service name',
          });
        }
      }
      if (cs.filename !== '') {
        const server = await listenUnix(cs.filename, cs.permissions, (socket) => serve(socket, 'unix', '@'));
        server.on('error', (err) => logger.error(`Error accepting connection: ${err.message}`));
        servers.push(server);
        socketFiles.push(cs.filename);
        addresses.push({ kind: 'unix', address: cs.filename, path: cs.filename, service: cs.service });
      }
      if (cs.tcplisten !== '') {
        if (cs.tls !== '' && cs.tcptls === '') {
          logger.warning(`Control service ${cs.service} has TLS configured on the Receptor listener but not the TCP listener.`);
        }
        const t = cs.tcptls !== '' ? tlsServers.get(cs.tcptls) : undefined;
        const server = await listenTcp(cs.tcplisten, t, logger, (socket, peer) => serve(socket, 'tcp', peer));
        server.on('error', (err) => logger.error(`Error accepting connection: ${err.message}`));
        servers.push(server);
        const a = server.address() as net.AddressInfo;
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        const kind = t ? 'tls' : 'tcp';
        addresses.push({ kind, address: `${kind}://${host}:${a.port}`, host: a.address, port: a.port, service: cs.service });
      }
      if (cs.filename === '' && cs.tcplisten === '' && cs.service === '') {
        throw new MeshctlError('EBADCONFIG', `${entryLabel(config, cs.source)}: no listeners specified`, {
          hint: 'set filename and/or tcplisten',
        });
      }
      logger.info(`Running control service ${cs.service}`);
    }
    const entries = backendEntries(config.mesh);
    const proxyCount =
      config.mesh.tcpServers.length + config.mesh.tcpClients.length + (config.mesh.unixSocketServers?.length ?? 0) + (config.mesh.unixSocketClients?.length ?? 0);
    // local-only is receptor's explicit "no backends": receptor starts with it alone (a node nothing reaches).
    if (addresses.length === 0 && entries.length === 0 && proxyCount === 0 && !config.localOnly) {
      throw new MeshctlError('EBADCONFIG', `${config.file ?? '<config>'}: nothing to connect to: no control-service has a filename or tcplisten`, {
        hint: 'add "- control-service:\\n    filename: /path/to/node.sock"',
      });
    }
    for (const b of entries) await startBackend(b);
    for (const s of config.mesh.tcpServers) {
      try {
        const p = await startTcpServer(s, mesh, proxyTls, logger);
        proxies.push(p);
        tcpServers.push(p.address!);
      } catch (err) {
        throw new MeshctlError('EBADCONFIG', `${entryLabel(config, s.source)}: ${(err as Error).message}`, { cause: err, hint: 'pick a free port' });
      }
    }
    for (const c of config.mesh.tcpClients) {
      if (!/^(\[[^\]]*\]|[^:]*):\d+$/.test(c.address)) {
        throw new MeshctlError('EBADCONFIG', `${entryLabel(config, c.source)}: address ${c.address}: missing port in address`, { hint: 'use HOST:PORT' });
      }
      try {
        proxies.push(startTcpClient(c, mesh, proxyTls, logger));
      } catch (err) {
        throw new MeshctlError('EBADCONFIG', `${entryLabel(config, c.source)}: ${(err as Error).message}`, { cause: err });
      }
    }
    for (const u of config.mesh.unixSocketServers ?? []) {
      try {
        proxies.push(await startUnixSocketServer(u, mesh, proxyTls, logger));
      } catch (err) {
        throw new MeshctlError('EBADCONFIG', `${entryLabel(config, u.source)}: ${(err as Error).message}`, { cause: err, hint: 'check the socket filename' });
      }
    }
    for (const u of config.mesh.unixSocketClients ?? []) {
      try {
        proxies.push(startUnixSocketClient(u, mesh, proxyTls, logger));
      } catch (err) {
        throw new MeshctlError('EBADCONFIG', `${entryLabel(config, u.source)}: ${(err as Error).message}`, { cause: err });
      }
    }
  } catch (err) {
    await cleanup();
    await Promise.all(backends.map((b) => stopBackend(b)));
    await workceptor.close(0);
    await mesh.close();
    throw err;
  }
  // Lines of receptor's main (cmd/receptor-cl/receptor.go): its own logger, no node_id suffix.
  if (options.logAddresses) for (const a of addresses) mainLogger(logger).info(`Node ${nodeId} listening on ${a.address}`);
  mainLogger(logger).info('Initialization complete');

  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  let closePromise: Promise<void> | undefined;
  const close = (opts: CloseOptions = {}): Promise<void> => {
    closePromise ??= (async () => {
      closing = true;
      logger.info('Shutting down');
      const serversClosed = cleanup();
      for (const s of openStreams) s.destroy();
      // Units stop (remote units stop mirroring; their state stays for the next start) while the mesh
      // goes down: a remote unit's connection attempts fail at once on a closed mesh.
      await Promise.all([workceptor.close(options.shutdownGraceMs ?? 2000, opts.keepWork !== true), mesh.close()]);
      await serversClosed;
      closedResolve();
    })();
    return closePromise;
  };
  // Another node proved to own our ID: Receptor shuts down.
  mesh.on('duplicate', () => void close());

  return {
    nodeId,
    config,
    addresses,
    get meshListeners() {
      return backends.flatMap((b) => b.listeners.map((l) => listenerAddress(b.section, l)));
    },
    tcpServers,
    unitsDir: workceptor.unitsDir,
    work: workceptor,
    mesh,
    close,
    closed,
  };
}
