// The embedded node: startNode(config) opens every control-service listener of a Receptor v1
// configuration, serves the control protocol on them and runs work-command units. Mesh sections are
// parsed by src/config but refused here until the mesh exists (see docs/node.md); adding a backend means
// adding its start-up next to the control services below and reporting its listeners in `addresses`.
import { access, unlink } from 'node:fs/promises';
import type net from 'node:net';
import type { Duplex, Writable } from 'node:stream';
import { loadConfigFile } from '../config/parse.js';
import { RELOADABLE_PREFIXES } from '../config/schema.js';
import type { EntrySource, NodeConfig } from '../config/types.js';
import { MeshctlError } from '../errors.js';
import { goStruct } from '../protocol/go-json.js';
import { standardCommands } from './control/commands/index.js';
import type { LocalService, NodeServices, ReloadOutcome, SessionKind } from './control/context.js';
import { closeListener, listenTcp, listenUnix } from './control/listeners.js';
import { ControlSession } from './control/session.js';
import { prepareTlsServer, type PreparedTlsServer } from './control/tls.js';
import { goTimeString } from './go-time.js';
import { SilentLogger, StreamLogger, type NodeLogger } from './logger.js';
import { RECEPTOR_COMPAT_VERSION } from './version.js';
import { Workceptor } from './work/workceptor.js';

export interface StartNodeOptions {
  /** A logger, or a stream to write Receptor-style log lines to at the config's log level. Default: silent. */
  logger?: NodeLogger | Writable;
  /** Version reported by `status`. Default: the Receptor release the node imitates. */
  version?: string;
  /** SIGINT → SIGKILL delay when a unit is cancelled (Receptor: 10 s). */
  cancelGraceMs?: number;
  /** SIGTERM → SIGKILL delay for running units when the node closes. Default 2 s. */
  shutdownGraceMs?: number;
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

export interface NodeHandle {
  readonly nodeId: string;
  readonly config: NodeConfig;
  /** Every listener, in config order. */
  readonly addresses: readonly ListenerAddress[];
  /** `<datadir>/<nodeid>`: where the work units live. */
  readonly unitsDir: string;
  readonly work: Workceptor;
  /** Stops listening, removes socket files, ends sessions, stops running units (they become Failed). */
  close(): Promise<void>;
  /** Resolves once close() has finished. */
  readonly closed: Promise<void>;
}

function entryLabel(config: NodeConfig, source: EntrySource): string {
  return `${config.file ?? '<config>'}${source.line !== undefined ? `:${source.line}` : ''}: entry #${source.index} (${source.section})`;
}

function refuseUnsupported(config: NodeConfig): void {
  const mesh = [
    ...config.mesh.tcpListeners,
    ...config.mesh.tcpPeers,
    ...config.mesh.wsListeners,
    ...config.mesh.wsPeers,
    ...config.mesh.tcpServers,
    ...config.mesh.tcpClients,
  ].sort((a, b) => a.source.index - b.source.index);
  if (mesh.length > 0) {
    throw new MeshctlError(
      'EBADCONFIG',
      `${entryLabel(config, mesh[0]!.source)}: mesh connections are not supported yet by the meshctl node`,
      { hint: 'remove the mesh entries (use local-only), or run real receptor for a mesh', data: { section: mesh[0]!.source.section } },
    );
  }
  if (config.node.firewallrules && config.node.firewallrules.length > 0) {
    throw new MeshctlError('EBADCONFIG', `${config.file ?? '<config>'}: node firewallrules are not supported yet by the meshctl node`, {
      hint: 'remove firewallrules',
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

export async function startNode(config: NodeConfig, options: StartNodeOptions = {}): Promise<NodeHandle> {
  refuseUnsupported(config);
  const logger = toLogger(options.logger, config);
  const nodeId = config.node.id;
  if (config.workSigning && config.workSigning.privatekey !== '') await mustExist(config.workSigning.privatekey);
  if (config.workVerification) await mustExist(config.workVerification.publickey);

  const tlsServers = new Map<string, PreparedTlsServer>();
  for (const t of config.tlsServers) tlsServers.set(t.name, await prepareTlsServer(t, nodeId));

  const work = new Workceptor({
    nodeId,
    dataDir: config.node.datadir,
    workCommands: config.workCommands,
    logger,
    ...(config.workVerification ? { verifyingKeyFile: config.workVerification.publickey } : {}),
    ...(options.cancelGraceMs === undefined ? {} : { cancelGraceMs: options.cancelGraceMs }),
  });
  await work.init();

  const commands = standardCommands();
  const services = new Map<string, LocalService>();
  const servers: net.Server[] = [];
  const socketFiles: string[] = [];
  const openStreams = new Set<Duplex>();
  const addresses: ListenerAddress[] = [];
  let closing = false;
  const baseline = fixedEntries(config).map((e) => e.canonical);

  const nodeServices: NodeServices = {
    nodeId,
    version: options.version ?? RECEPTOR_COMPAT_VERSION,
    logger,
    work,
    advertisements() {
      const workCommands = work.workCommands().map((w) => goStruct({ WorkType: w.WorkType, Secure: w.Secure }));
      return config.controlServices
        .filter((cs) => cs.service !== '')
        .map((cs) =>
          goStruct({
            NodeID: nodeId,
            Service: cs.service,
            Time: goTimeString(),
            ConnType: cs.tls !== '' ? 2 : 1,
            Tags: { type: 'Control Service' },
            WorkCommands: workCommands.length > 0 ? workCommands : null,
          }),
        );
    },
    hasTlsClient: (name) => config.tlsClients.some((t) => t.name === name),
    service: (name) => services.get(name),
    reload: () => reload(),
  };

  const serve = (stream: Duplex, kind: SessionKind, peer: string): void => {
    if (closing) {
      stream.destroy();
      return;
    }
    openStreams.add(stream);
    stream.once('close', () => openStreams.delete(stream));
    void new ControlSession(stream, kind, nodeServices, commands, peer).run();
  };

  async function reload(): Promise<ReloadOutcome> {
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
    logger.info('Reload successful');
    return { ok: true };
  }

  const cleanup = async (): Promise<void> => {
    await Promise.all(servers.map((s) => closeListener(s)));
    await Promise.all(socketFiles.map((f) => unlink(f).catch(() => undefined)));
  };

  try {
    for (const cs of config.controlServices) {
      if (cs.service !== '') {
        if (services.has(cs.service)) {
          throw new MeshctlError('EBADCONFIG', `${entryLabel(config, cs.source)}: service ${cs.service} is already in use`, {
            hint: 'give each control-service its own service name',
          });
        }
        services.set(cs.service, { name: cs.service, tls: cs.tls, accept: (stream, kind, peer) => serve(stream, kind, peer) });
      }
      if (cs.filename !== '') {
        const server = await listenUnix(cs.filename, cs.permissions, (socket) => serve(socket, 'unix', 'unix socket'));
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
    if (addresses.length === 0) {
      throw new MeshctlError('EBADCONFIG', `${config.file ?? '<config>'}: nothing to connect to: no control-service has a filename or tcplisten`, {
        hint: 'add "- control-service:\\n    filename: /path/to/node.sock"',
      });
    }
  } catch (err) {
    await cleanup();
    await work.close(0);
    throw err;
  }
  logger.info('Initialization complete');

  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  let closePromise: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closePromise ??= (async () => {
      closing = true;
      logger.info('Shutting down');
      const serversClosed = cleanup();
      for (const s of openStreams) s.destroy();
      await work.close(options.shutdownGraceMs ?? 2000);
      await serversClosed;
      closedResolve();
    })();
    return closePromise;
  };

  return { nodeId, config, addresses, unitsDir: work.unitsDir, work, close, closed };
}
