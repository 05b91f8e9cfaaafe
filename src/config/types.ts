// Typed result of reading a Receptor v1 YAML configuration. Property names are Receptor's parameter names
// lower-cased (the form its documentation uses), so a reader can map them back to the YAML at a glance.

export type LogLevel = 'error' | 'warning' | 'info' | 'debug';

/** Where a section came from: for error messages and for `reload`'s change detection. */
export interface EntrySource {
  /** Section name as written (`control-service`). */
  section: string;
  /** 1-based position of the entry in the YAML sequence. */
  index: number;
  /** 1-based line of the entry, when read from text. */
  line?: number;
  /** The entry's parsed value in canonical JSON (keys sorted): equal texts = unchanged entry. */
  canonical: string;
  /**
   * How messages name an entry given on the command line (receptor's `--section key=value` form, see argv.ts):
   * `argv: --section`. Unset for YAML entries, which messages name `FILE:LINE: entry #N (section)`.
   */
  label?: string;
}

export interface NodeSection {
  /** Node ID; defaults to the host name (Receptor: NodeCfg.Init). */
  id: string;
  datadir: string;
  firewallrules?: Record<string, unknown>[];
  maxidleconnectiontimeout?: string;
}

export interface ControlServiceConfig {
  /** Mesh service name (advertised as a Control Service); '' = none. */
  service: string;
  /** Unix socket path; '' = none. */
  filename: string;
  /** Unix socket file mode (default 0o600). */
  permissions: number;
  /** tls-server used on the mesh service. */
  tls: string;
  /** `PORT` (binds 0.0.0.0) or `HOST:PORT`; '' = none. */
  tcplisten: string;
  /** tls-server used on the TCP listener. */
  tcptls: string;
  source: EntrySource;
}

export interface TlsServerConfig {
  name: string;
  cert: string;
  key: string;
  requireclientcert: boolean;
  clientcas: string;
  pinnedclientcert: string[];
  skipreceptornamescheck: boolean;
  /** Receptor v1.6 defaults this to true: TLS 1.3 only unless set to false (then TLS 1.2+). */
  mintls13: boolean;
  source: EntrySource;
}

export interface TlsClientConfig {
  name: string;
  cert: string;
  key: string;
  rootcas: string;
  insecureskipverify: boolean;
  pinnedservercert: string[];
  skipreceptornamescheck: boolean;
  mintls13: boolean;
  source: EntrySource;
}

export interface WorkCommandConfig {
  worktype: string;
  command: string;
  params: string;
  allowruntimeparams: boolean;
  verifysignature: boolean;
  source: EntrySource;
}

/** A `work-kubernetes` entry (pkg/workceptor/kubernetes.go KubeWorkerCfg). */
export interface KubeWorkerConfig {
  worktype: string;
  namespace: string;
  image: string;
  command: string;
  params: string;
  /** Lower-cased, as NewkubeWorker keeps it: kubeconfig, incluster or runtime. */
  authmethod: string;
  kubeconfig: string;
  pod: string;
  allowruntimeauth: boolean;
  allowruntimecommand: boolean;
  allowruntimeparams: boolean;
  allowruntimepod: boolean;
  deletepodonrestart: boolean;
  streammethod: string;
  verifysignature: boolean;
  source: EntrySource;
}

export interface WorkSigningConfig {
  privatekey: string;
  /** Go duration text; '' = Receptor's default of 5 minutes. */
  tokenexpiration: string;
}

export interface WorkVerificationConfig {
  publickey: string;
}

export interface TcpListenerConfig {
  bindaddr: string;
  port: number;
  tls: string;
  cost: number;
  nodecost?: Record<string, number>;
  allowedpeers?: string[];
  source: EntrySource;
}

export interface TcpPeerConfig {
  address: string;
  redial: boolean;
  tls: string;
  cost: number;
  allowedpeers?: string[];
  source: EntrySource;
}

export interface WsListenerConfig extends TcpListenerConfig {
  path: string;
}

export interface WsPeerConfig extends TcpPeerConfig {
  extraheader: string;
}

/** `udp-listener` (pkg/backends/udp.go UDPListenerCfg): as tcp-listener without tls. */
export interface UdpListenerConfig {
  bindaddr: string;
  port: number;
  cost: number;
  nodecost?: Record<string, number>;
  allowedpeers?: string[];
  source: EntrySource;
}

/** `udp-peer` (UDPDialerCfg): as tcp-peer without tls. */
export interface UdpPeerConfig {
  address: string;
  redial: boolean;
  cost: number;
  allowedpeers?: string[];
  source: EntrySource;
}

export interface TcpServerConfig {
  port: number;
  bindaddr: string;
  remotenode: string;
  remoteservice: string;
  tlsserver: string;
  tlsclient: string;
  source: EntrySource;
}

export interface TcpClientConfig {
  service: string;
  address: string;
  tlsserver: string;
  tlsclient: string;
  source: EntrySource;
}

/** `unix-socket-server` (pkg/services/unix_proxy.go UnixProxyInboundCfg). */
export interface UnixSocketServerConfig {
  filename: string;
  permissions: number;
  remotenode: string;
  remoteservice: string;
  /** A tls-client name. */
  tls: string;
  source: EntrySource;
}

/** `unix-socket-client` (UnixProxyOutboundCfg). */
export interface UnixSocketClientConfig {
  service: string;
  filename: string;
  /** A tls-server name. */
  tls: string;
  source: EntrySource;
}

/** Mesh sections: backends (links) and port forwarders, run by the node's mesh (src/node/mesh). */
export interface MeshConfig {
  tcpListeners: TcpListenerConfig[];
  tcpPeers: TcpPeerConfig[];
  wsListeners: WsListenerConfig[];
  wsPeers: WsPeerConfig[];
  tcpServers: TcpServerConfig[];
  tcpClients: TcpClientConfig[];
  /** Optional so configs built in code need not name them. */
  udpListeners?: UdpListenerConfig[];
  udpPeers?: UdpPeerConfig[];
  unixSocketServers?: UnixSocketServerConfig[];
  unixSocketClients?: UnixSocketClientConfig[];
}

/** `cert-init` (pkg/certificates/cli.go InitCAConfig): a new CA certificate and key. */
export interface CertInitAction {
  kind: 'cert-init';
  commonname: string;
  bits: number;
  /** RFC 3339 text as written; '' = now / 10 years on. Parsed when the action runs, as receptor's Run does. */
  notbefore: string;
  notafter: string;
  outcert: string;
  outkey: string;
}

/** `cert-makereq` (MakeReqConfig): a certificate request, with a new key (outkey + bits) or an existing one (inkey). */
export interface CertMakeReqAction {
  kind: 'cert-makereq';
  commonname: string;
  /** 0 when not given (receptor's zero value, which Prepare checks against inkey/outkey). */
  bits: number;
  dnsname: string[];
  ipaddress: string[];
  nodeid: string[];
  outreq: string;
  inkey: string;
  outkey: string;
}

/** `cert-signreq` (SignReqConfig): sign a request with the CA, asking first unless verify is true. */
export interface CertSignReqAction {
  kind: 'cert-signreq';
  req: string;
  cacert: string;
  cakey: string;
  notbefore: string;
  notafter: string;
  outcert: string;
  verify: boolean;
}

export type CertAction = CertInitAction | CertMakeReqAction | CertSignReqAction;

export interface NodeConfig {
  /** Absolute path of the file it was read from (needed by `reload`); undefined when built in code. */
  file?: string;
  node: NodeSection;
  /** Level from `log-level`; Receptor logs at info when the section is absent. */
  logLevel: LogLevel;
  localOnly: boolean;
  controlServices: ControlServiceConfig[];
  tlsServers: TlsServerConfig[];
  tlsClients: TlsClientConfig[];
  workCommands: WorkCommandConfig[];
  /** `work-kubernetes` entries; optional so configs built in code need not name them. */
  workKubernetes?: KubeWorkerConfig[];
  workSigning?: WorkSigningConfig;
  workVerification?: WorkVerificationConfig;
  mesh: MeshConfig;
  /**
   * A certificate action (cert-init, cert-makereq, cert-signreq): receptor runs it instead of a node and exits
   * (cmdline.Exclusive), so when set it is the configuration's only section and nothing else here applies.
   */
  certAction?: CertAction;
  /** Every entry in file order (for `reload`). */
  entries: EntrySource[];
}
