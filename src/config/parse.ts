// Reads Receptor's v1 YAML configuration (a YAML sequence of one-key maps or bare section names) into a
// typed NodeConfig, following ghjm/cmdline's loadConfigFromFile as Receptor uses it:
// - an entry is `- name` (no parameters), `- name: value` (a string goes to the section's bare field,
//   e.g. `- node: foo` sets id) or `- name: {param: value, ...}`;
// - section names must be written in lower case, parameter names are case-insensitive;
// - values are coerced like cmdline's setValue (see coerce.ts); defaults come from the Go struct tags;
// - YAML is read with the YAML 1.1 schema like Go's yaml.v2, so `permissions: 0600` is octal and
//   `yes`/`on` are booleans.
// Every problem is one MeshctlError('EBADCONFIG') naming the file, the entry (section and position) and
// the key.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import { MeshctlError } from '../errors.js';
import { parseGoDuration } from '../protocol/duration.js';
import { CoerceError, coerceValue } from './coerce.js';
import { RECEPTOR_ONLY_SECTIONS, SECTIONS, sectionSpec, type SectionSpec } from './schema.js';
import type {
  CertAction,
  ControlServiceConfig,
  EntrySource,
  KubeWorkerConfig,
  LogLevel,
  NodeConfig,
  TcpClientConfig,
  TcpListenerConfig,
  TcpPeerConfig,
  TcpServerConfig,
  TlsClientConfig,
  TlsServerConfig,
  UdpListenerConfig,
  UdpPeerConfig,
  WorkCommandConfig,
  WsListenerConfig,
  WsPeerConfig,
} from './types.js';

export interface ParseConfigOptions {
  /** Name used in messages (and stored as NodeConfig.file when absolute). Default `<config>`. */
  file?: string;
  /** Host name used when `node` has no id (tests). Default os.hostname(). */
  hostname?: string;
}

export interface Where {
  file: string;
  index?: number;
  section?: string;
  line?: number;
  key?: string;
  /** Replaces the `FILE:LINE: entry #N (section)` prefix (argv entries: `argv: --tcp-listener`). */
  label?: string;
}

function entryPrefix(where: Where): string {
  let text = where.file;
  if (where.line !== undefined) text += `:${where.line}`;
  if (where.index !== undefined) text += `: entry #${where.index}${where.section ? ` (${where.section})` : ''}`;
  return text;
}

export function configError(where: Where, message: string, hint?: string): MeshctlError {
  const text = `${where.label ?? entryPrefix(where)}: ${message}`;
  return new MeshctlError('EBADCONFIG', text, {
    ...(hint === undefined ? {} : { hint }),
    data: {
      file: where.file,
      ...(where.index === undefined ? {} : { entry: where.index }),
      ...(where.section === undefined ? {} : { section: where.section }),
      ...(where.key === undefined ? {} : { key: where.key }),
      ...(where.line === undefined ? {} : { line: where.line }),
    },
  });
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function suggest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of choices) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return (
      '{' +
      Object.keys(v)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + canonicalJson((v as Record<string, unknown>)[k]))
        .join(',') +
      '}'
    );
  }
  return JSON.stringify(v) ?? 'null';
}

const LOG_LEVELS: readonly LogLevel[] = ['error', 'warning', 'info', 'debug'];

/** One parsed entry: the section and its coerced parameters (defaults applied). */
interface RawSection {
  spec: SectionSpec;
  values: Record<string, unknown>;
  source: EntrySource;
}

/**
 * One section as written, before its name and parameters are checked: a YAML entry, or a `--section word...`
 * group of receptor's command line (argv.ts). Both go through checkEntries, so both get the same checks and
 * the same messages.
 */
export interface RawEntry {
  /** Section name as written (argv names are already lower-cased, as cmdline does). */
  name: string;
  /**
   * Parameters in order: `[key, value, line]`, YAML values as parsed, argv values as strings. A null key is a
   * bare value (`- section: value`, `--section value`) for the section's "barevalue" field.
   */
  params: [string | null, unknown, number | undefined][];
  /** A YAML value that is neither a string nor a map (refused once the section is known). */
  invalid?: unknown;
  where: Where;
  canonical: string;
  /** Came from the command line: hints show `--section key=value` instead of YAML. */
  argv?: boolean;
}

function yamlEntries(text: string, file: string): RawEntry[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    lineCounter,
    prettyErrors: false,
    // yaml.v2 leaves timestamps as strings when decoding into interface{}.
    customTags: (tags) => tags.filter((t) => (t as { tag?: string }).tag !== 'tag:yaml.org,2002:timestamp'),
  });
  const lineOf = (node: { range?: [number, number, number] | null } | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
    throw configError({ file, line }, `invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const root = doc.contents as YamlNode | null;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return [];
  if (!isSeq(root)) {
    throw configError(
      { file, line: lineOf(root as YamlNode) },
      'the configuration must be a YAML list of sections (Receptor v1 format)',
      'write each section as a list item, e.g. "- node:\\n    id: foo"; the v2 format (a map) is not supported',
    );
  }
  return root.items.map((item, i): RawEntry => {
    const index = i + 1;
    const itemNode = item as YamlNode;
    const line = lineOf(itemNode);
    let name: string;
    let valueNode: YamlNode | null = null;
    if (isScalar(itemNode) && typeof itemNode.value === 'string') {
      name = itemNode.value;
    } else if (isMap(itemNode)) {
      if (itemNode.items.length !== 1) {
        const names = itemNode.items.map((p) => String((p.key as { value?: unknown } | null)?.value)).join("', '");
        throw configError(
          { file, index, line },
          `an entry must name exactly one section, this one has ${itemNode.items.length}: '${names}'`,
          'start each section with its own "- " list item (check the indentation)',
        );
      }
      const pair = itemNode.items[0] as Pair<YamlNode, YamlNode | null>;
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
        throw configError({ file, index, line }, 'section name is not a string');
      }
      name = pair.key.value;
      valueNode = pair.value ?? null;
    } else {
      throw configError(
        { file, index, line },
        'an entry must be a section name or a one-key map',
        'write "- section-name" or "- section-name: {...}"',
      );
    }
    const where: Where = { file, index, section: name, ...(line === undefined ? {} : { line }) };
    const entry: RawEntry = { name, params: [], where, canonical: canonicalJson(itemNode.toJSON()) };
    if (valueNode !== null && !(isScalar(valueNode) && valueNode.value === null)) {
      if (isScalar(valueNode) && typeof valueNode.value === 'string') {
        entry.params.push([null, valueNode.value, lineOf(valueNode)]);
      } else if (isMap(valueNode)) {
        for (const p of valueNode.items) {
          const k = p.key as YamlNode | null;
          if (!isScalar(k) || typeof k.value !== 'string') {
            throw configError({ ...where, line: lineOf(k) ?? line }, `parameter name ${String((k as { value?: unknown })?.value)} is not a string`);
          }
          const v = p.value as YamlNode | null;
          entry.params.push([k.value, v === null ? null : v.toJSON(), lineOf(k)]);
        }
      } else {
        entry.invalid = valueNode.toJSON();
      }
    }
    return entry;
  });
}

/** Names sections, applies cmdline's rules (singletons, bare values, keys, types, required, defaults). */
export function checkEntries(entries: readonly RawEntry[]): RawSection[] {
  const out: RawSection[] = [];
  const seenSingletons = new Map<string, Set<string>>();
  for (const entry of entries) {
    const { name, where } = entry;
    const line = where.line;
    const spec = sectionSpec(name);
    if (!spec) {
      if (name === 'work-python') {
        // Receptor 1.6.5 refuses it too, once its keys are checked (pkg/workceptor/python.go Prepare).
        throw configError(
          where,
          "[DEPRECATION WARNING] 'work-python' option is not currently being used. This feature will be removed from receptor in a future release",
          'remove it: receptor 1.6.5 does not run Python workers either',
        );
      }
      if (RECEPTOR_ONLY_SECTIONS.includes(name)) {
        throw configError(where, `section '${name}' is not supported by the meshctl node`, 'remove it, or run real receptor');
      }
      const lower = sectionSpec(name.toLowerCase());
      const guess = lower ? lower.name : suggest(name, SECTIONS.map((sec) => sec.name));
      const spell = (n: string): string => (entry.argv ? `--${n}` : n);
      throw configError(
        where,
        `unknown section '${spell(name)}'`,
        lower
          ? `section names are lower case: write '${lower.name}'`
          : guess
            ? `did you mean '${spell(guess)}'?`
            : `known sections: ${SECTIONS.map((sec) => sec.name).join(', ')}`,
      );
    }
    if (spec.singleton) {
      // cmdline refuses a second singleton within one file (loadConfigFromFile) and a command-line one after
      // any earlier one (ParseAndRun), but not a file's after the command line's: there the later one wins.
      const seenIn = seenSingletons.get(name);
      if (seenIn && (entry.argv || seenIn.has(where.file))) throw configError(where, `only one ${name} directive is allowed`);
      seenSingletons.set(name, new Set([...(seenIn ?? []), where.file]));
    }

    // Collect raw parameters.
    const params: [string, unknown, number | undefined][] = [];
    for (const [key, raw, keyLine] of entry.params) {
      if (key !== null) {
        params.push([key, raw, keyLine]);
        continue;
      }
      const bare = spec.fields.find((f) => f.bare);
      if (!bare) {
        throw configError(
          where,
          `section '${name}' does not take a bare value ('${String(raw)}')`,
          entry.argv ? `give its parameters as key=value words: "--${name} key=value"` : `give its parameters as a map: "- ${name}:\\n    key: value"`,
        );
      }
      params.push([bare.key, raw, keyLine]);
    }
    if (entry.invalid !== undefined) {
      const bare = spec.fields.find((f) => f.bare);
      throw configError(
        where,
        `invalid value for section '${name}': expected ${bare ? 'a string or ' : ''}a map of parameters`,
        bare && bare.type === 'int' ? `quote the value ("- ${name}: \\"${String(entry.invalid)}\\"")` : undefined,
      );
    }

    const values: Record<string, unknown> = {};
    const set = new Set<string>();
    for (const [key, raw, keyLine] of params) {
      const field = spec.fields.find((f) => f.key === key.toLowerCase());
      const keyWhere: Where = { ...where, key, ...(keyLine ?? line) === undefined ? {} : { line: (keyLine ?? line)! } };
      if (!field) {
        const known = spec.fields.map((f) => f.key);
        const guess = suggest(key, known);
        throw configError(
          keyWhere,
          `unknown key '${key}'`,
          known.length === 0
            ? `'${name}' takes no parameters`
            : guess
              ? `did you mean '${guess}'? (known: ${known.join(', ')})`
              : `known keys: ${known.join(', ')}`,
        );
      }
      try {
        const v = coerceValue(field.type, raw, values[field.key]);
        if (v !== undefined) values[field.key] = v;
        else delete values[field.key];
      } catch (err) {
        if (!(err instanceof CoerceError)) throw err;
        throw configError(keyWhere, `bad value for '${key}': ${err.message}`);
      }
      set.add(field.key);
    }
    const missing = spec.fields.filter((f) => f.required && !set.has(f.key)).map((f) => f.key);
    if (missing.length > 0) {
      throw configError(
        where,
        `required parameter${missing.length > 1 ? 's' : ''} missing: ${missing.join(', ')}`,
      );
    }
    for (const f of spec.fields) {
      if (!set.has(f.key) && f.default !== undefined) values[f.key] = coerceValue(f.type, f.default);
    }
    out.push({
      spec,
      values,
      source: {
        section: name,
        index: where.index ?? out.length + 1,
        ...(line === undefined ? {} : { line }),
        canonical: entry.canonical,
        ...(where.label === undefined ? {} : { label: where.label }),
      },
    });
  }
  refuseOthersWithExclusive(entries, out);
  return out;
}

/**
 * ghjm/cmdline's Exclusive rule (ParseAndRun, after every word and file has been read and checked): the first
 * exclusive section (cert-init, cert-makereq, cert-signreq) must be the only section of the whole configuration,
 * the other sections before or after it and a second action included. Receptor's text names the section type;
 * on a command line the message is placed as `argv: --NAME` (a file's section may be the exclusive one) so the
 * receptor launcher prints receptor's words.
 */
function refuseOthersWithExclusive(entries: readonly RawEntry[], sections: readonly RawSection[]): void {
  const first = sections.findIndex((sec) => sec.spec.exclusive);
  if (first < 0 || sections.length === 1) return;
  const name = sections[first]!.spec.name;
  const entry = entries[first]!;
  const where: Where = entries.some((e) => e.argv) ? { file: ARGV_LABEL_SOURCE, section: name, label: `${ARGV_LABEL_SOURCE}: --${name}` } : entry.where;
  throw configError(
    where,
    `cannot specify any other options with ${name}`,
    `run ${name} on its own (no node or other sections), then start the node with a configuration without it`,
  );
}

/** How argv.ts names command-line entries (kept here as a literal: argv.ts imports this module). */
const ARGV_LABEL_SOURCE = 'argv';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const bool = (v: unknown): boolean => v === true;
const num = (v: unknown, d = 0): number => (typeof v === 'number' ? v : d);

/**
 * Parses configuration text. Throws MeshctlError('EBADCONFIG') with file, entry and key in the message
 * and in `data`.
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): NodeConfig {
  const file = options.file ?? '<config>';
  return buildConfig(checkEntries(yamlEntries(text, file)), options);
}

/** Reads one YAML file into raw entries (for argv.ts: `--config FILE` among `--section` words). */
export async function readConfigEntries(file: string): Promise<RawEntry[]> {
  return yamlEntries(await readConfigText(file), file);
}

/**
 * Turns checked sections into a NodeConfig and runs the start-up checks. `options.file` names the source in
 * messages that belong to no entry (`argv` for a command line).
 */
export function buildConfig(sections: RawSection[], options: ParseConfigOptions & { argv?: boolean } = {}): NodeConfig {
  const file = options.file ?? '<config>';
  const cfg: NodeConfig = {
    ...(options.file !== undefined && path.isAbsolute(options.file) ? { file: options.file } : {}),
    node: { id: '', datadir: '/tmp/receptor' },
    logLevel: 'info',
    localOnly: false,
    controlServices: [],
    tlsServers: [],
    tlsClients: [],
    workCommands: [],
    mesh: { tcpListeners: [], tcpPeers: [], wsListeners: [], wsPeers: [], tcpServers: [], tcpClients: [] },
    entries: sections.map((sec) => sec.source),
  };
  // A certificate action is the configuration's only section (refuseOthersWithExclusive): receptor runs it and
  // exits without starting a node, so none of the node's start-up checks (node id, TLS names) apply.
  const action = sections.length === 1 && sections[0]!.spec.support === 'action' ? sections[0]! : undefined;
  if (action) {
    cfg.certAction = certAction(action.spec.name, action.values);
    return cfg;
  }
  let nodeSource: EntrySource | undefined;
  for (const { spec, values: v, source } of sections) {
    const where = entryWhere(file, source);
    switch (spec.name) {
      case 'node':
        nodeSource = source;
        cfg.node = {
          id: str(v.id),
          datadir: str(v.datadir),
          ...(v.firewallrules ? { firewallrules: v.firewallrules as Record<string, unknown>[] } : {}),
          ...(v.maxidleconnectiontimeout ? { maxidleconnectiontimeout: str(v.maxidleconnectiontimeout) } : {}),
        };
        if (cfg.node.maxidleconnectiontimeout) {
          try {
            parseGoDuration(cfg.node.maxidleconnectiontimeout);
          } catch (err) {
            throw configError({ ...where, key: 'maxidleconnectiontimeout' }, `bad value for 'maxidleconnectiontimeout': ${(err as Error).message}`);
          }
        }
        break;
      case 'log-level': {
        const level = str(v.level).toLowerCase();
        if (!LOG_LEVELS.includes(level as LogLevel)) {
          throw configError({ ...where, key: 'level' }, `${str(v.level)} is not a valid log level name`, 'use error, warning, info or debug');
        }
        cfg.logLevel = level as LogLevel;
        break;
      }
      case 'trace':
        break;
      case 'local-only':
        cfg.localOnly = true;
        break;
      case 'control-service':
        cfg.controlServices.push({
          service: str(v.service),
          filename: str(v.filename),
          permissions: num(v.permissions, 0o600),
          tls: str(v.tls),
          tcplisten: str(v.tcplisten),
          tcptls: str(v.tcptls),
          source,
        } satisfies ControlServiceConfig);
        break;
      case 'tls-server':
        cfg.tlsServers.push({
          name: str(v.name),
          cert: str(v.cert),
          key: str(v.key),
          requireclientcert: bool(v.requireclientcert),
          clientcas: str(v.clientcas),
          pinnedclientcert: (v.pinnedclientcert as string[] | undefined) ?? [],
          skipreceptornamescheck: bool(v.skipreceptornamescheck),
          mintls13: bool(v.mintls13),
          source,
        } satisfies TlsServerConfig);
        break;
      case 'tls-client':
        cfg.tlsClients.push({
          name: str(v.name),
          cert: str(v.cert),
          key: str(v.key),
          rootcas: str(v.rootcas),
          insecureskipverify: bool(v.insecureskipverify),
          pinnedservercert: (v.pinnedservercert as string[] | undefined) ?? [],
          skipreceptornamescheck: bool(v.skipreceptornamescheck),
          mintls13: bool(v.mintls13),
          source,
        } satisfies TlsClientConfig);
        break;
      case 'work-command':
        cfg.workCommands.push({
          worktype: str(v.worktype),
          command: str(v.command),
          params: str(v.params),
          allowruntimeparams: bool(v.allowruntimeparams),
          verifysignature: bool(v.verifysignature),
          source,
        } satisfies WorkCommandConfig);
        break;
      case 'work-kubernetes':
        // KubeWorkerCfg.Prepare's first check, here where the value is still as written (its text quotes it so).
        if (!['kubeconfig', 'incluster', 'runtime'].includes(str(v.authmethod).toLowerCase())) {
          throw configError({ ...where, key: 'authmethod' }, `invalid AuthMethod: ${str(v.authmethod)}`, 'use kubeconfig, incluster or runtime');
        }
        (cfg.workKubernetes ??= []).push({
          worktype: str(v.worktype),
          namespace: str(v.namespace),
          image: str(v.image),
          command: str(v.command),
          params: str(v.params),
          authmethod: str(v.authmethod).toLowerCase(),
          kubeconfig: str(v.kubeconfig),
          pod: str(v.pod),
          allowruntimeauth: bool(v.allowruntimeauth),
          allowruntimecommand: bool(v.allowruntimecommand),
          allowruntimeparams: bool(v.allowruntimeparams),
          allowruntimepod: bool(v.allowruntimepod),
          deletepodonrestart: bool(v.deletepodonrestart),
          streammethod: str(v.streammethod).toLowerCase(),
          verifysignature: bool(v.verifysignature),
          source,
        } satisfies KubeWorkerConfig);
        break;
      case 'work-signing':
        cfg.workSigning = { privatekey: str(v.privatekey), tokenexpiration: str(v.tokenexpiration) };
        if (cfg.workSigning.tokenexpiration !== '') {
          try {
            parseGoDuration(cfg.workSigning.tokenexpiration);
          } catch {
            // pkg/workceptor/command.go PrepareSigningKeyPrivateCfg
            throw configError(
              { ...where, key: 'tokenexpiration' },
              "failed to parse TokenExpiration -- valid examples include '1.5h', '30m', '30m10s'",
            );
          }
        }
        break;
      case 'work-verification':
        cfg.workVerification = { publickey: str(v.publickey) };
        break;
      case 'tcp-listener':
        cfg.mesh.tcpListeners.push({
          bindaddr: str(v.bindaddr),
          port: num(v.port),
          tls: str(v.tls),
          cost: num(v.cost, 1),
          ...(v.nodecost ? { nodecost: v.nodecost as Record<string, number> } : {}),
          ...(v.allowedpeers ? { allowedpeers: v.allowedpeers as string[] } : {}),
          source,
        } satisfies TcpListenerConfig);
        break;
      case 'ws-listener':
        cfg.mesh.wsListeners.push({
          bindaddr: str(v.bindaddr),
          port: num(v.port),
          path: str(v.path),
          tls: str(v.tls),
          cost: num(v.cost, 1),
          ...(v.nodecost ? { nodecost: v.nodecost as Record<string, number> } : {}),
          ...(v.allowedpeers ? { allowedpeers: v.allowedpeers as string[] } : {}),
          source,
        } satisfies WsListenerConfig);
        break;
      case 'tcp-peer':
        cfg.mesh.tcpPeers.push({
          address: str(v.address),
          redial: bool(v.redial),
          tls: str(v.tls),
          cost: num(v.cost, 1),
          ...(v.allowedpeers ? { allowedpeers: v.allowedpeers as string[] } : {}),
          source,
        } satisfies TcpPeerConfig);
        break;
      case 'ws-peer':
        cfg.mesh.wsPeers.push({
          address: str(v.address),
          redial: bool(v.redial),
          extraheader: str(v.extraheader),
          tls: str(v.tls),
          cost: num(v.cost, 1),
          ...(v.allowedpeers ? { allowedpeers: v.allowedpeers as string[] } : {}),
          source,
        } satisfies WsPeerConfig);
        break;
      case 'udp-listener':
        (cfg.mesh.udpListeners ??= []).push({
          bindaddr: str(v.bindaddr),
          port: num(v.port),
          cost: num(v.cost, 1),
          ...(v.nodecost ? { nodecost: v.nodecost as Record<string, number> } : {}),
          ...(v.allowedpeers ? { allowedpeers: v.allowedpeers as string[] } : {}),
          source,
        } satisfies UdpListenerConfig);
        break;
      case 'udp-peer':
        (cfg.mesh.udpPeers ??= []).push({
          address: str(v.address),
          redial: bool(v.redial),
          cost: num(v.cost, 1),
          ...(v.allowedpeers ? { allowedpeers: v.allowedpeers as string[] } : {}),
          source,
        } satisfies UdpPeerConfig);
        break;
      case 'tcp-server':
        cfg.mesh.tcpServers.push({
          port: num(v.port),
          bindaddr: str(v.bindaddr),
          remotenode: str(v.remotenode),
          remoteservice: str(v.remoteservice),
          tlsserver: str(v.tlsserver),
          tlsclient: str(v.tlsclient),
          source,
        } satisfies TcpServerConfig);
        break;
      case 'tcp-client':
        cfg.mesh.tcpClients.push({
          service: str(v.service),
          address: str(v.address),
          tlsserver: str(v.tlsserver),
          tlsclient: str(v.tlsclient),
          source,
        } satisfies TcpClientConfig);
        break;
      case 'unix-socket-server':
        (cfg.mesh.unixSocketServers ??= []).push({
          filename: str(v.filename),
          permissions: num(v.permissions, 0o600),
          remotenode: str(v.remotenode),
          remoteservice: str(v.remoteservice),
          tls: str(v.tls),
          source,
        });
        break;
      case 'unix-socket-client':
        (cfg.mesh.unixSocketClients ??= []).push({ service: str(v.service), filename: str(v.filename), tls: str(v.tls), source });
        break;
      default:
        break;
    }
  }

  // Node ID rules of pkg/types/main.go NodeCfg.Init.
  const nodeWhere: Where = nodeSource ? entryWhere(file, nodeSource, 'id') : { file };
  if (cfg.node.id === '') {
    const host = options.hostname ?? os.hostname();
    const lc = host.toLowerCase();
    if (lc === 'localhost' || lc.startsWith('localhost.')) {
      throw configError(nodeWhere, 'no node ID specified and local host name is localhost', options.argv ? 'add "--node id=NAME"' : 'set "- node:\\n    id: NAME"');
    }
    cfg.node.id = host;
  } else if (!/^[.\-_@:a-zA-Z0-9]*$/.test(cfg.node.id)) {
    throw configError(
      nodeWhere,
      `node id can only contain a-z, A-Z, 0-9 or special characters . - _ @ : but received: ${cfg.node.id}`,
    );
  }
  if (cfg.node.id.toLowerCase() === 'localhost') {
    throw configError(nodeWhere, 'node ID "localhost" is reserved', 'choose another node id');
  }

  validateReferences(cfg, file);
  return cfg;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** The action's parameters as receptor's structs hold them (zero values where a key is absent). */
function certAction(name: string, v: Record<string, unknown>): CertAction {
  switch (name) {
    case 'cert-init':
      return {
        kind: 'cert-init',
        commonname: str(v.commonname),
        bits: num(v.bits),
        notbefore: str(v.notbefore),
        notafter: str(v.notafter),
        outcert: str(v.outcert),
        outkey: str(v.outkey),
      };
    case 'cert-makereq':
      return {
        kind: 'cert-makereq',
        commonname: str(v.commonname),
        bits: num(v.bits),
        dnsname: list(v.dnsname),
        ipaddress: list(v.ipaddress),
        nodeid: list(v.nodeid),
        outreq: str(v.outreq),
        inkey: str(v.inkey),
        outkey: str(v.outkey),
      };
    default:
      return {
        kind: 'cert-signreq',
        req: str(v.req),
        cacert: str(v.cacert),
        cakey: str(v.cakey),
        notbefore: str(v.notbefore),
        notafter: str(v.notafter),
        outcert: str(v.outcert),
        verify: bool(v.verify),
      };
  }
}

function entryWhere(file: string, source: EntrySource, key?: string): Where {
  return {
    file,
    index: source.index,
    section: source.section,
    ...(source.line === undefined ? {} : { line: source.line }),
    ...(key === undefined ? {} : { key }),
    ...(source.label === undefined ? {} : { label: source.label }),
  };
}

// Checks Receptor makes while starting (unknown TLS names, duplicate work types, verifysignature without
// a key), done here so a bad file fails before anything listens.
function validateReferences(cfg: NodeConfig, file: string): void {
  const serverNames = new Set<string>();
  for (const t of cfg.tlsServers) {
    if (serverNames.has(t.name)) throw configError(entryWhere(file, t.source, 'name'), `duplicate tls-server name '${t.name}'`);
    serverNames.add(t.name);
  }
  const clientNames = new Set<string>();
  for (const t of cfg.tlsClients) {
    if (clientNames.has(t.name)) throw configError(entryWhere(file, t.source, 'name'), `duplicate tls-client name '${t.name}'`);
    clientNames.add(t.name);
  }
  for (const cs of cfg.controlServices) {
    for (const key of ['tls', 'tcptls'] as const) {
      const name = cs[key];
      if (name !== '' && !serverNames.has(name) && (key === 'tls' || cs.tcplisten !== '')) {
        throw configError(
          entryWhere(file, cs.source, key),
          `unknown TLS config ${name}`,
          serverNames.size > 0 ? `tls-server names: ${[...serverNames].join(', ')}` : 'add a tls-server entry with that name',
        );
      }
    }
  }
  // Backends and forwarders name tls-server / tls-client entries (Receptor: `unknown TLS config NAME`
  // from GetServerTLSConfig / GetClientTLSConfig when the entry starts).
  const refs: [EntrySource, string, 'tls-server' | 'tls-client', string][] = [
    ...cfg.mesh.tcpListeners.map((l) => [l.source, 'tls', 'tls-server', l.tls] as [EntrySource, string, 'tls-server', string]),
    ...cfg.mesh.wsListeners.map((l) => [l.source, 'tls', 'tls-server', l.tls] as [EntrySource, string, 'tls-server', string]),
    ...cfg.mesh.tcpPeers.map((p) => [p.source, 'tls', 'tls-client', p.tls] as [EntrySource, string, 'tls-client', string]),
    ...cfg.mesh.wsPeers.map((p) => [p.source, 'tls', 'tls-client', p.tls] as [EntrySource, string, 'tls-client', string]),
    ...cfg.mesh.tcpServers.flatMap((t) => [
      [t.source, 'tlsserver', 'tls-server', t.tlsserver] as [EntrySource, string, 'tls-server', string],
      [t.source, 'tlsclient', 'tls-client', t.tlsclient] as [EntrySource, string, 'tls-client', string],
    ]),
    ...cfg.mesh.tcpClients.flatMap((t) => [
      [t.source, 'tlsserver', 'tls-server', t.tlsserver] as [EntrySource, string, 'tls-server', string],
      [t.source, 'tlsclient', 'tls-client', t.tlsclient] as [EntrySource, string, 'tls-client', string],
    ]),
    ...(cfg.mesh.unixSocketServers ?? []).map((u) => [u.source, 'tls', 'tls-client', u.tls] as [EntrySource, string, 'tls-client', string]),
    ...(cfg.mesh.unixSocketClients ?? []).map((u) => [u.source, 'tls', 'tls-server', u.tls] as [EntrySource, string, 'tls-server', string]),
  ];
  for (const [source, key, kind, name] of refs) {
    const names = kind === 'tls-server' ? serverNames : clientNames;
    if (name !== '' && !names.has(name)) {
      throw configError(
        entryWhere(file, source, key),
        `unknown TLS config ${name}`,
        names.size > 0 ? `${kind} names: ${[...names].join(', ')}` : `add a ${kind} entry with that name`,
      );
    }
  }
  // The backends' Prepare() checks (pkg/backends/tcp.go, websockets.go, udp.go), with Receptor's texts.
  const backends = [
    ...cfg.mesh.tcpListeners,
    ...cfg.mesh.wsListeners,
    ...(cfg.mesh.udpListeners ?? []),
    ...cfg.mesh.tcpPeers,
    ...cfg.mesh.wsPeers,
    ...(cfg.mesh.udpPeers ?? []),
  ];
  for (const b of backends) {
    if (!(b.cost > 0)) throw configError(entryWhere(file, b.source, 'cost'), 'connection cost must be positive', 'set cost to a number above 0');
    const nodecost = 'nodecost' in b ? b.nodecost : undefined;
    for (const [node, c] of Object.entries(nodecost ?? {})) {
      if (!(c > 0)) throw configError(entryWhere(file, b.source, 'nodecost'), `connection cost must be positive for ${node}`, 'set every nodecost above 0');
    }
  }
  for (const p of cfg.mesh.wsPeers) {
    if (p.extraheader !== '' && !p.extraheader.includes(':')) {
      throw configError(entryWhere(file, p.source, 'extraheader'), 'extra header must be in the form key:value', 'e.g. extraheader: "Authorization: Bearer x"');
    }
  }
  for (const kc of cfg.workKubernetes ?? []) checkKubeWorker(file, kc);
  const types = new Set<string>();
  for (const wc of workTypesInOrder(cfg)) {
    if (types.has(wc.worktype) || wc.worktype === 'remote') {
      throw configError(entryWhere(file, wc.source, 'worktype'), `work type ${wc.worktype} already registered`);
    }
    types.add(wc.worktype);
    // Only CommandWorkerCfg.Prepare checks this; KubeWorkerCfg.Prepare does not (a signed submit fails later).
    if (wc.verifysignature && !cfg.workVerification && wc.source.section === 'work-command') {
      throw configError(
        entryWhere(file, wc.source, 'verifysignature'),
        `VerifySignature for work command '${wc.worktype}' is true, but the work verification public key is not specified`,
        'add a work-verification entry with publickey',
      );
    }
  }
}

/**
 * work-command and work-kubernetes entries in configuration order (file and command line as merged): work
 * types share one registry whichever section declares them (Workceptor.RegisterWorker), and status lists
 * them in the order they were registered.
 */
export function workTypesInOrder(cfg: NodeConfig): (WorkCommandConfig | KubeWorkerConfig)[] {
  const kube = cfg.workKubernetes ?? [];
  if (kube.length === 0) return cfg.workCommands;
  const pos = (src: EntrySource): number => cfg.entries.indexOf(src);
  return [...cfg.workCommands, ...kube].sort((x, y) => pos(x.source) - pos(y.source));
}

/** KubeWorkerCfg.Prepare (pkg/workceptor/kubernetes.go), with its texts and in its order. */
function checkKubeWorker(file: string, kc: KubeWorkerConfig): void {
  const at = (key: string): Where => entryWhere(file, kc.source, key);
  const auth = kc.authmethod; // checked (and lower-cased) in buildConfig
  if (kc.namespace === '' && !(auth === 'kubeconfig' || kc.allowruntimeauth)) {
    throw configError(at('namespace'), 'must provide namespace when AuthMethod is not kubeconfig', 'add namespace, or allowruntimeauth: true');
  }
  if (kc.kubeconfig !== '') {
    if (auth !== 'kubeconfig') throw configError(at('kubeconfig'), 'can only provide KubeConfig when AuthMethod=kubeconfig');
    try {
      statSync(kc.kubeconfig);
    } catch (err) {
      throw configError(at('kubeconfig'), `error accessing kubeconfig file: ${goStatError(kc.kubeconfig, err)}`, 'check the kubeconfig path');
    }
  }
  if (kc.pod !== '' && (kc.image !== '' || kc.command !== '' || kc.params !== '')) {
    throw configError(at('pod'), 'can only provide Pod when Image, Command, and Params are empty');
  }
  if (kc.pod === '' && kc.image === '' && !kc.allowruntimecommand && !kc.allowruntimepod) {
    throw configError(at('image'), 'must specify a container image to run', 'add image, or allowruntimecommand: true');
  }
  if (kc.streammethod !== 'logger' && kc.streammethod !== 'tcp') {
    throw configError(at('streammethod'), 'stream mode must be logger or tcp');
  }
}

/** Go's *PathError text for a failed stat. */
function goStatError(p: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
  return `stat ${p}: ${reason}`;
}

/** Reads and parses a configuration file. A missing or unreadable file is EBADFILE. */
export async function loadConfigFile(file: string, options: Omit<ParseConfigOptions, 'file'> = {}): Promise<NodeConfig> {
  const abs = path.resolve(file);
  const cfg = parseConfig(await readConfigText(file), { ...options, file });
  cfg.file = abs;
  return cfg;
}

async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(path.resolve(file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new MeshctlError('EBADFILE', `cannot read config file '${file}': ${reason}`, { cause: err, data: { file } });
  }
}
