// Test nodes: a real Receptor v1 YAML config written to a temp dir, and the embedded node started from it
// — in-process (startTestNode) or as a child process (spawnTestNode). Both return the addresses to talk
// to and a close() that removes everything they created.
//
//   const n = await startTestNode({ workCommands: [{ worktype: 'cat', command: 'cat' }], tcp: true });
//   n.socketPath, n.tcpAddress ('tcp://127.0.0.1:PORT'), n.nodeId, n.dir, n.node (NodeHandle)
//   await n.close();
//
// This file also runs as the child's entry point (under vite-node, so no build is needed) when
// MESHCTL_TEST_NODE_CHILD_CONFIG is set: it starts the node from that file, prints one line
// `READY <json addresses>` on stdout, and stops cleanly on SIGTERM/SIGINT.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import { loadConfigFile } from '../../src/config/parse.js';
import { startNode, type ListenerAddress, type NodeHandle, type StartNodeOptions } from '../../src/node/node.js';
import { StreamLogger } from '../../src/node/logger.js';

export interface TestWorkCommand {
  worktype: string;
  command: string;
  params?: string;
  allowruntimeparams?: boolean;
  verifysignature?: boolean;
}

export interface TestTlsServer {
  /** Certificate and key: file paths, or PEM text (written to files in the node's dir). */
  cert: string;
  key: string;
  clientcas?: string;
  requireclientcert?: boolean;
  /** Default false here (TLS 1.2 allowed) — note Receptor's own default is true. */
  mintls13?: boolean;
  skipreceptornamescheck?: boolean;
}

export interface TestNodeOptions {
  /** Default: `node-<random>`. */
  nodeId?: string;
  workCommands?: TestWorkCommand[];
  /** Also listen on TCP (127.0.0.1, port 0). */
  tcp?: boolean;
  /** Listen on TCP with TLS using this server certificate (127.0.0.1, port 0). */
  tlsServer?: TestTlsServer;
  /** work-verification public key (path or PEM). Needed by verifysignature work types. */
  verificationKey?: string;
  /** work-signing private key (path or PEM). */
  signingKey?: string;
  logLevel?: 'error' | 'warning' | 'info' | 'debug';
  /** Extra YAML list items appended verbatim (each starting with `- `). */
  extraYaml?: string;
  /** Extra keys of the `node` entry, verbatim, indented 4 spaces (e.g. `    firewallrules:` and its list). */
  nodeYaml?: string;
  /** Reuse a directory (e.g. to restart a node on the same data dir); it is then not deleted by close(). */
  dir?: string;
  /** In-process only: where log lines go (default: nowhere). */
  logStream?: Writable;
  /** In-process only: SIGINT → SIGKILL delay on cancel (default 10 s, as Receptor). */
  cancelGraceMs?: number;
  /** In-process only: more startNode options (mesh timers, remote work timing...). */
  startOptions?: StartNodeOptions;
  /** Give the control service no Unix socket (a node reached only through the mesh). */
  noSocket?: boolean;
  /** tls-server name for the control service's mesh side (`tls:`; defined in extraYaml). */
  controlServiceTls?: string;
}

export interface TestNodeFiles {
  nodeId: string;
  dir: string;
  configPath: string;
  socketPath: string;
  dataDir: string;
}

export interface TestNode extends TestNodeFiles {
  /** `tcp://127.0.0.1:PORT` when `tcp` was asked. */
  tcpAddress?: string;
  tcpPort?: number;
  /** `tls://127.0.0.1:PORT` when `tlsServer` was given. */
  tlsAddress?: string;
  tlsPort?: number;
  node: NodeHandle;
  close(): Promise<void>;
}

function isPem(s: string): boolean {
  return s.includes('-----BEGIN');
}

async function materialise(dir: string, name: string, value: string): Promise<string> {
  if (!isPem(value)) return value;
  const file = path.join(dir, name);
  await writeFile(file, value, { mode: 0o600 });
  return file;
}

const q = (s: string): string => JSON.stringify(s);

/** Writes the config file for a test node; returns the paths. */
export async function writeTestNodeConfig(options: TestNodeOptions = {}): Promise<TestNodeFiles> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'meshctl-node-')));
  const nodeId = options.nodeId ?? `node-${Math.random().toString(36).slice(2, 8)}`;
  const socketPath = path.join(dir, 'control.sock');
  const dataDir = path.join(dir, 'data');
  const lines: string[] = [
    '- node:',
    `    id: ${q(nodeId)}`,
    `    datadir: ${q(dataDir)}`,
    ...(options.nodeYaml ? [options.nodeYaml.trimEnd()] : []),
    `- log-level: ${options.logLevel ?? 'info'}`,
    '- local-only',
    '- control-service:',
    '    service: control',
    ...(options.noSocket ? [] : [`    filename: ${q(socketPath)}`]),
    ...(options.controlServiceTls ? [`    tls: ${q(options.controlServiceTls)}`] : []),
  ];
  // One control service, as Receptor configs usually have it: the socket and the plain TCP port.
  if (options.tcp) lines.push('    tcplisten: "127.0.0.1:0"');
  if (options.tlsServer) {
    const t = options.tlsServer;
    const cert = await materialise(dir, 'tls-server.crt', t.cert);
    const key = await materialise(dir, 'tls-server.key', t.key);
    lines.push('- tls-server:', '    name: testtls', `    cert: ${q(cert)}`, `    key: ${q(key)}`);
    if (t.clientcas) lines.push(`    clientcas: ${q(await materialise(dir, 'clientcas.crt', t.clientcas))}`);
    if (t.requireclientcert) lines.push('    requireclientcert: true');
    lines.push(`    mintls13: ${t.mintls13 ? 'true' : 'false'}`);
    if (t.skipreceptornamescheck) lines.push('    skipreceptornamescheck: true');
    // A second entry for the TLS port, without a mesh service (so `status` shows one advertisement).
    lines.push('- control-service:', '    service: ""', '    tcplisten: "127.0.0.1:0"', '    tcptls: testtls');
  }
  if (options.verificationKey) {
    lines.push('- work-verification:', `    publickey: ${q(await materialise(dir, 'verify.pub', options.verificationKey))}`);
  }
  if (options.signingKey) {
    lines.push('- work-signing:', `    privatekey: ${q(await materialise(dir, 'sign.key', options.signingKey))}`, '    tokenexpiration: 5m');
  }
  for (const wc of options.workCommands ?? []) {
    lines.push('- work-command:', `    worktype: ${q(wc.worktype)}`, `    command: ${q(wc.command)}`);
    if (wc.params !== undefined) lines.push(`    params: ${q(wc.params)}`);
    if (wc.allowruntimeparams) lines.push('    allowruntimeparams: true');
    if (wc.verifysignature) lines.push('    verifysignature: true');
  }
  if (options.extraYaml) lines.push(options.extraYaml.trimEnd());
  const configPath = path.join(dir, 'receptor.yaml');
  await writeFile(configPath, lines.join('\n') + '\n');
  return { nodeId, dir, configPath, socketPath, dataDir };
}

function pickAddresses(addresses: readonly ListenerAddress[]): Partial<TestNode> {
  const out: Partial<TestNode> = {};
  for (const a of addresses) {
    if (a.kind === 'tcp' && out.tcpAddress === undefined) {
      out.tcpAddress = a.address;
      out.tcpPort = a.port!;
    }
    if (a.kind === 'tls' && out.tlsAddress === undefined) {
      out.tlsAddress = a.address;
      out.tlsPort = a.port!;
    }
  }
  return out;
}

/** Starts a node in this process from a freshly written config file. */
export async function startTestNode(options: TestNodeOptions = {}): Promise<TestNode> {
  const files = await writeTestNodeConfig(options);
  const ownsDir = options.dir === undefined;
  let node: NodeHandle;
  try {
    const config = await loadConfigFile(files.configPath);
    node = await startNode(config, {
      ...options.startOptions,
      ...(options.logStream ? { logger: new StreamLogger(options.logStream, config.logLevel) } : {}),
      ...(options.cancelGraceMs === undefined ? {} : { cancelGraceMs: options.cancelGraceMs }),
    });
  } catch (err) {
    if (ownsDir) await rm(files.dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...files,
    ...pickAddresses(node.addresses),
    node,
    async close() {
      await node.close();
      if (ownsDir) await rm(files.dir, { recursive: true, force: true });
    },
  };
}

export interface SpawnedTestNode extends TestNodeFiles {
  child: ChildProcess;
  pid: number;
  tcpAddress?: string;
  tcpPort?: number;
  tlsAddress?: string;
  tlsPort?: number;
  /** Everything the child wrote on stderr so far (its log). */
  stderr(): string;
  /** SIGTERM, wait for the exit; returns the exit code. Removes the dir unless it was given. */
  close(): Promise<number | null>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

/** True when `npm run build` output and bin/meshctl.js exist (the `cli` variant of spawnTestNode). */
export function cliBuilt(): boolean {
  return existsSync(path.join(ROOT, 'dist', 'cli', 'main.js')) && existsSync(path.join(ROOT, 'bin', 'meshctl.js'));
}

export interface SpawnOptions extends TestNodeOptions {
  /**
   * `vite-node` (default): runs this helper as the child's entry, from source, no build needed.
   * `cli`: runs `node bin/meshctl.js node -c FILE` (needs `npm run build`; see cliBuilt()).
   */
  via?: 'vite-node' | 'cli';
  /** Extra node options for the child (e.g. ['--max-old-space-size=64']). */
  nodeArgs?: string[];
}

/** Starts the node as a child process; resolves once it listens. */
export async function spawnTestNode(options: SpawnOptions = {}): Promise<SpawnedTestNode> {
  const files = await writeTestNodeConfig(options);
  const via = options.via ?? 'vite-node';
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VITEST')) delete env[k];
  let child: ChildProcess;
  if (via === 'cli') {
    if (!cliBuilt()) throw new Error('spawnTestNode({via: "cli"}) needs `npm run build` first');
    child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(ROOT, 'bin', 'meshctl.js'), 'node', '-c', files.configPath], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } else {
    env.MESHCTL_TEST_NODE_CHILD_CONFIG = files.configPath;
    child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), path.join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs'), fileURLToPath(import.meta.url)],
      { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT },
    );
  }
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const addresses = await new Promise<ListenerAddress[]>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`test node did not start in 20 s; stderr:\n${err}`)), 20_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = /READY (.*)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]!) as ListenerAddress[]);
      }
      // The cli variant logs instead: its listeners are known from the config (unix socket only).
    });
    if (via === 'cli') {
      const poll = setInterval(() => {
        if (/Initialization complete/.test(err)) {
          clearInterval(poll);
          clearTimeout(timer);
          const found: ListenerAddress[] = [];
          for (const m of err.matchAll(/listening on (\S+)/g)) {
            const address = m[1]!;
            const kind = address.startsWith('tls://') ? 'tls' : address.startsWith('tcp://') ? 'tcp' : 'unix';
            const port = kind === 'unix' ? undefined : Number(address.slice(address.lastIndexOf(':') + 1));
            found.push({ kind, address, service: '', ...(port === undefined ? {} : { port }) });
          }
          resolve(found);
        }
      }, 50);
      child.once('exit', () => clearInterval(poll));
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`test node exited with ${code} before listening; stderr:\n${err}`));
    });
  }).catch(async (e: unknown) => {
    child.kill('SIGKILL');
    if (options.dir === undefined) await rm(files.dir, { recursive: true, force: true });
    throw e;
  });
  const ownsDir = options.dir === undefined;
  return {
    ...files,
    ...(pickAddresses(addresses) as Partial<SpawnedTestNode>),
    child,
    pid: child.pid!,
    stderr: () => err,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (ownsDir) await rm(files.dir, { recursive: true, force: true });
      return code;
    },
  };
}

// Child entry point (see the header).
const childConfig = process.env.MESHCTL_TEST_NODE_CHILD_CONFIG;
if (childConfig && !process.env.VITEST) {
  const config = await loadConfigFile(childConfig);
  const node = await startNode(config, { logger: new StreamLogger(process.stderr, config.logLevel) });
  process.stdout.write(`READY ${JSON.stringify(node.addresses)}\n`);
  const stop = (): void => {
    void node.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
