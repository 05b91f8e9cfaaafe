// Options and request types of the client API (src/client/control-client.ts). Kept apart so commands and
// docs can import the types without loading the client.
import type { Readable } from 'node:stream';

/** TLS material for tls:// addresses. PEM contents (not paths): the CLI layer reads files. */
export interface ClientTlsOptions {
  /** Trusted CA certificates (PEM). Omitted: the system trust store, like receptorctl. */
  ca?: string | Buffer;
  /** Client certificate chain (PEM), for mutual TLS. */
  cert?: string | Buffer;
  /** Private key (PEM) of `cert`. */
  key?: string | Buffer;
  /**
   * Skip the host-name check (the chain is still verified). receptorctl's `insecureskipverify` does the same
   * (receptorctl/socket_interface.py sets check_hostname=False only).
   */
  insecureSkipVerify?: boolean;
  /** Name to check the server certificate against; default: the host of the address. */
  servername?: string;
}

export interface ControlClientOptions {
  /** `/path`, `unix:PATH`, `unix://PATH`, `tcp://HOST:PORT`, `tls://HOST:PORT` (IPv6 as `[::1]`). */
  address: string;
  tls?: ClientTlsOptions;
  /** TCP/TLS connect (and TLS handshake) timeout. Default 10 s. */
  connectTimeoutMs?: number;
  /** Time allowed for the `Receptor Control, node X` greeting once connected. Default 5 s. */
  greetingTimeoutMs?: number;
  /** Time allowed for each non-streaming command's reply. Default 30 s; 0 disables. */
  commandTimeoutMs?: number;
  /** TCP keepalive initial delay on TCP/TLS connections. Default 30 s (well under cloud LBs' 4 min idle cut). */
  keepAliveMs?: number;
  /** Aborts every pending operation of this client. */
  signal?: AbortSignal;
  /** Called with every protocol line, '>' for sent and '<' for received (MESHCTL_DEBUG=wire). */
  trace?: (direction: '<' | '>', line: string) => void;
}

/** Where a submit payload comes from. Strings are UTF-8. null = no payload (immediate half-close). */
export type PayloadSource = Readable | AsyncIterable<Uint8Array> | Uint8Array | string | null;

export interface SubmitRequest {
  workType: string;
  /** Target node; default `localhost` (the node we talk to). */
  node?: string;
  /** Work parameters. For `command` work types only `params` is used (runtime params). */
  params?: Record<string, string>;
  /** tls-client name the node uses to reach a remote node's control service. */
  tlsClient?: string;
  /** Go duration; remote work only. */
  ttl?: string;
  /** Ask the node to sign the remote submit with its work-signing key. */
  signWork?: boolean;
  /** A JWT signature supplied by the client (work types with verifysignature, over TCP/TLS). */
  signature?: string;
}

export interface ResultsOptions {
  /** Byte offset to start from. Default 0. */
  startPos?: number;
  signature?: string;
  signal?: AbortSignal;
}

export interface CommandOptions {
  signal?: AbortSignal;
  /** Overrides the client's commandTimeoutMs for this call. */
  timeoutMs?: number;
}
