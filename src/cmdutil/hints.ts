// The one table of hints: what the user can do about an error, composed by the CLI from the error's code and
// structured data. The library (src/client, src/transport, src/protocol, src/errors.ts) says what failed and
// never how to fix it with meshctl's flags and commands; this file is where that advice lives. A command that knows
// better (the unit id, the flags the user typed) gives its own `hint` to the MeshctlError it throws, and that wins.
import { MeshctlError, ServerError, UploadInterruptedError, type ErrorCode } from '../errors.js';

type Data = Record<string, unknown>;
type Hint = string | ((data: Data, err: MeshctlError) => string);

/** Advice for an encrypted client key (the library's ETLS with `data.keyEncrypted` or tlsCode ERR_OSSL_BAD_DECRYPT). */
export const DECRYPT_KEY_HINT = 'decrypt it first, e.g. `openssl rsa -in KEY -out PLAIN.key`';

/** For a usage error whose command has no better advice. */
export const USAGE_HINT = 'see --help';

/** For anything that is not a MeshctlError: a bug. */
export const INTERNAL_HINT = 'rerun with --debug and report the stack trace';

// Advice for the node's refusals, looked up by the node's own text. The library keeps that text verbatim
// (ServerError.serverMessage) and only names what was asked; the node's text must stay Receptor's exact words
// (scripts match on them), so the advice goes in the hint.
const SERVER_HINTS: readonly (readonly [RegExp, string])[] = [
  // pkg/workceptor/command.go (SetFromParams): runtime parameters (CMDPARAMS, `-a params=...`) are refused unless
  // the work-command entry says allowruntimeparams.
  [
    /^extra params provided but not allowed$/,
    "the node's work-command entry for this work type does not set allowruntimeparams: true; " +
      'drop the extra parameters (CMDPARAMS, -a params=...) or set it in the node\'s configuration',
  ],
  // pkg/netceptor/netceptor.go: no route to the named node (a typo, or a node that left the mesh).
  [/^no route to node$/, 'check the node name: `meshctl status` lists the nodes this one can reach'],
  // pkg/netceptor/netceptor.go ProblemServiceUnknown: the node is reached but has no such service.
  [/^service unknown$/, "check the service name: `meshctl status` lists each node's services"],
];

/** The hint for a refusal the CLI has advice for, else undefined. */
export function serverHint(serverMessage: string): string | undefined {
  for (const [pattern, hint] of SERVER_HINTS) if (pattern.test(serverMessage)) return hint;
  return undefined;
}

/** TLS failures by the Node/OpenSSL code the transport reports in `data.tlsCode`. */
function tlsHint(data: Data): string {
  if (data.keyEncrypted === true) return DECRYPT_KEY_HINT;
  if (typeof data.tlsCode !== 'string') return 'check --rootcas, --cert, --key and the server name';
  switch (data.tlsCode) {
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return 'the listener does not speak TLS: try tcp:// instead of tls://';
    case 'ERR_OSSL_BAD_DECRYPT':
      return DECRYPT_KEY_HINT;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'connect by a name the certificate lists, or pass --insecureskipverify to skip the host-name check';
    case 'CERT_HAS_EXPIRED':
      return 'renew the certificate (meshctl cert signreq) and reload the node';
    default:
      return 'check --rootcas, --cert and --key';
  }
}

/** No greeting: `data.greeting` says how it failed, `data.plainTcp` that tcp:// was used (a TLS listener?). */
function greetingHint(data: Data): string {
  if (data.greeting === 'timeout') {
    return data.plainTcp === true
      ? 'a TLS listener (tcptls) waits for a handshake: try tls:// instead of tcp://'
      : 'is this a Receptor control service? (a backend tcp-listener does not greet)';
  }
  if (data.greeting === 'closed' && data.plainTcp === true) return 'if the listener uses TLS (tcptls), use tls:// instead of tcp://';
  return 'this is not a Receptor control service (a backend tcp-listener, or a TLS listener spoken to over tcp://?)';
}

const HINTS: Record<ErrorCode, Hint> = {
  // usage
  EUSAGE: (d) => (d.reservedParam !== undefined ? 'use the dedicated option instead (--node, --tls-client, --ttl, --signwork)' : USAGE_HINT),
  EBADADDRESS: (d) =>
    d.notSocket === true
      ? 'point --socket at the control-service filename of a running node'
      : 'use a socket path, unix:PATH, tcp://HOST:PORT or tls://HOST:PORT ([::1] for IPv6)',
  ENOSOCKET: 'pass --socket ADDRESS or set MESHCTL_SOCKET / RECEPTORCTL_SOCKET',
  EBADFILE: 'check the path and permissions',
  EBADCONFIG: 'fix the configuration file',
  // connection
  ENOENT_SOCKET: 'is the node running? check the control-service filename',
  ECONNREFUSED: 'is the node running and listening on that address?',
  ECONNECT: (d) =>
    d.errno === 'EACCES' || d.errno === 'EPERM'
      ? 'the control socket is 0600 by default: run as its owner, or set permissions in control-service'
      : 'check the address and that the node is up',
  ETIMEDOUT: (d) =>
    d.phase === 'connect' && d.addressKind === 'tls'
      ? 'is this a TLS listener? check the address and port'
      : 'the node did not answer in time; check the address or raise --timeout',
  EGREETING: greetingHint,
  ECLOSED: 'the node closed the connection; check its log',
  EPROTOCOL: 'unexpected reply from the node; run with MESHCTL_DEBUG=wire',
  // tls
  ETLS: tlsHint,
  // server replies: the node's own text first
  ESERVER: (_d, err) => (err instanceof ServerError ? serverHint(err.serverMessage) : undefined) ?? 'the node refused the request',
  EUNKNOWNUNIT: 'list units with `meshctl work list`',
  ERELOAD: 'check the node log and its configuration file',
  // work outcomes
  EUNITFAILED: 'see `meshctl work status ID` for details',
  EPINGFAILED: 'check routes with `meshctl status`',
  EINCOMPLETE: 'resume with `meshctl work results ID --start-pos N`',
  EWAITTIMEOUT: 'wait longer with a larger --timeout, or see `meshctl work status ID`',
  EPAYLOAD: 'check the payload file, or the program writing to stdin',
  EPARTIAL: (d) =>
    d.tlsNodes ? 'pass --tls-client NAME for the nodes whose control service uses TLS, or raise --timeout' : "each node's reason is shown; check routes with `meshctl status`, or raise --timeout",
  // an interruption explains itself, or says nothing
  EABORTED: '',
  ETERMINATED: '',
  EHANGUP: '',
  EINTERNAL: INTERNAL_HINT,
};

/**
 * The hint for an error, '' for none: the one its thrower gave (a command's), else the table's for its code and
 * data. An upload cut short by the node or the connection gets the hint of that cause.
 */
export function hintFor(err: MeshctlError): string {
  if (err.hint !== undefined) return err.hint;
  if (err instanceof UploadInterruptedError && err.stop !== 'payload' && err.cause instanceof MeshctlError) return hintFor(err.cause);
  const h = HINTS[err.code] as Hint | undefined;
  if (h === undefined) return '';
  return typeof h === 'string' ? h : h(err.data ?? {}, err);
}
