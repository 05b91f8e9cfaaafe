// Bounds on what control clients can make the node hold. Receptor has none: it reads a command line of any
// length one byte at a time (pkg/controlsvc/controlsvc.go RunControlSession) and decodes any JSON. Issue 10
// measured what that costs here: one unauthenticated `work submit` with 10–30 MiB of params stalled every
// other client for seconds and grew the node to 1.5 GiB. So the node counts what each request holds:
// - per request, `maxRequestBytes`: the command line's bytes, plus GO_JSON_VALUE_COST (48) bytes for every
//   value of a JSON line (a line of small values such as `[{},{},...]` costs 17–25 times its length once
//   decoded, and that is what would fill the heap);
// - per node, `maxBufferedBytes`: the sum over every control connection (Unix, TCP, TLS, mesh) of what
//   their requests hold, counted from the first byte of a line until its command has been answered.
// A request over either bound is refused with one `ERROR:` line and the connection is closed: the rest of
// the line (or the payload of a submit) cannot be told apart from the next command.
import { GO_JSON_VALUE_COST } from '../../protocol/go-json.js';

export { GO_JSON_VALUE_COST };

const MiB = 1024 * 1024;

export interface ControlLimits {
  /** Most one request may hold: its line's bytes + 48 per JSON value. */
  maxRequestBytes: number;
  /** Most the requests in progress on all control connections of the node may hold together. */
  maxBufferedBytes: number;
}

/**
 * 32 MiB per request keeps every request Receptor users send (and the 10–30 MiB params of issue 10)
 * working, while the worst JSON shapes it admits (about 1.4 million small values) decode in under 2 s of
 * CPU, in slices that let other clients in (bench/big-request.js). 256 MiB per node: eight such requests
 * at once.
 */
export const DEFAULT_CONTROL_LIMITS: Readonly<ControlLimits> = {
  maxRequestBytes: 32 * MiB,
  maxBufferedBytes: 256 * MiB,
};

/** Bytes held by the requests in progress on a node's control connections. */
export class ByteBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Bytes currently held. */
  get inUse(): number {
    return this.used;
  }

  /** Takes `n` bytes if they fit under the limit. */
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }
}

export type RequestLimitKind = 'request' | 'buffered';

/** A request went over a bound. The session answers with clientMessage() and closes the connection. */
export class RequestLimitError extends Error {
  override name = 'RequestLimitError';
  constructor(
    readonly kind: RequestLimitKind,
    /** The bound in bytes. */
    readonly limit: number,
  ) {
    super(kind === 'request' ? `request larger than ${limit} bytes` : `control requests of the node would hold more than ${limit} bytes`);
  }

  /** The text after `ERROR: ` (docs/node.md, "Limits"). */
  clientMessage(): string {
    return this.kind === 'request'
      ? `request over the limit of ${this.limit} bytes (maxRequestBytes); closing the connection`
      : `requests in progress on this node would exceed ${this.limit} bytes (maxBufferedBytes); closing the connection, try again later`;
  }
}

/** What one request holds, checked against its own bound and taken from the node's budget as it grows. */
export class RequestMeter {
  private held = 0;

  constructor(
    private readonly maxRequestBytes: number,
    private readonly budget?: ByteBudget,
  ) {}

  /** Bytes this request holds now. */
  get size(): number {
    return this.held;
  }

  /** The request now holds `total` bytes. Throws a RequestLimitError (and holds nothing more) if over a bound. */
  grow(total: number): void {
    if (total <= this.held) return;
    if (total > this.maxRequestBytes) throw new RequestLimitError('request', this.maxRequestBytes);
    if (this.budget && !this.budget.take(total - this.held)) throw new RequestLimitError('buffered', this.budget.limit);
    this.held = total;
  }

  /** The request is over: gives its bytes back. Safe to call more than once. */
  release(): void {
    this.budget?.give(this.held);
    this.held = 0;
  }
}
