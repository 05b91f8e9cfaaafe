// The Receptor v1 configuration a test node runs: a YAML list of one-section entries, built from the user's
// YAML (text or already parsed) and/or the simple options, with what a fixture needs filled in (node id,
// datadir in the node's temp dir, a control socket), then written to `<dir>/receptor.yaml` and started
// from that file, so `reload` works as with `meshctl node -c FILE`.
import path from 'node:path';
import YAML from 'yaml';

/** One entry of a Receptor config: `{ 'tcp-listener': { port: 0 } }`, or a bare section name (`'local-only'`). */
export type ReceptorEntry = string | Record<string, unknown>;
/** A Receptor v1 configuration: the YAML list of entries. */
export type ReceptorConfig = ReceptorEntry[];

export interface WorkCommandOptions {
  worktype: string;
  command: string;
  params?: string;
  allowruntimeparams?: boolean;
  verifysignature?: boolean;
}

/** The parts of a node's config built from options (the YAML given, if any, comes first). */
export interface ConfigOptions {
  /** Node ID. Default: the YAML's `node: id`, else `node-<random>`. */
  id?: string;
  /** Receptor YAML: the text of a receptor.yaml, or its list of entries. */
  config?: string | ReceptorConfig;
  /** `work-command` entries. */
  workCommands?: WorkCommandOptions[];
  /** Also serve the control service on TCP, 127.0.0.1 port 0 (`handle.tcpAddress`). */
  tcp?: boolean;
  /** A mesh `tcp-listener` on 127.0.0.1 port 0 (`handle.peerAddress` is what a `tcp-peer` dials). */
  listen?: boolean;
  /** `tcp-peer` addresses to dial (`HOST:PORT`, e.g. another handle's `peerAddress`). */
  peers?: string[];
  /** `log-level` (default: the YAML's, else `info`; lines go nowhere unless `log` is given). */
  logLevel?: 'error' | 'warning' | 'info' | 'debug';
}

const SECTION_OF = (e: ReceptorEntry): string => (typeof e === 'string' ? e : (Object.keys(e)[0] ?? '')).toLowerCase();
const BODY_OF = (e: ReceptorEntry): Record<string, unknown> | undefined => {
  if (typeof e === 'string') return undefined;
  const v = Object.values(e)[0];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
};

function parseEntries(config: string | ReceptorConfig | undefined): ReceptorConfig {
  if (config === undefined) return [];
  if (typeof config !== 'string') {
    if (!Array.isArray(config)) throw new TypeError('config: want Receptor YAML text or its list of entries, got an object; wrap it in a list');
    return structuredClone(config);
  }
  const doc = YAML.parse(config) as unknown;
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new TypeError('config: Receptor YAML is a list of entries (each line starting with "- "); got a map');
  return doc as ReceptorConfig;
}

export interface BuiltConfig {
  entries: ReceptorConfig;
  nodeId: string;
  socketPath: string;
}

/**
 * The entries to run in `dir`: the given YAML, then the options' entries, with a `node` entry (id, datadir)
 * and a control service with a Unix socket added or completed when missing.
 */
export function buildEntries(options: ConfigOptions, dir: string, extra: ReceptorConfig = []): BuiltConfig {
  const entries = parseEntries(options.config);
  let node = entries.find((e) => SECTION_OF(e) === 'node');
  if (node === undefined || BODY_OF(node) === undefined) {
    if (node !== undefined) entries.splice(entries.indexOf(node), 1);
    node = { node: {} };
    entries.unshift(node);
  }
  const nodeBody = BODY_OF(node)!;
  const given = nodeBody.id ?? nodeBody.ID;
  if (options.id !== undefined && given !== undefined && String(given) !== options.id) {
    throw new Error(`startNode: id '${options.id}' and the config's node id '${String(given)}' differ; give one`);
  }
  const nodeId = options.id ?? (given !== undefined ? String(given) : `node-${Math.random().toString(36).slice(2, 8)}`);
  nodeBody.id = nodeId;
  delete nodeBody.ID;
  nodeBody.datadir ??= path.join(dir, 'data');

  if (options.logLevel !== undefined) {
    for (let i = entries.length - 1; i >= 0; i--) if (SECTION_OF(entries[i]!) === 'log-level') entries.splice(i, 1);
    entries.push({ 'log-level': options.logLevel });
  }

  // The first control service gets the socket if none has one (`service: control` is receptor's default name).
  const controls = entries.filter((e) => SECTION_OF(e) === 'control-service');
  let socketPath = controls.map((e) => BODY_OF(e)?.filename).find((f): f is string => typeof f === 'string' && f !== '');
  if (socketPath === undefined) {
    socketPath = path.join(dir, 'control.sock');
    const first = controls.map(BODY_OF).find((b) => b !== undefined);
    if (first) first.filename = socketPath;
    else entries.push({ 'control-service': { service: 'control', filename: socketPath } });
  }
  if (options.tcp) {
    const first = entries.filter((e) => SECTION_OF(e) === 'control-service').map(BODY_OF).find((b) => b !== undefined && b.filename === socketPath)!;
    if (first.tcplisten === undefined || first.tcplisten === '') first.tcplisten = '127.0.0.1:0';
  }
  if (options.listen) entries.push({ 'tcp-listener': { bindaddr: '127.0.0.1', port: 0 } });
  for (const p of options.peers ?? []) entries.push({ 'tcp-peer': { address: p } });
  for (const wc of options.workCommands ?? []) {
    const body: Record<string, unknown> = { worktype: wc.worktype, command: wc.command };
    if (wc.params !== undefined) body.params = wc.params;
    if (wc.allowruntimeparams) body.allowruntimeparams = true;
    if (wc.verifysignature) body.verifysignature = true;
    entries.push({ 'work-command': body });
  }
  entries.push(...extra);
  return { entries, nodeId, socketPath };
}

/** The YAML text of `entries`. */
export function toYaml(entries: ReceptorConfig): string {
  return YAML.stringify(entries);
}

/**
 * Pins port-0 listeners to the ports the node got, so a restart listens where clients and peers expect
 * it: mesh listeners in config order, then each control service's `tcplisten` in config order.
 */
export function pinPorts(entries: ReceptorConfig, meshPorts: number[], controlTcpPorts: number[]): void {
  let m = 0;
  let c = 0;
  for (const e of entries) {
    const section = SECTION_OF(e);
    const body = BODY_OF(e);
    if (section === 'tcp-listener' || section === 'ws-listener') {
      const port = meshPorts[m++];
      if (body && port !== undefined && Number(body.port ?? 0) === 0) body.port = port;
    } else if (section === 'control-service' && body && typeof body.tcplisten === 'string' && body.tcplisten !== '') {
      const port = controlTcpPorts[c++];
      if (port !== undefined && /:0$/.test(body.tcplisten)) body.tcplisten = body.tcplisten.replace(/:0$/, `:${port}`);
    }
  }
}
