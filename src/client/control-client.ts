// ControlClient: the typed API over Receptor's control service. No commander, no chalk, no process.*.
//
// Simple commands share one lazily opened session (as receptorctl's ReceptorControl does). The terminal
// commands — submit, results, connect — each take a fresh session, because after them the server either
// closes the connection or turns it into a byte bridge (controlsvc.go: they write their own output).
import { ConnectionError, MeshctlError, ServerError } from '../errors.js';
import {
  connectRequest,
  pingRequest,
  reloadRequest,
  statusRequest,
  tracerouteRequest,
  workActionRequest,
  workListRequest,
  workResultsRequest,
  workStatusRequest,
  workSubmitRequest,
} from '../protocol/requests.js';
import { isConnectingLine, isResultsHeader, parseReply, parseSubmitCreated } from '../protocol/replies.js';
import type {
  PingResult,
  ReloadResult,
  Status,
  SubmitResult,
  TracerouteResult,
  WorkList,
  WorkOutcome,
  WorkUnitStatus,
} from '../protocol/types.js';
import { parseAddress, formatAddress, type Address } from '../transport/address.js';
import { dial } from '../transport/dial.js';
import type { ChunkSink, Conn } from '../transport/conn.js';
import type { CommandOptions, ControlClientOptions, PayloadSource, ResultsOptions, SubmitRequest } from './options.js';
import { Session } from './session.js';
import { uploadPayload } from './upload.js';
import { ResultsStream } from './results-stream.js';
import { ServiceBridge } from './service-bridge.js';
import { FollowStream, type FollowOptions } from './follow.js';
import { waitForUnit, type WaitOptions } from './wait.js';

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/** How a client reaches its control service: directly, or through `connect NODE SERVICE` on another client. */
interface Route {
  where: string;
  plainTcp: boolean;
  open(signal?: AbortSignal): Promise<{ conn: Conn; initial?: Buffer }>;
}

export class ControlClient {
  readonly address: Address;
  private readonly opts: ControlClientOptions;
  private readonly route: Route;
  private main: Promise<Session> | undefined;
  private mainSession: Session | undefined;
  private readonly open = new Set<Session>();

  constructor(opts: ControlClientOptions, route?: Route) {
    this.opts = opts;
    this.address = parseAddress(opts.address);
    this.route = route ?? this.directRoute();
  }

  /** Node id from the greeting of the shared session (after connect()). */
  get nodeId(): string | undefined {
    return this.mainSession?.nodeId;
  }

  /** Opens the shared session now (it is otherwise opened by the first command). Resolves to the node id. */
  async connect(): Promise<string> {
    return (await this.shared()).nodeId;
  }

  /**
   * Sends one command (a text line or a JSON object) on the shared session and returns the parsed JSON
   * reply: receptorctl's `simple_command`. `ERROR:` replies throw ServerError.
   */
  async command<T = unknown>(cmd: string | Record<string, unknown>, opts: CommandOptions = {}): Promise<T> {
    const line = typeof cmd === 'string' ? cmd : JSON.stringify(cmd);
    if (line.includes('\n')) throw new MeshctlError('EUSAGE', 'a command must be a single line');
    return this.call<T>(line + '\n', opts);
  }

  status(fields?: readonly string[], opts?: CommandOptions): Promise<Status> {
    return this.call<Status>(statusRequest(fields), opts);
  }

  ping(node: string, opts?: CommandOptions): Promise<PingResult> {
    // Receptor waits up to 10 s for a ping reply (netceptor/ping.go): leave room beyond that.
    return this.call<PingResult>(pingRequest(node), { timeoutMs: longer(this.commandTimeout(), 15_000), ...opts });
  }

  traceroute(node: string, opts?: CommandOptions): Promise<TracerouteResult> {
    // Up to 30 hops of 10 s each in the worst case; the whole result comes at the end.
    return this.call<TracerouteResult>(tracerouteRequest(node), { timeoutMs: longer(this.commandTimeout(), 60_000), ...opts });
  }

  reload(opts?: CommandOptions): Promise<ReloadResult> {
    return this.call<ReloadResult>(reloadRequest(), opts);
  }

  workList(unitId?: string, opts?: CommandOptions): Promise<WorkList> {
    return this.call<WorkList>(workListRequest(unitId), opts);
  }

  workStatus(unitId: string, opts?: CommandOptions): Promise<WorkUnitStatus> {
    return this.call<WorkUnitStatus>(workStatusRequest(unitId), opts);
  }

  workCancel(unitId: string, opts: CommandOptions & { signature?: string } = {}): Promise<WorkOutcome> {
    return this.call<WorkOutcome>(workActionRequest('cancel', unitId, opts.signature), opts);
  }

  workRelease(unitId: string, opts: CommandOptions & { force?: boolean; signature?: string } = {}): Promise<WorkOutcome> {
    return this.call<WorkOutcome>(workActionRequest(opts.force ? 'force-release' : 'release', unitId, opts.signature), opts);
  }

  /**
   * Creates a unit and streams its payload. The payload is sent only after the `Work unit created` line
   * (bytes sent earlier would be read as commands if the submit fails), ends with a half-close, and the
   * final line is `{"result":...,"unitid":...}`. An `ERROR:` after the payload leaves a Failed unit behind:
   * the ServerError then carries `data.unitId`.
   *
   * The node is heard while the payload goes out: if it answers (`ERROR: ...`) or the connection breaks, sending
   * stops at once. An upload that stops early for any reason — that, the signal, a failing payload read — throws
   * UploadInterruptedError (unit id, bytes sent) after resetting the connection, so the node never takes part of
   * a payload for all of it (see upload.ts). Until the payload's end, every tear-down of this connection is a
   * reset, also while waiting for `Work unit created`: an orderly close there would run the unit on no payload.
   * A Readable payload is destroyed when the upload stops early.
   */
  async workSubmit(req: SubmitRequest, payload: PayloadSource, opts: { signal?: AbortSignal; onCreated?: (unitId: string) => void } = {}): Promise<SubmitResult> {
    const line = workSubmitRequest(req);
    const signal = anySignal(opts.signal, this.opts.signal);
    const session = await this.openSession(signal);
    try {
      session.guardPayload();
      const first = await session.request(line, { timeoutMs: this.commandTimeout(), signal });
      const unitId = parseSubmitCreated(first[0]!);
      if (unitId === null) {
        // Refused: no unit waits for a payload, so the connection may end in order.
        session.guardPayload(false);
        const reply = parseReply(first[0]!);
        if (reply.kind === 'error') throw new ServerError(reply.message);
        throw new MeshctlError('EPROTOCOL', `unexpected reply to work submit: '${first[0]}'`);
      }
      opts.onCreated?.(unitId);
      // No timeout for the final line: for remote work Receptor forwards the whole payload before answering.
      const last = await uploadPayload(session, payload, { unitId, where: this.route.where, signal });
      if (last === null) {
        throw new ConnectionError('ECLOSED', `${this.route.where} closed the connection before confirming unit ${unitId}`, {
          data: { unitId },
        });
      }
      const reply = parseReply(last);
      if (reply.kind === 'error') throw new ServerError(reply.message, { data: { unitId } });
      if (reply.kind === 'bad') throw new MeshctlError('EPROTOCOL', `unexpected reply to work submit: '${last}'`, { data: { unitId } });
      return reply.value as SubmitResult;
    } finally {
      this.closeSession(session);
    }
  }

  /**
   * Streams a unit's stdout from `startPos`. Iterate it with `for await`; breaking out closes the
   * connection. End of stream is only EOF (no trailer): check `workStatus` afterwards, as receptorctl does.
   */
  workResults(unitId: string, opts: ResultsOptions = {}): ResultsStream {
    const start = opts.startPos ?? 0;
    return new ResultsStream(unitId, start, async function* (this: ControlClient, sink?: ChunkSink) {
      const session = await this.openSession(opts.signal);
      try {
        // Half-close right after the request: the results stream has no end marker, and Receptor (v1.6.5,
        // SockControl.WriteToConn) goes back to reading commands once it has sent every byte. Only our EOF
        // makes it close the connection, which is how the stream's end reaches us. receptorctl does the
        // same (shutdown(SHUT_WR) after the header).
        await session.send(workResultsRequest(unitId, start, opts.signature));
        await session.end();
        const header = await session.readLine(this.commandTimeout(), undefined, opts.signal);
        if (header === null) throw new ConnectionError('ECLOSED', `${this.route.where} closed the connection`);
        if (!isResultsHeader(header)) {
          const reply = parseReply(header);
          if (reply.kind === 'error') throw new ServerError(reply.message);
          throw new MeshctlError('EPROTOCOL', `unexpected reply to work results: '${header}'`);
        }
        // ResultsStream.pipeTo hands a sink: the chunks go to it without an iterator step each.
        if (sink) await session.rawTo(sink, opts.signal);
        else yield* session.raw(opts.signal);
      } finally {
        this.closeSession(session);
      }
    }.bind(this));
  }

  /**
   * Results that resume after dropped connections, from the byte offset already delivered, and end once the
   * unit is complete and every byte up to its StdoutSize was delivered (or it was canceled). `final` holds the
   * unit's status afterwards. See follow.ts.
   */
  followResults(unitId: string, opts: FollowOptions = {}): FollowStream {
    return new FollowStream(this, unitId, opts);
  }

  /**
   * Waits until the unit is in a final state (Succeeded, Failed or Canceled) and returns that status, polling
   * `work status` on the shared session (one connection however many units are waited for). Throws
   * WaitTimeoutError at `timeoutMs`, ServerError (EUNKNOWNUNIT) for an unknown or released unit. See wait.ts.
   */
  waitForUnit(unitId: string, opts: WaitOptions = {}): Promise<WorkUnitStatus> {
    return waitForUnit(this, unitId, opts);
  }

  /**
   * `connect NODE SERVICE [TLS]`: after `Connecting` the session is a byte bridge to that service.
   * `tlsName` names a tls-client of the node we talk to (used for the mesh hop, not by us).
   */
  async connectService(node: string, service: string, tlsName?: string, opts: { signal?: AbortSignal } = {}): Promise<ServiceBridge> {
    const session = await this.openSession(opts.signal);
    try {
      const lines = await session.request(connectRequest(node, service, tlsName), {
        timeoutMs: longer(this.commandTimeout(), 20_000),
        signal: opts.signal,
      });
      if (!isConnectingLine(lines[0]!)) {
        const reply = parseReply(lines[0]!);
        // Receptor's refusals (`no route to node`, `service unknown`) name neither the node nor the service.
        if (reply.kind === 'error') throw new ServerError(reply.message, { context: `connect to service '${service}' on node '${node}'` });
        throw new MeshctlError('EPROTOCOL', `unexpected reply to connect: '${lines[0]}'`);
      }
    } catch (err) {
      this.closeSession(session);
      throw err;
    }
    return new ServiceBridge(session, () => this.open.delete(session));
  }

  /**
   * A client for another node's control service, reached through `connect NODE SERVICE` on this one
   * (receptorctl `work list --node`). Each of its sessions is its own bridge.
   */
  viaNode(node: string, opts: { service?: string; tlsName?: string } = {}): ControlClient {
    const service = opts.service ?? 'control';
    const parent = this;
    const route: Route = {
      where: `node '${node}' (via ${this.route.where})`,
      plainTcp: false,
      async open(signal) {
        const bridge = await parent.connectService(node, service, opts.tlsName, { signal });
        return bridge.detach();
      },
    };
    return new ControlClient(this.opts, route);
  }

  /** Closes every session this client opened. */
  async close(): Promise<void> {
    for (const s of this.open) s.close();
    this.open.clear();
    this.main = undefined;
    this.mainSession = undefined;
  }

  // --- internals -------------------------------------------------------------------------------------

  private commandTimeout(): number {
    return this.opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  private async call<T>(line: string, opts: CommandOptions = {}): Promise<T> {
    const session = await this.shared();
    const signal = anySignal(opts.signal, this.opts.signal);
    try {
      return await session.call<T>(line, { timeoutMs: opts.timeoutMs ?? this.commandTimeout(), signal });
    } catch (err) {
      // A lost reply leaves the session out of step: drop it so the next command starts clean.
      if (!(err instanceof ServerError)) this.dropShared(session);
      throw err;
    }
  }

  private shared(): Promise<Session> {
    if (this.mainSession?.closed) this.dropShared(this.mainSession);
    if (!this.main) {
      this.main = this.openSession(this.opts.signal).then(
        (s) => {
          this.mainSession = s;
          return s;
        },
        (err) => {
          this.main = undefined;
          throw err;
        },
      );
    }
    return this.main;
  }

  private dropShared(session: Session): void {
    if (this.mainSession === session) {
      this.main = undefined;
      this.mainSession = undefined;
    }
    this.closeSession(session);
  }

  private async openSession(signal?: AbortSignal): Promise<Session> {
    const sig = anySignal(signal, this.opts.signal);
    const { conn, initial } = await this.route.open(sig);
    const session = await Session.open(
      conn,
      { greetingTimeoutMs: this.opts.greetingTimeoutMs, trace: this.opts.trace, where: this.route.where, plainTcp: this.route.plainTcp, signal: sig },
      initial,
    );
    this.open.add(session);
    return session;
  }

  private closeSession(session: Session): void {
    session.close();
    this.open.delete(session);
  }

  private directRoute(): Route {
    const address = this.address;
    const opts = this.opts;
    return {
      where: formatAddress(address),
      plainTcp: address.kind === 'tcp',
      async open(signal) {
        const conn = await dial(address, {
          tls: opts.tls,
          connectTimeoutMs: opts.connectTimeoutMs,
          keepAliveMs: opts.keepAliveMs,
          signal,
        });
        return { conn };
      },
    };
  }
}

function longer(a: number, b: number): number {
  return a === 0 ? 0 : Math.max(a, b);
}

function anySignal(a?: AbortSignal, b?: AbortSignal): AbortSignal | undefined {
  // The shared session is opened with the client's own signal as both: no AbortSignal.any for that (its first use
  // costs a few tenths of a millisecond of every start-up, issue 13).
  if (!a || a === b) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}
