// The per-link rules of receptor 1.6.5's runProtocol (pkg/netceptor/netceptor.go), as a pure state machine:
// feed it each message received on a link, act on the event it returns. Both ends run the same rules
// (docs/netceptor-wire.md "The connection handshake"). Sending the initial routing updates (every second,
// at most 11: sendInitialConnectMessage) and the idle timer belong to the node; this decides only.
import { NetceptorDecodeError } from './json.js';
import { decodeMessage, type NetceptorMessage, type RoutingUpdate } from './messages.js';

/** A backend's admission settings (receptor's BackendInfo: cost, nodecost, allowedpeers). */
export interface LinkPolicy {
  cost: number;
  nodecost?: Readonly<Record<string, number>> | undefined;
  allowedpeers?: readonly string[] | undefined;
}

export type LinkEvent =
  /** The peer is named and admitted: the link is up at `cost` (stop the initial updates, flood routes). */
  | { kind: 'established'; remote: string; cost: number }
  /**
   * Refuse the link: send encodeReject(), close, and log receptor's line
   * `LOCAL: rejected connection with node REMOTE because REASON` (sendAndLogConnectionRejection).
   */
  | { kind: 'reject'; remote: string; reason: string }
  /** The peer refused us (a type-3 message): close; receptor logs `remote node rejected the connection`. */
  | { kind: 'rejected-by-peer'; remote: string }
  /** A message for the node on an established link (routing update already checked, advert, data). */
  | { kind: 'message'; message: NetceptorMessage }
  /** Nothing to do (receptor ignores it too); `why` is for a debug log. */
  | { kind: 'ignore'; why: string }
  /** Not netceptor, or a message that does not decode: log `error` (receptor logs and goes on, or crashes). */
  | { kind: 'protocol-error'; error: string };

export class LinkHandshake {
  private established = false;
  /** The peer has listed us in one of its own updates (receptor: remoteEstablished). */
  private remoteListsUs = false;
  remote = '';
  cost = 0;

  /**
   * `claim(remote)`: take the node ID for this link; false when another live link already holds it
   * (receptor: the `connections` map).
   */
  constructor(
    readonly localNode: string,
    readonly policy: LinkPolicy,
    private readonly claim: (remote: string) => boolean,
  ) {
    if (!(policy.cost > 0)) throw new RangeError(`connection cost must be positive, got ${policy.cost}`);
  }

  get isEstablished(): boolean {
    return this.established;
  }

  receive(raw: Uint8Array): LinkEvent {
    let m: NetceptorMessage;
    try {
      m = decodeMessage(raw);
    } catch (err) {
      if (err instanceof NetceptorDecodeError) return { kind: 'protocol-error', error: err.message };
      throw err;
    }
    if (!this.established) return this.beforeEstablished(m);
    switch (m.type) {
      case 'route':
        return this.checkRoute(m);
      case 'reject':
        return { kind: 'rejected-by-peer', remote: this.remote };
      case 'unknown':
        return { kind: 'ignore', why: `Unknown message type ${m.code}` };
      default:
        return { kind: 'message', message: m };
    }
  }

  private beforeEstablished(m: NetceptorMessage): LinkEvent {
    if (m.type === 'reject') return { kind: 'rejected-by-peer', remote: this.remote };
    if (m.type !== 'route') return { kind: 'ignore', why: `message type ${m.type} before the link is established` };
    const remote = m.ForwardingNode;
    if (remote === this.localNode) return { kind: 'reject', remote, reason: 'it tried to connect using our own node ID' };
    if (this.policy.allowedpeers && !this.policy.allowedpeers.includes(remote)) {
      return { kind: 'reject', remote, reason: 'it is not in the allowed peers list' };
    }
    if (!this.claim(remote)) return { kind: 'reject', remote, reason: 'it connected using a node ID we are already connected to' };
    this.remote = remote;
    this.cost = this.policy.nodecost?.[remote] ?? this.policy.cost;
    this.established = true;
    // This first update only names the peer: receptor does not process it as a routing update.
    return { kind: 'established', remote, cost: this.cost };
  }

  private checkRoute(u: { type: 'route' } & RoutingUpdate): LinkEvent {
    if (u.ForwardingNode !== this.remote) {
      return { kind: 'reject', remote: this.remote, reason: `remote node ID changed unexpectedly from ${this.remote} to ${u.NodeID}` };
    }
    if (u.NodeID === this.remote) {
      const theirs = Object.prototype.hasOwnProperty.call(u.Connections, this.localNode) ? u.Connections[this.localNode] : undefined;
      if (theirs === undefined) {
        if (this.remoteListsUs) return { kind: 'reject', remote: this.remote, reason: 'remote node no longer lists us as a connection' };
        return { kind: 'ignore', why: 'late initialization request from the remote node' };
      }
      this.remoteListsUs = true;
      if (theirs !== this.cost) return { kind: 'reject', remote: this.remote, reason: 'we disagree about the connection cost' };
    }
    return { kind: 'message', message: u };
  }
}

/**
 * Names a foreign protocol from the first bytes a peer sent, for the log line a node writes before closing.
 * meshctl's link protocol v1 (docs/mesh.md) starts with a big-endian u32 length and a HELLO frame (type 1)
 * whose JSON carries `"magic":"meshctl-mesh"`; read as netceptor it is a zero-length frame, which
 * receptor 1.6.5 panics on. Returns undefined for bytes that may be netceptor.
 */
export function foreignProtocol(first: Uint8Array): string | undefined {
  const b = Buffer.from(first.buffer, first.byteOffset, first.byteLength);
  if (b.length >= 5 && b[0] === 0 && b[1] === 0 && b[4] === 1 && b.subarray(5, 64).toString('latin1').includes('meshctl-mesh')) {
    return "meshctl's link protocol v1 (from an older meshctl, before the netceptor wire)";
  }
  if (b.length >= 2 && b[0] === 0 && b[1] === 0) return 'a zero-length netceptor frame (not netceptor, or a broken peer)';
  if (/^(GET|POST|HEAD|PUT) /.test(b.subarray(0, 5).toString('latin1'))) return 'HTTP (a WebSocket or web client on a tcp listener?)';
  // 16 03 is also the u16 length 790 of a netceptor message: a routing update or advert (type 1 or 2, then its JSON
  // `{`). A TLS record's length cannot start with 0x7b (records are at most ~16 KiB), so that shape is netceptor.
  const maybeNetceptor = b.length >= 4 && (b[2] === 1 || b[2] === 2) && b[3] === 0x7b;
  if (b.length >= 4 && b[0] === 0x16 && b[1] === 0x03 && !maybeNetceptor) return 'a TLS handshake (the peer uses TLS, this listener does not)';
  return undefined;
}
