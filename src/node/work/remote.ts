// A unit of work that runs on another node (Receptor's remoteUnit, pkg/workceptor/remote_work.go). The
// local unit (work type `remote`) keeps the request; it reaches the remote node's `control` service over
// the mesh (TLS inside the stream when a tls-client is named) and drives a unit there with ordinary
// control commands:
//   1. start: `{"command":"work","subcommand":"submit",...RemoteParams,"workUnitID":<our id>,...}`, the
//      stored payload, half-close, then the final line (ERROR → the unit fails). Sending our own id makes
//      the remote unit's id equal to ours (v1.6.5 StartRemoteUnit). The first attempt runs while the
//      client waits (`Job Started`); when the node cannot be reached the attempts go on in the background
//      (`Job Submitted`), 1 s apart growing ×1.5 to 60 s (GetConnection), until a ttl expires
//      (`Work unit expired on ...`).
//   2. mirror: `work status <id>` every second → our State/Detail/StdoutSize; `work results` from our
//      stdout's size → appended to our stdout, so `work results` here streams what the remote produced.
//      A dropped connection (a hop restarted) is dialled again and results resume from the bytes we hold,
//      so nothing is lost or repeated.
//   3. cancel / release go to the remote unit (`cancel pending` / `release pending` while it cannot be
//      reached); force-release tries once and forgets the unit anyway.
// Differences from Receptor, on purpose:
//   - the results stream is opened as soon as the remote unit runs (Receptor waits until the polled
//     StdoutSize grows), so output arrives as it is written;
//   - mirroring stops once the remote unit is finished (Succeeded, Failed or Canceled) and every byte is
//     here; Receptor's monitors keep polling until the unit is released;
//   - an attempt to start that fails in the background (the node became reachable but refused the
//     submit) marks the unit Failed `Error starting worker: ...` as the first attempt does; Receptor
//     only logs it and leaves the unit Pending;
//   - retries wait for the next route change as well as the timer, so a returning node is noticed at once.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { goMarshal } from '../../protocol/go-json.js';
import type { NodeLogger } from '../logger.js';
import { ControlConn } from './remote-conn.js';
import {
  extraDataValue,
  GO_ZERO_TIME,
  isRemoteExtraData,
  redactRemoteExtraData,
  remoteExtraData,
  statusForReply,
  WorkState,
  type RemoteExtraData,
  type StatusFileData,
} from './status.js';
import { UnitBase, type UnitOpOutcome } from './unit-base.js';
import { CommandError } from './command-error.js';

export interface RemoteWorkTiming {
  /** First wait between connection attempts (Receptor SuccessWorkSleep: 1 s), grown ×1.5 ... */
  retryInitialMs: number;
  /** ... up to this (Receptor MaxWorkSleep: 1 min). */
  retryMaxMs: number;
  /** `work status` poll interval (Receptor: 1 s). */
  statusPollMs: number;
  /** Wait for the remote greeting (Receptor: 5 s). */
  helloTimeoutMs: number;
}

export const DEFAULT_REMOTE_TIMING: RemoteWorkTiming = { retryInitialMs: 1000, retryMaxMs: 60_000, statusPollMs: 1000, helloTimeoutMs: 5000 };

/** What a remote unit needs from its node. */
export interface RemoteWorkEnv {
  /**
   * A stream to `node`'s `control` service; with `tlsClient` ('' = none) TLS runs inside it and the
   * certificate must name `node`. TLS failures are RemoteTlsErrors.
   */
  dialControl(node: string, tlsClient: string, signal: AbortSignal): Promise<Duplex>;
  /** Resolves on the next change of the routing table (or when `signal` aborts). */
  routesChanged(signal: AbortSignal): Promise<void>;
  /** A work-signing token for `node` (Receptor createSignature); rejects with Receptor's texts. */
  createSignature(node: string): Promise<string>;
  timing: RemoteWorkTiming;
}

/** A TLS handshake or certificate failure while reaching the remote control service. */
export class RemoteTlsError extends Error {
  override name = 'RemoteTlsError';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Go's time.Format("Mon Jan 2 15:04:05") in local time (setExpiration's Detail). */
export function goShortTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${d.getDate()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const isFinished = (state: number): boolean => state === WorkState.Succeeded || state === WorkState.Failed || state === WorkState.Canceled;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** An AbortController that also aborts when `parent` does. */
function linkedController(parent: AbortSignal): AbortController {
  const ac = new AbortController();
  if (parent.aborted) ac.abort();
  else {
    const onAbort = (): void => ac.abort();
    parent.addEventListener('abort', onAbort, { once: true });
    ac.signal.addEventListener('abort', () => parent.removeEventListener('abort', onAbort), { once: true });
  }
  return ac;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export interface RemoteWorkUnitOptions {
  id: string;
  dir: string;
  status: StatusFileData;
  logger: NodeLogger;
  env: RemoteWorkEnv;
}

export class RemoteWorkUnit extends UnitBase {
  private readonly env: RemoteWorkEnv;
  /** Receptor's topJC: aborting it stops connection retries, the start, the monitors and the ttl timer. */
  private job: AbortController | undefined;
  private readonly tasks = new Set<Promise<void>>();
  private monitoring = false;
  /** Bytes in our stdout file (only the download appends to it). */
  private localSize = 0;

  constructor(opts: RemoteWorkUnitOptions) {
    const ed = remoteExtraData(isRemoteExtraData(opts.status.ExtraData) ? opts.status.ExtraData : {});
    super({ id: opts.id, dir: opts.dir, status: { ...opts.status, ExtraData: ed }, logger: opts.logger });
    this.env = opts.env;
  }

  /** The unredacted extra data (secrets included: they are sent to the remote node). */
  private get extra(): RemoteExtraData {
    return this.current.ExtraData as RemoteExtraData;
  }

  private updateExtra(patch: Partial<RemoteExtraData>): Promise<void> {
    return this.update({ ExtraData: { ...this.extra, ...patch } });
  }

  /** Called by the Workceptor right after allocation (AllocateRemoteUnit's UpdateFullStatus). */
  setRequest(patch: Partial<RemoteExtraData>): Promise<void> {
    return this.updateExtra(patch);
  }

  /** Status(): `secret_*` parameters are not shown. */
  reply(): Record<string, unknown> {
    const ed = this.status.ExtraData;
    return isRemoteExtraData(ed) ? statusForReply(this.status, extraDataValue(redactRemoteExtraData(ed))) : statusForReply(this.status);
  }

  get signWork(): boolean {
    return this.extra.SignWork;
  }

  // ------------------------------------------------------------------ jobs

  private newJob(): AbortSignal {
    if (!this.job || this.job.signal.aborted) this.job = new AbortController();
    return this.job.signal;
  }

  private spawn(task: () => Promise<void>): void {
    const p = task().catch((err: unknown) => this.logger.error(`[${this.id}] remote unit task failed: ${message(err)}`));
    this.tasks.add(p);
    void p.finally(() => this.tasks.delete(p));
  }

  /** Aborts the job; with `wait`, also waits for its tasks (never from inside one of them). */
  private async stopJob(wait: boolean): Promise<void> {
    this.job?.abort();
    if (wait) await Promise.all([...this.tasks]);
  }

  // ------------------------------------------------------------------ connecting

  /** ConnectToRemote: a stream to the remote control service, greeting checked. */
  private async connect(signal: AbortSignal): Promise<ControlConn> {
    const ed = this.extra;
    const stream = await this.env.dialControl(ed.RemoteNode, ed.TLSClient, signal);
    return ControlConn.open(stream, ed.RemoteNode, this.env.timing.helloTimeoutMs, signal);
  }

  /** GetConnection: connect, retrying with back-off until connected or `signal` aborts (undefined then). */
  private async getConnection(signal: AbortSignal): Promise<ControlConn | undefined> {
    const { retryInitialMs, retryMaxMs } = this.env.timing;
    let wait = retryInitialMs;
    for (;;) {
      if (signal.aborted) return undefined;
      // Subscribe before trying, so a route that appears during the attempt still cuts the wait short.
      const attempt = linkedController(signal);
      try {
        const routes = this.env.routesChanged(attempt.signal);
        try {
          return await this.connect(signal);
        } catch (err) {
          if (signal.aborted) return undefined;
          this.logger.info(`Connection to ${this.extra.RemoteNode} failed with error: ${message(err)}`);
          // Receptor gives up on TLS errors while the remote unit has not started: getConnection tests
          // the error text for "CRYPTO_ERROR" (QUIC's wrapping of a handshake failure). That covers the
          // certificate checks (RemoteTlsError here) and a plain dial to a control service that takes
          // TLS (the mesh's `CRYPTO_ERROR 0x12a (local): insecure connection to secure service`).
          if (err instanceof RemoteTlsError || message(err).includes('CRYPTO_ERROR')) {
            const detail = `TLS error connecting to remote service: ${message(err)}`;
            if (!this.extra.RemoteStarted) {
              this.logger.error(detail);
              await this.update({ State: WorkState.Failed, Detail: detail });
              return undefined;
            }
            await this.update({ Detail: detail });
          }
        }
        await Promise.race([sleep(wait, signal), routes]);
      } finally {
        attempt.abort();
      }
      wait = Math.min(wait * 1.5, retryMaxMs);
    }
  }

  /**
   * runAndMonitor: one attempt now; if the node cannot be reached, attempts go on in the background
   * ('pending'). Once `action` succeeded: the local release (forRelease) or the mirroring.
   * An error of the action itself (the remote answered ERROR...) is thrown to the caller.
   */
  private async runAndMonitor(
    forRelease: boolean,
    action: (c: ControlConn, signal: AbortSignal) => Promise<void>,
    onBackgroundError?: (err: unknown) => Promise<void>,
    /** Called from one of this unit's tasks (which must not wait for itself). */
    inTask = false,
  ): Promise<UnitOpOutcome> {
    const signal = this.newJob();
    let conn: ControlConn;
    try {
      conn = await this.connect(signal);
    } catch (err) {
      this.logger.debug(`[${this.id}] ${this.extra.RemoteNode} not reachable now (${message(err)}); retrying in the background`);
      this.spawn(async () => {
        const c = await this.getConnection(signal);
        if (!c) return;
        try {
          await action(c, signal);
        } catch (e) {
          this.logger.error(`Error running action function: ${message(e)}`);
          await onBackgroundError?.(e);
          return;
        }
        await this.afterAction(forRelease, false);
      });
      return 'pending';
    }
    await action(conn, signal);
    await this.afterAction(forRelease, !inTask);
    return 'done';
  }

  private async afterAction(forRelease: boolean, canWait: boolean): Promise<void> {
    if (forRelease) {
      await this.stopJob(canWait);
      await this.removeDirectory(false);
    } else {
      this.startMonitor();
    }
  }

  // ------------------------------------------------------------------ actions

  private signature(node: string): Promise<string> {
    return this.env.createSignature(node);
  }

  /** StartRemoteUnit: submit, payload, half-close, final line. */
  private async submitRemote(conn: ControlConn, signal: AbortSignal): Promise<void> {
    const ed = this.extra;
    const node = ed.RemoteNode;
    // An abort (cancel, release, shutdown, ttl) also ends a payload transfer waiting for 'drain'.
    const onAbort = (): void => conn.close(true);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const cmd: Record<string, string> = { ...ed.RemoteParams };
      cmd.workUnitID = this.id;
      cmd.command = 'work';
      cmd.subcommand = 'submit';
      cmd.node = node;
      cmd.worktype = ed.RemoteWorkType;
      cmd.tlsclient = ed.TLSClient;
      if (ed.SignWork) cmd.signature = await this.signature(node);
      await conn.write(goMarshal(cmd) + '\n').catch((err: unknown) => {
        throw new CommandError(`write error sending to ${node}: ${message(err)}`);
      });
      const created = await conn.readLine(signal).catch((err: unknown) => {
        throw new CommandError(`read error reading from ${node}: ${message(err)}`);
      });
      const m = /with ID ([a-zA-Z0-9]+)\./.exec(created);
      if (!m) throw new CommandError(`could not parse response: ${created.replace(/\n+$/, '')}`);
      await this.updateExtra({ RemoteUnitID: m[1]! });
      await this.sendPayload(conn);
      conn.end();
      const final = await conn.readLine(signal).catch((err: unknown) => {
        throw new CommandError(`read error reading from ${node}: ${message(err)}`);
      });
      const e = /ERROR: (.*)/.exec(final);
      if (e) throw new CommandError(`error from remote: ${e[1]}`);
      await this.updateExtra({ RemoteStarted: true });
      this.logger.info(`[${this.id}] work unit started on ${node} as ${m[1]}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
      conn.close();
    }
  }

  /** The stored payload, with backpressure (the file is read in chunks, each write awaited). */
  private async sendPayload(conn: ControlConn): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(this.stdinPath, 'r');
    } catch (err) {
      throw new CommandError(`error opening stdin file: ${message(err)}`);
    }
    try {
      const buf = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        await conn.write(Buffer.from(buf.subarray(0, bytesRead)));
      }
    } catch (err) {
      throw new CommandError(`error sending stdin file: ${message(err)}`);
    } finally {
      await fh.close();
    }
  }

  /** cancelOrReleaseRemoteUnit: one `work cancel|release` on the remote unit. */
  private async cancelRemote(conn: ControlConn, release: boolean, signal: AbortSignal): Promise<void> {
    const ed = this.extra;
    const node = ed.RemoteNode;
    const sub = release ? 'release' : 'cancel';
    const onAbort = (): void => conn.close(true);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const cmd: Record<string, string> = { command: 'work', subcommand: sub, unitid: ed.RemoteUnitID };
      if (ed.SignWork) cmd.signature = await this.signature(node);
      await conn.write(goMarshal(cmd) + '\n').catch((err: unknown) => {
        throw new CommandError(`write error sending to ${node}: ${message(err)}`);
      });
      const reply = await conn.readLine(signal).catch((err: unknown) => {
        throw new CommandError(`read error reading from ${node}: ${message(err)}`);
      });
      // Receptor keeps the space and the newline after `ERROR:` in this text (response[6:]), which ends
      // the reply with an empty line; the message here is the remote's text alone.
      if (reply.startsWith('ERROR')) throw new CommandError(`error cancelling remote unit: ${reply.slice(6).trim()}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
      conn.close();
    }
  }

  // ------------------------------------------------------------------ start, cancel, release

  /** Start (startOrRestart(true)): 'done' = `Job Started`, 'pending' = `Job Submitted`. */
  async start(): Promise<UnitOpOutcome> {
    if (this.extra.RemoteStarted) throw new CommandError('unit was already started');
    if (this.job && !this.job.signal.aborted) throw new CommandError('start or monitor process already running');
    const signal = this.newJob();
    if (this.extra.Expiration !== GO_ZERO_TIME) this.spawn(() => this.expireAt(signal));
    return this.runAndMonitor(false, (c, s) => this.submitRemote(c, s), async (err) => {
      await this.updateBasic(WorkState.Failed, `Error starting worker: ${message(err)}`, 0);
    });
  }

  /** setExpiration: a unit that has not reached its node by the ttl fails and stops trying. */
  private async expireAt(signal: AbortSignal): Promise<void> {
    const at = Date.parse(this.extra.Expiration);
    if (Number.isNaN(at)) return;
    // setTimeout holds at most 2^31-1 ms (about 24 days); a longer ttl is waited out in steps.
    while (!signal.aborted && !this.extra.RemoteStarted && Date.now() < at) await sleep(Math.min(at - Date.now(), 2 ** 31 - 1), signal);
    if (signal.aborted || this.extra.RemoteStarted) return;
    await this.update({ State: WorkState.Failed, Detail: `Work unit expired on ${goShortTime(new Date(at))}` });
    this.logger.info(`[${this.id}] work unit expired before reaching ${this.extra.RemoteNode}`);
    this.job?.abort();
  }

  async cancel(): Promise<UnitOpOutcome> {
    return this.cancelOrRelease(false, false);
  }

  async release(force: boolean): Promise<UnitOpOutcome> {
    return this.cancelOrRelease(true, force);
  }

  private async cancelOrRelease(release: boolean, force: boolean): Promise<UnitOpOutcome> {
    await this.updateExtra(release ? { LocalCancelled: true, LocalReleased: true } : { LocalCancelled: true });
    if (!this.extra.RemoteStarted) {
      // Nothing runs remotely: stop trying to reach the node.
      await this.stopJob(true);
      if (release) {
        await this.removeDirectory(true);
        return 'done';
      }
      await this.updateBasic(WorkState.Failed, 'Locally Cancelled', 0);
      return 'done';
    }
    if (release && force) {
      const once = new AbortController();
      try {
        await this.cancelRemote(await this.connect(once.signal), true, once.signal);
      } catch (err) {
        this.logger.error(`Error with connect and run: ${message(err)}`);
      }
      await this.stopJob(true);
      await this.removeDirectory(true);
      return 'done';
    }
    return this.runAndMonitor(release, (c, s) => this.cancelRemote(c, release, s));
  }

  async shutdown(): Promise<void> {
    await this.stopJob(true);
  }

  /**
   * Restart after the node started again (Receptor Restart): a unit that never reached its node fails;
   * a pending cancel or release is carried out; otherwise mirroring resumes.
   */
  async restart(stdoutSize: number): Promise<void> {
    const ed = this.extra;
    if (!ed.RemoteStarted) {
      this.logger.warning(`Failed to restart worker ${this.dir}: remote work had not previously started`);
      await this.updateBasic(WorkState.Failed, 'Failed to restart: remote work had not previously started', stdoutSize);
      return;
    }
    if (ed.LocalReleased || ed.LocalCancelled) {
      const release = ed.LocalReleased;
      this.spawn(async () => {
        await this.runAndMonitor(release, (c, s) => this.cancelRemote(c, release, s), undefined, true).catch((err: unknown) => {
          this.logger.error(`Error running action function: ${message(err)}`);
        });
      });
      return;
    }
    this.newJob();
    this.startMonitor();
  }

  // ------------------------------------------------------------------ mirroring

  /** monitorRemoteUnit: the status poll and the download, until both are done or one gives up. */
  private startMonitor(): void {
    if (this.monitoring || this.released) return;
    const job = this.newJob();
    const mon = new AbortController();
    const stop = (): void => mon.abort();
    job.addEventListener('abort', stop, { once: true });
    this.monitoring = true;
    this.spawn(async () => {
      try {
        await Promise.all([
          this.pollStatus(mon.signal).then((r) => r === 'stop' && mon.abort()),
          this.download(mon.signal).then(() => mon.abort()),
        ]);
      } finally {
        job.removeEventListener('abort', stop);
        this.monitoring = false;
      }
    });
  }

  /** Every byte of a finished remote unit is here. */
  private downloadComplete(): boolean {
    const st = this.current;
    return isFinished(st.State) && this.localSize >= st.StdoutSize;
  }

  /** monitorRemoteStatus. 'finished' = the remote unit finished (the download may go on). */
  private async pollStatus(signal: AbortSignal): Promise<'stop' | 'finished'> {
    const { RemoteNode: node, RemoteUnitID: remoteId } = this.extra;
    let conn = await this.getConnection(signal);
    if (!conn) return 'stop';
    try {
      for (;;) {
        if (signal.aborted) return 'stop';
        let line: string;
        try {
          await conn.write(`work status ${remoteId}\n`);
          line = await conn.readLine(signal);
        } catch (err) {
          this.logger.debug(`Read error reading from ${node}: ${message(err)}`);
          conn.close(true);
          conn = await this.getConnection(signal);
          if (!conn) return 'stop';
          continue;
        }
        if (line.startsWith('ERROR')) {
          if (line.includes('unknown work unit')) {
            this.logger.debug(`Work unit ${remoteId} on node ${node} is gone.`);
            await this.update({ State: WorkState.Failed, Detail: 'Remote work unit is gone' });
            return 'stop';
          }
          this.logger.error(`Remote error: ${line.slice(6)}`);
          return 'stop';
        }
        let si: Partial<StatusFileData>;
        try {
          si = JSON.parse(line) as Partial<StatusFileData>;
        } catch {
          this.logger.error(`Error unmarshalling JSON: ${line}`);
          return 'stop';
        }
        const state = typeof si.State === 'number' ? si.State : 0;
        const detail = typeof si.Detail === 'string' ? si.Detail : '';
        const size = typeof si.StdoutSize === 'number' ? si.StdoutSize : 0;
        const cur = this.current;
        if (cur.State !== state || cur.Detail !== detail || cur.StdoutSize !== size) await this.updateBasic(state, detail, size);
        if (isFinished(state)) return 'finished';
        await sleep(this.env.timing.statusPollMs, signal);
      }
    } finally {
      conn?.close();
    }
  }

  /** monitorRemoteStdout: `work results` from our size, appended to our stdout, until complete. */
  private async download(signal: AbortSignal): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(this.stdoutPath, 'a', 0o600);
      this.localSize = (await stat(this.stdoutPath)).size;
    } catch (err) {
      this.logger.error(`Could not open stdout file ${this.stdoutPath}: ${message(err)}`);
      return;
    }
    const { RemoteNode: node, RemoteUnitID: remoteId, SignWork: signWork } = this.extra;
    try {
      for (;;) {
        if (signal.aborted || this.downloadComplete()) return;
        // Subscribe before trying: a failure below waits for the next status change or route change.
        const iteration = linkedController(signal);
        const changed = new Promise<void>((resolve) => {
          const done = (): void => {
            this.off('change', done);
            iteration.signal.removeEventListener('abort', done);
            resolve();
          };
          this.on('change', done);
          iteration.signal.addEventListener('abort', done, { once: true });
        });
        const routes = this.env.routesChanged(iteration.signal);
        const conn = await this.getConnection(signal);
        if (!conn) {
          iteration.abort();
          return;
        }
        let retry = true;
        try {
          const cmd: Record<string, unknown> = { command: 'work', subcommand: 'results', unitid: remoteId, startpos: this.localSize };
          if (signWork) {
            try {
              cmd.signature = await this.signature(node);
            } catch {
              this.logger.error('could not create signature to get results');
              return;
            }
          }
          await conn.write(goMarshal(cmd) + '\n');
          const header = await conn.readLine(signal);
          if (header.startsWith('ERROR') && header.includes('unknown work unit')) {
            this.logger.debug(`Work unit ${remoteId} on node ${node} is gone.`);
            await this.update({ State: WorkState.Failed, Detail: 'Remote work unit is gone' });
            return;
          }
          if (!header.includes('Streaming results')) {
            this.logger.warning(`Remote node ${node} did not stream results`);
          } else {
            await this.copyResults(conn, fh, signal);
            retry = !this.downloadComplete();
          }
        } catch (err) {
          if (!signal.aborted) this.logger.warning(`Could not copy to stdout file ${this.stdoutPath}: ${message(err)}`);
        } finally {
          // A finished stream is closed gracefully; one still following (Canceled) is reset at once.
          conn.close(this.current.State === WorkState.Canceled || signal.aborted);
        }
        if (retry && !signal.aborted && !this.downloadComplete()) {
          await Promise.race([sleep(this.env.timing.retryInitialMs, signal), changed, routes]);
        }
        iteration.abort();
      }
    } finally {
      await fh.close();
    }
  }

  /** Appends the result bytes to our stdout until the stream ends or the download is complete. */
  private async copyResults(conn: ControlConn, fh: FileHandle, signal: AbortSignal): Promise<void> {
    const onChange = (): void => {
      if (this.downloadComplete()) conn.close(this.current.State === WorkState.Canceled);
    };
    const onAbort = (): void => conn.close(true);
    this.on('change', onChange);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      onChange();
      for (;;) {
        const chunk = await conn.read();
        if (chunk === null) return;
        await fh.write(chunk, 0, chunk.length, null);
        this.localSize += chunk.length;
        // Wakes `work results` followers of this unit (and checks for completion through onChange).
        this.bump();
        if (this.downloadComplete()) return;
      }
    } finally {
      this.off('change', onChange);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
