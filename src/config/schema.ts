// Receptor's v1 configuration sections, their parameters, types, defaults and required flags, as declared
// by the Go config structs (struct tags `required`, `default`, `barevalue`) that ghjm/cmdline reads:
//   node              pkg/types/main.go NodeCfg
//   log-level, trace  pkg/logger/logger.go LoglevelCfg, TraceCfg
//   pyroscope-client  pkg/types/main.go ReceptorPyroscopeCfg
//   control-service   pkg/controlsvc/controlsvc.go CmdlineConfigUnix
//   tls-server/client pkg/netceptor/tlsconfig.go TLSServerConfig, TLSClientConfig
//   work-command, work-signing, work-verification   pkg/workceptor/command.go
//   work-kubernetes   pkg/workceptor/kubernetes.go KubeWorkerCfg
//   local-only        pkg/backends/null.go NullBackendCfg
//   tcp-listener/peer pkg/backends/tcp.go; ws-listener/peer pkg/backends/websockets.go
//   udp-listener/peer pkg/backends/udp.go UDPListenerCfg, UDPDialerCfg (no tls key)
//   tcp-server/client pkg/services/tcp_proxy.go
//   unix-socket-server/client  pkg/services/unix_proxy.go
//   cert-init, cert-makereq, cert-signreq  pkg/certificates/cli.go InitCAConfig, MakeReqConfig, SignReqConfig
// Parameter names are matched case-insensitively (cmdline getFieldByName lower-cases both sides).

export type FieldType = 'string' | 'int' | 'float' | 'bool' | 'stringList' | 'floatMap' | 'stringMap' | 'mapList';

export interface FieldSpec {
  /** Lower-case parameter name (the Go field name lower-cased). */
  key: string;
  type: FieldType;
  required?: boolean;
  /** Default as Receptor's struct tag writes it (a string, coerced like any other value). */
  default?: string;
  /** Receives the value of `- section: value` when the value is a plain string. */
  bare?: boolean;
}

/**
 * How the embedded node treats a section:
 * - `yes`: implemented;
 * - `mesh`: a mesh backend or forwarder, parsed into `NodeConfig.mesh` and run by the node's mesh;
 * - `ignored`: accepted and has no effect (documented in docs/node.md);
 * - `action`: a one-shot action run instead of a node (NodeConfig.certAction, src/node/cert-actions.ts).
 */
export type Support = 'yes' | 'mesh' | 'ignored' | 'action';

export interface SectionSpec {
  name: string;
  fields: FieldSpec[];
  singleton?: boolean;
  /**
   * cmdline.Exclusive: when present it must be the only section of the whole configuration (file and command
   * line together), and it runs instead of the node (ghjm/cmdline ParseAndRun: "cannot specify any other options
   * with NAME"; receptor's RunConfigV1 then exits 0).
   */
  exclusive?: boolean;
  support: Support;
}

const s = (key: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ key, type: 'string', ...extra });
const b = (key: string, def?: string): FieldSpec => ({ key, type: 'bool', ...(def === undefined ? {} : { default: def }) });

export const SECTIONS: readonly SectionSpec[] = [
  {
    name: 'node',
    singleton: true,
    support: 'yes',
    fields: [
      s('id', { bare: true }),
      s('datadir', { default: '/tmp/receptor' }),
      { key: 'firewallrules', type: 'mapList' },
      s('maxidleconnectiontimeout'),
      s('receptorkubesupportreconnect'),
      s('receptorkubeclientsetqps'),
      s('receptorkubeclientsetburst'),
      s('receptorkubeclientsetratelimiter'),
    ],
  },
  { name: 'log-level', singleton: true, support: 'yes', fields: [s('level', { bare: true, default: 'error' })] },
  { name: 'trace', singleton: true, support: 'ignored', fields: [] },
  {
    // pkg/types/main.go ReceptorPyroscopeCfg: receptor profiles itself to a Pyroscope server (nothing to
    // profile in Go terms here); accepted so a receptor config starts, and has no effect.
    name: 'pyroscope-client',
    singleton: true,
    support: 'ignored',
    fields: [
      s('applicationname'),
      { key: 'tags', type: 'stringMap' },
      s('serveraddress'),
      s('basicauthuser'),
      s('basicauthpassword'),
      s('tenantid'),
      s('uploadrate'),
      { key: 'profiletypes', type: 'stringList' },
      b('disablegcruns'),
      { key: 'httpheaders', type: 'stringMap' },
    ],
  },
  { name: 'local-only', singleton: true, support: 'yes', fields: [b('local')] },
  {
    name: 'control-service',
    support: 'yes',
    fields: [
      s('service', { default: 'control' }),
      s('filename'),
      { key: 'permissions', type: 'int', default: '0600' },
      s('tls'),
      s('tcplisten'),
      s('tcptls'),
    ],
  },
  {
    name: 'tls-server',
    support: 'yes',
    fields: [
      s('name', { required: true }),
      s('cert', { required: true }),
      s('key', { required: true }),
      b('requireclientcert', 'false'),
      s('clientcas'),
      { key: 'pinnedclientcert', type: 'stringList' },
      b('skipreceptornamescheck', 'false'),
      b('mintls13', 'true'),
    ],
  },
  {
    name: 'tls-client',
    support: 'yes',
    fields: [
      s('name', { required: true }),
      s('cert', { required: true }),
      s('key', { required: true }),
      s('rootcas'),
      b('insecureskipverify', 'false'),
      { key: 'pinnedservercert', type: 'stringList' },
      b('skipreceptornamescheck'),
      b('mintls13', 'true'),
    ],
  },
  {
    name: 'work-command',
    support: 'yes',
    fields: [
      s('worktype', { required: true }),
      s('command', { required: true }),
      s('params'),
      b('allowruntimeparams', 'false'),
      b('verifysignature', 'false'),
    ],
  },
  {
    name: 'work-kubernetes',
    support: 'yes',
    fields: [
      s('worktype', { required: true }),
      s('namespace'),
      s('image'),
      s('command'),
      s('params'),
      s('authmethod', { default: 'incluster' }),
      s('kubeconfig'),
      s('pod'),
      b('allowruntimeauth', 'false'),
      b('allowruntimecommand', 'false'),
      b('allowruntimeparams', 'false'),
      b('allowruntimepod', 'false'),
      b('deletepodonrestart', 'true'),
      s('streammethod', { default: 'logger' }),
      b('verifysignature', 'false'),
    ],
  },
  {
    name: 'work-signing',
    singleton: true,
    support: 'yes',
    fields: [s('privatekey', { bare: true }), s('tokenexpiration')],
  },
  { name: 'work-verification', singleton: true, support: 'yes', fields: [s('publickey', { bare: true })] },
  {
    name: 'tcp-listener',
    support: 'mesh',
    fields: [
      s('bindaddr', { default: '0.0.0.0' }),
      { key: 'port', type: 'int', bare: true, required: true },
      s('tls'),
      { key: 'cost', type: 'float', default: '1.0' },
      { key: 'nodecost', type: 'floatMap' },
      { key: 'allowedpeers', type: 'stringList' },
    ],
  },
  {
    name: 'tcp-peer',
    support: 'mesh',
    fields: [
      s('address', { bare: true, required: true }),
      b('redial', 'true'),
      s('tls'),
      { key: 'cost', type: 'float', default: '1.0' },
      { key: 'allowedpeers', type: 'stringList' },
    ],
  },
  {
    name: 'ws-listener',
    support: 'mesh',
    fields: [
      s('bindaddr', { default: '0.0.0.0' }),
      { key: 'port', type: 'int', bare: true, required: true },
      s('path', { default: '/' }),
      s('tls'),
      { key: 'cost', type: 'float', default: '1.0' },
      { key: 'nodecost', type: 'floatMap' },
      { key: 'allowedpeers', type: 'stringList' },
    ],
  },
  {
    name: 'ws-peer',
    support: 'mesh',
    fields: [
      s('address', { bare: true, required: true }),
      b('redial', 'true'),
      s('extraheader'),
      s('tls'),
      { key: 'cost', type: 'float', default: '1.0' },
      { key: 'allowedpeers', type: 'stringList' },
    ],
  },
  {
    name: 'udp-listener',
    support: 'mesh',
    fields: [
      s('bindaddr', { default: '0.0.0.0' }),
      { key: 'port', type: 'int', bare: true, required: true },
      { key: 'cost', type: 'float', default: '1.0' },
      { key: 'nodecost', type: 'floatMap' },
      { key: 'allowedpeers', type: 'stringList' },
    ],
  },
  {
    name: 'udp-peer',
    support: 'mesh',
    fields: [
      s('address', { bare: true, required: true }),
      b('redial', 'true'),
      { key: 'cost', type: 'float', default: '1.0' },
      { key: 'allowedpeers', type: 'stringList' },
    ],
  },
  {
    name: 'tcp-server',
    support: 'mesh',
    fields: [
      { key: 'port', type: 'int', required: true },
      s('bindaddr', { default: '0.0.0.0' }),
      s('remotenode', { required: true }),
      s('remoteservice', { required: true }),
      s('tlsserver'),
      s('tlsclient'),
    ],
  },
  {
    name: 'tcp-client',
    support: 'mesh',
    fields: [s('service', { required: true }), s('address', { required: true }), s('tlsserver'), s('tlsclient')],
  },
  {
    name: 'unix-socket-server',
    support: 'mesh',
    fields: [
      s('filename', { required: true }),
      { key: 'permissions', type: 'int', default: '0600' },
      s('remotenode', { required: true }),
      s('remoteservice', { required: true }),
      s('tls'),
    ],
  },
  {
    name: 'unix-socket-client',
    support: 'mesh',
    fields: [s('service', { required: true }), s('filename', { required: true }), s('tls')],
  },
  // The certificate actions (pkg/certificates/cli.go, registered with cmdline.Exclusive). `bits` is required by
  // cert-init only; cert-makereq checks it against inkey/outkey in Prepare. The Go structs' `Osw` field (an
  // interface for tests) is not a parameter anyone can set: cmdline fails on it, so it is left out here.
  {
    name: 'cert-init',
    support: 'action',
    exclusive: true,
    fields: [
      s('commonname', { required: true }),
      { key: 'bits', type: 'int', required: true },
      s('notbefore'),
      s('notafter'),
      s('outcert', { required: true }),
      s('outkey', { required: true }),
    ],
  },
  {
    name: 'cert-makereq',
    support: 'action',
    exclusive: true,
    fields: [
      s('commonname', { required: true }),
      { key: 'bits', type: 'int' },
      { key: 'dnsname', type: 'stringList' },
      { key: 'ipaddress', type: 'stringList' },
      { key: 'nodeid', type: 'stringList' },
      s('outreq', { required: true }),
      s('inkey'),
      s('outkey'),
    ],
  },
  {
    name: 'cert-signreq',
    support: 'action',
    exclusive: true,
    fields: [
      s('req', { required: true }),
      s('cacert', { required: true }),
      s('cakey', { required: true }),
      s('notbefore'),
      s('notafter'),
      s('outcert', { required: true }),
      b('verify', 'false'),
    ],
  },
];

/** Sections real Receptor knows that the embedded node does not implement at all (clear error, not "unknown"). */
export const RECEPTOR_ONLY_SECTIONS: readonly string[] = [
  'udp-server',
  'udp-client',
  'ip-router',
  'command-service',
  'work-python',
  'command-runner',
  'version',
];

/** Sections whose changes `reload` applies (pkg/controlsvc/reload.go reloadableActions, prefix match). */
export const RELOADABLE_PREFIXES: readonly string[] = [
  'tcp-peer',
  'tcp-listener',
  'ws-peer',
  'ws-listener',
  'udp-peer',
  'udp-listener',
  'local-only',
];

export function sectionSpec(name: string): SectionSpec | undefined {
  return SECTIONS.find((sec) => sec.name === name);
}
