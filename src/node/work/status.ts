// A work unit's status as Receptor keeps it: in memory, and in `<unitdir>/status` as the Go struct
// StatusFileData marshalled compactly with its fields in declaration order (State, Detail, StdoutSize,
// WorkType, ExtraData) plus a newline (pkg/workceptor/interfaces.go, workunitbase.go saveToFile).
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { goMarshal, goQuote, goStruct } from '../../protocol/go-json.js';
import { isComplete, WorkState, workStateName, type CommandExtraData, type RemoteExtraData } from '../../protocol/types.js';

// The state table and ExtraData shapes are the protocol's own (src/protocol/types.ts): the node writes what
// the client reads. RemoteExtraData keeps Expiration as Go marshals a time.Time (`0001-01-01T00:00:00Z`
// when there is no ttl).
export { isComplete, WorkState, type CommandExtraData, type RemoteExtraData };

/** Go's zero time.Time as encoding/json writes it. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function isRemoteExtraData(ed: unknown): ed is RemoteExtraData {
  return ed !== null && typeof ed === 'object' && 'RemoteNode' in ed && 'RemoteParams' in ed;
}

/** A RemoteExtraData with every field present (for data read back from a status file). */
export function remoteExtraData(raw: Partial<RemoteExtraData> = {}): RemoteExtraData {
  // Parameter names are the submitter's: a prototype-free map keeps `__proto__` as an ordinary key.
  const params = Object.create(null) as Record<string, string>;
  if (raw.RemoteParams && typeof raw.RemoteParams === 'object') {
    for (const [k, v] of Object.entries(raw.RemoteParams)) if (typeof v === 'string') params[k] = v;
  }
  return {
    RemoteNode: typeof raw.RemoteNode === 'string' ? raw.RemoteNode : '',
    RemoteWorkType: typeof raw.RemoteWorkType === 'string' ? raw.RemoteWorkType : '',
    RemoteParams: params,
    RemoteUnitID: typeof raw.RemoteUnitID === 'string' ? raw.RemoteUnitID : '',
    RemoteStarted: raw.RemoteStarted === true,
    LocalCancelled: raw.LocalCancelled === true,
    LocalReleased: raw.LocalReleased === true,
    SignWork: raw.SignWork === true,
    TLSClient: typeof raw.TLSClient === 'string' ? raw.TLSClient : '',
    Expiration: typeof raw.Expiration === 'string' ? raw.Expiration : GO_ZERO_TIME,
  };
}

/** Status() of a remote unit hides `secret_*` parameters (case-insensitive); the status file keeps them. */
export function redactRemoteExtraData(ed: RemoteExtraData): RemoteExtraData {
  const params = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(ed.RemoteParams)) if (!k.toLowerCase().startsWith('secret_')) params[k] = v;
  return { ...ed, RemoteParams: params };
}

export interface StatusFileData {
  State: number;
  Detail: string;
  StdoutSize: number;
  WorkType: string;
  ExtraData: CommandExtraData | RemoteExtraData | string | Record<string, unknown> | null;
}

/** WorkStateToString in pkg/workceptor/workunitbase.go. */
export const stateName = workStateName;

export function extraDataValue(ed: StatusFileData['ExtraData']): unknown {
  if (ed !== null && typeof ed === 'object' && 'Pid' in ed && 'Params' in ed) {
    return goStruct({ Pid: ed.Pid, Params: ed.Params });
  }
  if (isRemoteExtraData(ed)) {
    return goStruct({
      RemoteNode: ed.RemoteNode,
      RemoteWorkType: ed.RemoteWorkType,
      RemoteParams: ed.RemoteParams,
      RemoteUnitID: ed.RemoteUnitID,
      RemoteStarted: ed.RemoteStarted,
      LocalCancelled: ed.LocalCancelled,
      LocalReleased: ed.LocalReleased,
      SignWork: ed.SignWork,
      TLSClient: ed.TLSClient,
      Expiration: ed.Expiration,
    });
  }
  return ed;
}

/** The status file's bytes. */
export function encodeStatusFile(s: StatusFileData): string {
  return (
    goMarshal(
      goStruct({
        State: s.State,
        Detail: s.Detail,
        StdoutSize: s.StdoutSize,
        WorkType: s.WorkType,
        ExtraData: extraDataValue(s.ExtraData),
      }),
    ) + '\n'
  );
}

/**
 * The object `work status` / `work list` answer with: the struct's fields plus StateName, as a Go map
 * (so the keys come out sorted). `extraData` overrides ExtraData (e.g. "Unknown WorkType").
 */
export function statusForReply(s: StatusFileData, extraData: unknown = extraDataValue(s.ExtraData)): Record<string, unknown> {
  return {
    State: s.State,
    Detail: s.Detail,
    StdoutSize: s.StdoutSize,
    WorkType: s.WorkType,
    ExtraData: extraData,
    StateName: stateName(s.State),
  };
}

/**
 * goMarshal(statusForReply(s, extraData)) built directly: the keys written in the order Go's map sort gives
 * them (Detail, ExtraData, State, StateName, StdoutSize, WorkType). A `work list` of 10k units spent most of
 * its time building, sorting and walking those per-unit maps (bench/units-scale.js); the bytes are the same
 * (test/unit/node/status-reply.test.ts compares the two).
 */
export function statusReplyJson(s: StatusFileData, extraData: unknown = extraDataValue(s.ExtraData)): string {
  return (
    '{"Detail":' +
    goQuote(s.Detail) +
    ',"ExtraData":' +
    (extraData === null ? 'null' : typeof extraData === 'string' ? goQuote(extraData) : goMarshal(extraData)) +
    ',"State":' +
    jsonNumber(s.State) +
    ',"StateName":' +
    goQuote(stateName(s.State)) +
    ',"StdoutSize":' +
    jsonNumber(s.StdoutSize) +
    ',"WorkType":' +
    goQuote(s.WorkType) +
    '}'
  );
}

/** A safe integer as Go prints it; anything else (a float, -0, NaN) as goMarshal does, or its error. */
function jsonNumber(n: number): string {
  return Number.isSafeInteger(n) && !Object.is(n, -0) ? String(n) : goMarshal(n);
}

/** Parses a status file; throws with Go-like text when it is not valid JSON. */
export function decodeStatusFile(text: string): StatusFileData {
  const raw = JSON.parse(text) as Partial<StatusFileData>;
  return {
    State: typeof raw.State === 'number' ? raw.State : 0,
    Detail: typeof raw.Detail === 'string' ? raw.Detail : '',
    StdoutSize: typeof raw.StdoutSize === 'number' ? raw.StdoutSize : 0,
    WorkType: typeof raw.WorkType === 'string' ? raw.WorkType : '',
    ExtraData: (raw.ExtraData ?? null) as StatusFileData['ExtraData'],
  };
}

/** Writes the status file atomically (temp file + rename) so a crash never leaves half a file. */
export async function writeStatusFile(unitDir: string, s: StatusFileData): Promise<void> {
  const file = path.join(unitDir, 'status');
  const tmp = `${file}.tmp`;
  await writeFile(tmp, encodeStatusFile(s), { mode: 0o600 });
  await rename(tmp, file);
}
