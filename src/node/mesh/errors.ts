// Mesh failures a caller can act on. `message` is Receptor's text where Receptor has one (`no route to
// node`, `service unknown`, `message expired`, `timeout`), so the control service can pass it on
// verbatim; `kind` is stable for code. All are ConnectionErrors (exit code 3 in the CLI).
import { ConnectionError } from '../../errors.js';

export type MeshErrorKind =
  /** No route to the node (unknown, or unreachable now). */
  | 'ENOROUTE'
  /** The node is reachable but nothing listens on that service. */
  | 'ESERVICEUNKNOWN'
  /** The hop limit ran out on the way. */
  | 'EEXPIRED'
  /** No answer in time. */
  | 'ETIMEOUT'
  /** The stream was torn down: the peer reset it, or a link on its path went away. */
  | 'ESTREAMRESET'
  /** The mesh instance is closed. */
  | 'ECLOSED'
  /** A bad argument (service name in use, empty name). */
  | 'EINVALID'
  /** A plain stream to a service that takes TLS (ConnType 2). */
  | 'EINSECURE'
  /** A firewall rule of a node on the path rejected the traffic (node firewallrules, action reject). */
  | 'EBLOCKED';

const HINTS: Record<MeshErrorKind, string> = {
  ENOROUTE: 'check the node ID and the routes with `meshctl status`',
  ESERVICEUNKNOWN: 'check the service name in the advertisements of `meshctl status`',
  EEXPIRED: 'the path is longer than the hop limit',
  ETIMEOUT: 'the node did not answer; check the links on the path',
  ESTREAMRESET: 'a link on the path went away or the other end closed the stream',
  ECLOSED: '',
  EINVALID: '',
  EBLOCKED: 'a firewall rule of a node on the path rejects this traffic (node firewallrules)',
  EINSECURE: 'the service runs TLS inside the stream: name a tls-client (connect NODE SERVICE TLSCLIENT, a submit tlsclient)',
};

export class MeshError extends ConnectionError {
  override name = 'MeshError';
  readonly kind: MeshErrorKind;

  constructor(kind: MeshErrorKind, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super('ECONNECT', message, { hint: options.hint ?? HINTS[kind], data: { kind }, ...(options.cause === undefined ? {} : { cause: options.cause }) });
    this.kind = kind;
  }
}

/** Receptor's problem texts (pkg/netceptor/netceptor.go Problem*, forwardMessage, ping.go). */
export const PROBLEM = {
  noRoute: 'no route to node',
  serviceUnknown: 'service unknown',
  expired: 'message expired',
  timeout: 'timeout',
  /** ProblemRejected: a reject firewall rule (pkg/netceptor/firewall_rules.go). */
  rejected: 'blocked by firewall',
  /**
   * A plain dial to a TLS service. Receptor's text as its dialler reports it: the QUIC handshake of
   * a stream without TLS expects the service's throw-away certificate and gets a real one
   * (pkg/netceptor/conn.go verifyServerCertificate), so the error comes wrapped as a QUIC crypto error.
   */
  insecure: 'CRYPTO_ERROR 0x12a (local): insecure connection to secure service',
} as const;

/** The MeshError for a failure text received from the mesh (OPEN_FAIL, unreachable notice). */
export function errorFromProblem(problem: string): MeshError {
  switch (problem) {
    case PROBLEM.noRoute:
      return new MeshError('ENOROUTE', problem);
    case PROBLEM.serviceUnknown:
      return new MeshError('ESERVICEUNKNOWN', problem);
    case PROBLEM.expired:
      return new MeshError('EEXPIRED', problem);
    case PROBLEM.timeout:
      return new MeshError('ETIMEOUT', problem);
    case PROBLEM.rejected:
      return new MeshError('EBLOCKED', problem);
    case PROBLEM.insecure:
      return new MeshError('EINSECURE', problem);
    default:
      return new MeshError('ESTREAMRESET', problem);
  }
}
