// The node's work units (Receptor's Workceptor, pkg/workceptor/workceptor.go): allocation (local command
// units and `remote` units for work on other nodes), lookup, restart from disk, signature checks, shutdown.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KubeWorkerConfig, WorkCommandConfig } from '../../config/types.js';
import type { NodeLogger } from '../logger.js';
import { parseGoDuration } from '../../protocol/duration.js';
import { byteCompare } from '../../protocol/go-json.js';
import { goTimeString } from '../go-time.js';
import { CommandError } from './command-error.js';
import { KubeUnit, kubeExtraDataFromParams, type KubeEnv } from './kube-unit.js';
import { receivePayload, type PayloadConnection } from './intake.js';
import { RemoteWorkUnit, type RemoteWorkEnv } from './remote.js';
import { leftoverProgram } from './leftover.js';
import { UnitRunner } from './runner/client.js';
import { JwtError, loadRsaPublicKey, verifyWorkToken } from './signing.js';
import { decodeStatusFile, isRemoteExtraData, remoteExtraData, WorkState, type StatusFileData } from './status.js';
import type { UnitBase, UnitOpOutcome } from './unit-base.js';
import { isSafeUnitId, newUnitId } from './unit-id.js';
import { combineParams, WorkUnit } from './unit.js';

export { CommandError } from './command-error.js';

/** Any unit the node keeps: a command unit or a remote unit. */
export type AnyUnit = WorkUnit | RemoteWorkUnit | KubeUnit;

/** The parameters of a submit for another node (Receptor AllocateRemoteUnit). */
export interface RemoteRequest {
  node: string;
  workType: string;
  requestedId: string;
  tlsClient: string;
  ttl: string;
  signWork: boolean;
  params: Record<string, string>;
}

/** A `work submit` as the control service parsed it. */
export interface SubmitRequest {
  workType: string;
  /** Work parameters (`params` for command units; every non-reserved key for remote units). */
  params: Record<string, string>;
  /** A unit ID the client asked for ('' = a fresh one). */
  requestedId: string;
  /** Local work: must be '' (Receptor: the ttl option is for remote work only). */
  ttl?: string;
  /** Work for another node. */
  remote?: { node: string; tlsClient: string; ttl: string; signWork: boolean };
}

export interface WorkceptorOptions {
  nodeId: string;
  /** The `datadir` of the node section; units live in `<datadir>/<nodeId>/`. */
  dataDir: string;
  workCommands: WorkCommandConfig[];
  /** work-kubernetes entries (kube-unit.ts). */
  kubeWorkers?: KubeWorkerConfig[];
  /** Every local work type in registration order (config/parse.ts workTypesInOrder); default: commands, then kube. */
  workTypesInOrder?: (WorkCommandConfig | KubeWorkerConfig)[];
  /** Where kube units look for a cluster; the process environment by default. */
  kubeEnv?: KubeEnv;
  logger: NodeLogger;
  /** work-verification publickey file (read at each verification, as Receptor does). */
  verifyingKeyFile?: string;
  cancelGraceMs?: number;
  /** How remote units reach other nodes; without it, submits for other nodes are refused. */
  remote?: RemoteWorkEnv;
  /** Names of the tls-client entries (a remote submit may name one). */
  hasTlsClient?: (name: string) => boolean;
}

export class Workceptor {
  readonly nodeId: string;
  readonly unitsDir: string;
  private readonly types = new Map<string, WorkCommandConfig>();
  private readonly kubeTypes = new Map<string, KubeWorkerConfig>();
  /** Every local work type in registration (file) order, as status advertises them. */
  private readonly advertised: { WorkType: string; Secure: boolean }[];
  private readonly kubeEnv: KubeEnv | undefined;
  private readonly units = new Map<string, AnyUnit>();
  private readonly logger: NodeLogger;
  private readonly verifyingKeyFile: string | undefined;
  private readonly cancelGraceMs: number;
  private readonly remote: RemoteWorkEnv | undefined;
  private readonly hasTlsClient: (name: string) => boolean;
  private readonly runner: UnitRunner;
  /** Unit directories found at start and not loaded yet (the load takes them one by one; `find` may go first). */
  private readonly unloaded = new Set<string>();
  /** Loads from disk under way, so two requests for one unit share one load. */
  private readonly scans = new Map<string, Promise<AnyUnit | undefined>>();
  /** The load of the units found at start (init); `work list` waits for it. */
  private loaded: Promise<void> = Promise.resolve();
  private closing = false;
  /**
   * The known unit IDs in Go's map-key order (UTF-8 bytes), as `work list` writes them; dropped whenever a unit
   * is added or forgotten (track), so sorting 10k IDs is paid once per change of membership, not per list.
   */
  private sortedIds: string[] | undefined;

  constructor(opts: WorkceptorOptions) {
    this.nodeId = opts.nodeId;
    this.unitsDir = path.join(opts.dataDir, opts.nodeId);
    for (const wc of opts.workCommands) this.types.set(wc.worktype, wc);
    for (const kc of opts.kubeWorkers ?? []) this.kubeTypes.set(kc.worktype, kc);
    this.advertised = (opts.workTypesInOrder ?? [...opts.workCommands, ...(opts.kubeWorkers ?? [])]).map((t) => ({
      WorkType: t.worktype,
      Secure: t.verifysignature,
    }));
    this.kubeEnv = opts.kubeEnv;
    this.logger = opts.logger;
    this.verifyingKeyFile = opts.verifyingKeyFile;
    this.cancelGraceMs = opts.cancelGraceMs ?? 10_000;
    this.remote = opts.remote;
    this.hasTlsClient = opts.hasTlsClient ?? (() => false);
    this.runner = new UnitRunner(opts.logger);
  }

  private track<T extends AnyUnit>(unit: T): T {
    this.units.set(unit.id, unit);
    this.sortedIds = undefined;
    // A unit is forgotten once released (remote units may finish releasing in the background).
    unit.forget = this.forgetUnit;
    return unit;
  }

  private readonly forgetUnit = (unit: UnitBase): void => {
    if (this.units.get(unit.id) === unit) {
      this.units.delete(unit.id);
      this.sortedIds = undefined;
    }
  };

  /** Work types in registration order, for status advertisements. */
  workCommands(): { WorkType: string; Secure: boolean }[] {
    return this.advertised.map((t) => ({ ...t }));
  }

  /**
   * Creates the data directory and lists the units a previous run left there; they are loaded in the
   * background (`loaded`), so the control service opens at once however many there are. Receptor 1.6.5 also
   * answers before its units are loaded (its control socket opens while the work-command sections still scan
   * the data directory, pkg/workceptor/workceptor.go RegisterWorker → scanForUnits), but its `work list` then
   * names only the units scanned so far, or hangs for good (findUnit calls scanForUnit, which takes the units
   * map's write lock, under the read lock); here `work list` waits for the load (listReply) and `work status` of
   * a unit not loaded yet loads that one first (find).
   */
  async init(): Promise<void> {
    await mkdir(this.unitsDir, { recursive: true, mode: 0o700 });
    for (const ent of await readdir(this.unitsDir, { withFileTypes: true })) {
      if (ent.isDirectory() && isSafeUnitId(ent.name)) this.unloaded.add(ent.name);
    }
    this.loaded = this.loadAll();
  }

  /**
   * Loads the units listed at start. Status files are small and read synchronously, in slices of at most
   * LOAD_SLICE_MS between which the event loop serves the control service: 10k status files read this way
   * took 100-140 ms on a 2-core VM, against 600 ms through fs.promises at 16 at a time and 1.1-2 s one at a
   * time (the threadpool round trips of open/fstat/read/close dominate). Units that need more than their
   * status (a running program to take back, a pending unit to fail, remote and kube units) continue
   * asynchronously, a bounded number at a time.
   */
  private async loadAll(): Promise<void> {
    const inFlight = new Set<Promise<unknown>>();
    // The first slice waits a turn too, so the caller of init() (the control service) goes first.
    let sliceStart = -Infinity;
    for (const id of [...this.unloaded]) {
      if (this.closing) break;
      if (performance.now() - sliceStart > LOAD_SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
        if (this.closing) break;
      }
      // Gone from the set: `find` loaded it first (and it may have been released since).
      if (!this.unloaded.delete(id)) continue;
      const dir = path.join(this.unitsDir, id);
      let text: string | undefined;
      try {
        text = readFileSync(path.join(dir, 'status'), 'utf8');
      } catch {
        text = undefined;
      }
      const restored = this.restore(id, dir, text);
      if (restored instanceof Promise) {
        const p = this.share(id, restored);
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        if (inFlight.size >= LOAD_ASYNC_LIMIT) await Promise.race(inFlight);
      }
    }
    await Promise.all(inFlight);
    this.unloaded.clear();
  }

  /** Registers a load under way so that a `find` for the same unit waits for it instead of loading it twice. */
  private share(id: string, p: Promise<AnyUnit | undefined>): Promise<AnyUnit | undefined> {
    const shared = p.catch((err: unknown) => {
      this.logger.error(`Failed to restart worker ${path.join(this.unitsDir, id)}: ${(err as Error).message}`);
      return undefined;
    });
    this.scans.set(id, shared);
    void shared.finally(() => {
      if (this.scans.get(id) === shared) this.scans.delete(id);
    });
    return shared;
  }

  // scanForUnit: a unit directory found on disk (at start, or by `find` for a directory that appeared since).
  // A unit whose restart is under way (a kube unit reconnecting) is answered once the restart is done, with
  // the state it leads to.
  private scanUnit(id: string): Promise<AnyUnit | undefined> {
    const shared = this.scans.get(id);
    if (shared) return shared;
    const existing = this.units.get(id);
    if (existing) return Promise.resolve(existing);
    if (!isSafeUnitId(id)) return Promise.resolve(undefined);
    this.unloaded.delete(id);
    const dir = path.join(this.unitsDir, id);
    return this.share(
      id,
      readFile(path.join(dir, 'status'), 'utf8').then(
        (text) => this.restore(id, dir, text),
        () => this.restore(id, dir, undefined),
      ),
    );
  }

  // A unit from its status file's text (undefined: no status file). Command units that were pending become
  // Failed ("Pending at restart", as in Receptor). Ones that were running are taken back when their program
  // still runs (the unit runner outlives the node and records the end: unit.ts, runner/); when it is gone
  // without a recorded end, the unit is Failed with a Detail that says so. A finished command unit, nearly
  // every unit on a busy node's disk, is restored at once (no promise), without touching its status file.
  private restore(id: string, dir: string, text: string | undefined): AnyUnit | undefined | Promise<AnyUnit | undefined> {
    if (text === undefined) {
      this.logger.error(`Status file has disappeared for ${id}.`);
      return undefined;
    }
    let status: StatusFileData;
    let loadError: string | undefined;
    try {
      status = decodeStatusFile(text);
    } catch (err) {
      loadError = (err as Error).message;
      status = { State: WorkState.Failed, Detail: '', StdoutSize: 0, WorkType: '', ExtraData: null };
    }
    const existing = this.units.get(id);
    if (existing) return existing;
    if (loadError === undefined && status.WorkType === 'remote' && this.remote) return this.restartRemote(id, dir, status);
    const kubeDef = loadError === undefined ? this.kubeTypes.get(status.WorkType) : undefined;
    if (kubeDef) return this.restartKube(id, dir, status, kubeDef);
    const def = this.types.get(status.WorkType);
    const needsWork =
      loadError !== undefined ||
      (def !== undefined && (status.State === WorkState.Pending || status.State === WorkState.Running || (status.ExtraData !== null && typeof status.ExtraData === 'object')));
    if (!needsWork) {
      return this.track(new WorkUnit({ id, dir, status, def, logger: this.logger, cancelGraceMs: this.cancelGraceMs, runner: this.runner }));
    }
    return this.restartCommand(id, dir, status, def, loadError);
  }

  private async restartCommand(id: string, dir: string, status: StatusFileData, def: WorkCommandConfig | undefined, loadError: string | undefined): Promise<AnyUnit> {
    const recordedPid = def !== undefined ? pidOf(status.ExtraData) : 0;
    const program = def !== undefined && status.State === WorkState.Running ? await leftoverProgram(recordedPid, path.join(dir, 'stdout')) : undefined;
    // A unit whose program is not running any more loses its Pid/Params, as when it ends under a node.
    const hadExtraData = def !== undefined && program === undefined && status.ExtraData !== null && typeof status.ExtraData === 'object';
    if (hadExtraData) status.ExtraData = null;
    const existing = this.units.get(id);
    if (existing) return existing;
    const unit = new WorkUnit({ id, dir, status, def, logger: this.logger, cancelGraceMs: this.cancelGraceMs, runner: this.runner });
    const size = async (): Promise<number> => {
      try {
        return (await stat(unit.stdoutPath)).size;
      } catch {
        return 0;
      }
    };
    if (loadError !== undefined) {
      this.logger.warning(`Failed to restart worker ${dir} due to read error: ${loadError}`);
      await unit.updateBasic(WorkState.Failed, `Failed to restart: ${loadError}`, await size());
    } else if (def) {
      if (status.State === WorkState.Pending) {
        await unit.updateBasic(WorkState.Failed, 'Pending at restart', await size());
      } else if (status.State === WorkState.Running) {
        if (program !== undefined) unit.adopt(program);
        else await unit.updateBasic(WorkState.Failed, 'Failed to restart: the unit was running and its program is gone without a recorded exit status', await size());
      } else if (hadExtraData) {
        await unit.save();
      }
    }
    return this.track(unit);
  }

  /** A kube unit found on disk: KubeUnit.restart; its error fails the unit (scanForUnit). */
  private async restartKube(id: string, dir: string, status: StatusFileData, def: KubeWorkerConfig): Promise<KubeUnit> {
    const unit = this.track(new KubeUnit({ id, dir, status, def, logger: this.logger, ...(this.kubeEnv ? { kubeEnv: this.kubeEnv } : {}) }));
    try {
      await unit.restart();
    } catch (err) {
      const msg = (err as Error).message;
      this.logger.warning(`Failed to restart worker ${dir}: ${msg}`);
      let size = 0;
      try {
        size = (await stat(unit.stdoutPath)).size;
      } catch {
        size = 0;
      }
      await unit.updateBasic(WorkState.Failed, `Failed to restart: ${msg}`, size);
    }
    return unit;
  }

  /** A remote unit found on disk resumes (RemoteWorkUnit.restart). */
  private async restartRemote(id: string, dir: string, status: StatusFileData): Promise<RemoteWorkUnit> {
    const unit = this.track(new RemoteWorkUnit({ id, dir, status, logger: this.logger, env: this.remote! }));
    let size = 0;
    try {
      size = (await stat(unit.stdoutPath)).size;
    } catch {
      size = 0;
    }
    await unit.restart(size);
    return unit;
  }

  /** findUnit: a loaded unit, or one whose directory appeared since start; else `unknown work unit X`. */
  async find(id: string): Promise<AnyUnit> {
    const unit = await this.scanUnit(id);
    if (!unit) throw new CommandError(`unknown work unit ${id}`);
    return unit;
  }

  /** IDs of the known units, once every unit found at start is loaded (a `work list` is never partial). */
  async listIds(): Promise<string[]> {
    await this.loaded;
    return [...this.units.keys()];
  }

  /**
   * The whole `work list` reply (without its newline): every known unit's status, once every unit found at start
   * is loaded, as goMarshal writes a map of unit ID → reply() (keys in UTF-8 byte order). Built here from each
   * unit's listEntry() (cached until its status changes) in one synchronous pass, so no unit is released half-way through (Receptor: controlsvc.go
   * `list` asks ListKnownUnitIDs, then each unit's status). The per-unit maps and their sort through goMarshal
   * made a 10k-unit list 2.2 times slower than receptor's (bench/units-scale.js).
   */
  async listReply(): Promise<string> {
    await this.loaded;
    const ids = (this.sortedIds ??= [...this.units.keys()].sort(byteCompare));
    const parts = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) parts[i] = this.units.get(ids[i]!)!.listEntry();
    return '{' + parts.join(',') + '}';
  }

  /** generateUnitID + the unit's directory: a requested ID is used verbatim, else a fresh random one. */
  private async makeUnitDir(requestedId: string): Promise<{ id: string; dir: string }> {
    for (;;) {
      let id: string;
      if (requestedId !== '') {
        if (!isSafeUnitId(requestedId)) throw new CommandError(`invalid work unit ID ${requestedId}`);
        id = requestedId;
      } else {
        id = newUnitId(this.nodeId);
      }
      const dir = path.join(this.unitsDir, id);
      if (!this.units.has(id)) {
        try {
          await mkdir(dir, { mode: 0o700 });
          // Receptor keeps an (empty) lock file next to the status file; created for an identical layout.
          await writeFile(path.join(dir, 'status.lock'), '', { mode: 0o600 }).catch(() => undefined);
          return { id, dir };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CommandError((err as Error).message);
        }
      }
      if (requestedId !== '') {
        throw new CommandError(`workunit ID ${id} is already in use, cannot use the same workunit ID more than once`);
      }
    }
  }

  /**
   * AllocateUnit + SetFromParams: a new unit of a local work type. Only the `params` parameter means
   * something to command units; it is refused unless the type has allowruntimeparams.
   */
  async allocate(workType: string, params: Record<string, string>, requestedId = ''): Promise<WorkUnit | KubeUnit> {
    const kubeDef = this.kubeTypes.get(workType);
    if (kubeDef) return this.allocateKube(kubeDef, params, requestedId);
    const def = this.types.get(workType);
    if (!def) throw new CommandError(`unknown work type ${workType}`);
    const runtime = params.params ?? '';
    if (runtime !== '' && !def.allowruntimeparams) throw new CommandError('extra params provided but not allowed');
    const { id, dir } = await this.makeUnitDir(requestedId);
    const unit = new WorkUnit({
      id,
      dir,
      def,
      logger: this.logger,
      cancelGraceMs: this.cancelGraceMs,
      runner: this.runner,
      status: {
        State: WorkState.Pending,
        Detail: 'Unit Created',
        StdoutSize: 0,
        WorkType: workType,
        ExtraData: { Pid: 0, Params: combineParams(def.params, runtime) },
      },
    });
    await unit.save();
    return this.track(unit);
  }

  /** A kube unit: its parameters are checked (SetFromParams) before it is saved. */
  private async allocateKube(def: KubeWorkerConfig, params: Record<string, string>, requestedId: string): Promise<KubeUnit> {
    const extra = await kubeExtraDataFromParams(def, params);
    const { id, dir } = await this.makeUnitDir(requestedId);
    const unit = new KubeUnit({
      id,
      dir,
      def,
      logger: this.logger,
      ...(this.kubeEnv ? { kubeEnv: this.kubeEnv } : {}),
      status: { State: WorkState.Pending, Detail: 'Unit Created', StdoutSize: 0, WorkType: def.worktype, ExtraData: { ...extra } },
    });
    await unit.save();
    return this.track(unit);
  }

  /**
   * AllocateRemoteUnit, with its checks in Receptor's order: the tls-client must exist, `secret_*`
   * parameters need one, then the unit is created (every parameter kept for the remote submit), then the
   * ttl is parsed — a bad ttl fails the submit but leaves the new unit behind, as in Receptor.
   */
  async allocateRemote(req: RemoteRequest): Promise<RemoteWorkUnit> {
    if (!this.remote) throw new CommandError(`remote work is not available on this node (node ${req.node} is not this node)`);
    if (req.tlsClient !== '' && !this.hasTlsClient(req.tlsClient)) throw new CommandError(`unknown TLS config ${req.tlsClient}`);
    if (req.tlsClient === '' && Object.keys(req.params).some((k) => k.toLowerCase().startsWith('secret_'))) {
      throw new CommandError('cannot send secrets over a non-TLS connection');
    }
    const { id, dir } = await this.makeUnitDir(req.requestedId);
    const unit = new RemoteWorkUnit({
      id,
      dir,
      logger: this.logger,
      env: this.remote,
      status: { State: WorkState.Pending, Detail: 'Unit Created', StdoutSize: 0, WorkType: 'remote', ExtraData: remoteExtraData({ RemoteParams: req.params }) },
    });
    await unit.save();
    this.track(unit);
    let expiration: string | undefined;
    if (req.ttl !== '') {
      let ns: bigint;
      try {
        ns = parseGoDuration(req.ttl);
      } catch (err) {
        this.logger.error("Failed to parse provided ttl -- valid examples include '1.5h', '30m', '30m10s'");
        throw new CommandError((err as Error).message);
      }
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      expiration = goTimeString(nowNs + ns);
    }
    await unit.setRequest({
      RemoteNode: req.node,
      RemoteWorkType: req.workType,
      TLSClient: req.tlsClient,
      SignWork: req.signWork,
      ...(expiration ? { Expiration: expiration } : {}),
    });
    return unit;
  }

  /**
   * A unit's start of life (pkg/workceptor/controlsvc.go `submit`): allocate it, take its payload whole
   * (intake.ts: a payload cut short fails the unit and throws PayloadError), then start it.
   */
  async submit(req: SubmitRequest, conn: PayloadConnection): Promise<{ unit: AnyUnit; outcome: UnitOpOutcome }> {
    let unit: AnyUnit;
    if (req.remote) {
      const r = req.remote;
      unit = await this.allocateRemote({ node: r.node, workType: req.workType, requestedId: req.requestedId, tlsClient: r.tlsClient, ttl: r.ttl, signWork: r.signWork, params: req.params });
    } else {
      if ((req.ttl ?? '') !== '') throw new CommandError('ttl option is intended for remote work only');
      unit = await this.allocate(req.workType, req.params, req.requestedId);
    }
    // A command unit's start never fails the submit (a failure becomes its status), so its reply is known
    // to start `{"result":"Job S`: the probe can be sent. A remote unit's start may answer the remote's ERROR.
    await receivePayload(unit, conn, `Work unit created with ID ${unit.id}. Send stdin data and EOF.\n`, unit instanceof WorkUnit);
    await unit.updateBasic(WorkState.Pending, 'Starting Worker', 0);
    let outcome: UnitOpOutcome;
    try {
      outcome = await unit.start();
    } catch (err) {
      await unit.updateBasic(WorkState.Failed, `Error starting worker: ${(err as Error).message}`, 0);
      throw new CommandError((err as Error).message);
    }
    return { unit, outcome };
  }

  /** `work cancel`: 'pending' when a remote unit's node cannot be reached now. */
  cancel(unit: AnyUnit): Promise<UnitOpOutcome> {
    return unit.cancel();
  }

  /** `work release` / `force-release`: the unit is forgotten once its directory is gone. */
  release(unit: AnyUnit, force: boolean): Promise<UnitOpOutcome> {
    return unit.release(force);
  }

  /** getSignWorkFromStatus: remote units submitted with signwork sign their cancel/release/results. */
  static signWorkOf(unit: UnitBase): boolean {
    const ed = unit.status.ExtraData;
    return unit.status.WorkType === 'remote' && isRemoteExtraData(ed) && ed.SignWork;
  }

  /** ShouldVerifySignature: types declared with verifysignature (remote units: when signwork). */
  shouldVerifySignature(workType: string, signWork: boolean): boolean {
    if (workType === 'remote') return signWork;
    return (this.types.get(workType) ?? this.kubeTypes.get(workType))?.verifysignature === true;
  }

  /** VerifySignature with Receptor's error texts. */
  async verifySignature(signature: string): Promise<void> {
    if (signature === '') throw new CommandError('could not verify signature: signature is empty');
    if (!this.verifyingKeyFile) throw new CommandError('could not verify signature: verifying key not specified');
    let key;
    try {
      key = loadRsaPublicKey(await readFile(this.verifyingKeyFile));
    } catch (err) {
      throw new CommandError(`could not load verifying key file: ${(err as Error).message}`);
    }
    let audienceOk: boolean;
    try {
      ({ audienceOk } = verifyWorkToken(signature, key, this.nodeId));
    } catch (err) {
      if (err instanceof JwtError) throw new CommandError(`could not verify signature: ${err.message}`);
      throw new CommandError(`could not verify signature: ${(err as Error).message}`);
    }
    if (!audienceOk) throw new CommandError('token audience did not match node ID');
  }

  /** processSignature (pkg/workceptor/controlsvc.go): skipped on Unix-socket sessions. */
  async processSignature(workType: string, signature: string, connIsUnix: boolean, signWork: boolean): Promise<void> {
    const should = this.shouldVerifySignature(workType, signWork);
    if (!should && signature !== '') throw new CommandError('work type did not expect a signature');
    if (should && !connIsUnix) await this.verifySignature(signature);
  }

  /**
   * Node shutdown. With `stopWork` every running program is stopped (units become Failed/"Killed");
   * without it programs go on under the unit runner and the next node on this data directory takes them
   * back, as Receptor's command runners outlive their node. Either way it waits only for status changes
   * already made: no status file is rewritten, so shutdown does not grow with the units on disk.
   */
  async close(graceMs = 2000, stopWork = true): Promise<void> {
    // Keeping work, a load still under way stops at its next slice; units it has not reached stay on disk
    // untouched. Stopping work, the load runs to its end first: a program a previous run left running is stopped
    // only once it is taken back (meshctl/testing's stop() after kill() starts a node on the directory to do
    // exactly that, and closing it at once left the program running when the load had not reached its unit).
    if (!stopWork) this.closing = true;
    await this.loaded;
    this.closing = true;
    const running = [...this.units.values()].filter((u) => u instanceof WorkUnit && u.isRunning).length;
    if (!stopWork && running > 0) this.logger.info(`${running} running work unit(s) keep running; the next start on ${this.unitsDir} takes them back`);
    await Promise.all([...this.units.values()].map((u) => u.shutdown(graceMs, stopWork)));
    await Promise.all([...this.units.values()].map((u) => u.flush()));
    this.runner.close();
  }
}

/** The longest the start-up load holds the event loop before the control service gets a turn. */
const LOAD_SLICE_MS = 5;
/** Units restored asynchronously at once during the load (each may write its status file). */
const LOAD_ASYNC_LIMIT = 32;

/** The Pid a command unit's ExtraData recorded (0 when none). */
function pidOf(extra: unknown): number {
  if (extra === null || typeof extra !== 'object') return 0;
  const pid = (extra as { Pid?: unknown }).Pid;
  return typeof pid === 'number' ? pid : 0;
}
