// A work unit's status as Receptor keeps it: in memory, and in `<unitdir>/status` as the Go struct
// StatusFileData marshalled compactly with its fields in declaration order (State, Detail, StdoutSize,
// WorkType, ExtraData) plus a newline (pkg/workceptor/interfaces.go, workunitbase.go saveToFile).
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { goMarshal, goStruct } from '../../protocol/go-json.js';

export const WorkState = { Pending: 0, Running: 1, Succeeded: 2, Failed: 3, Canceled: 4 } as const;

/** ExtraData of command units (pkg/workceptor/command.go CommandExtraData). */
export interface CommandExtraData {
  Pid: number;
  Params: string;
}

export interface StatusFileData {
  State: number;
  Detail: string;
  StdoutSize: number;
  WorkType: string;
  ExtraData: CommandExtraData | string | Record<string, unknown> | null;
}

/** WorkStateToString (workunitbase.go). */
export function stateName(state: number): string {
  switch (state) {
    case 0:
      return 'Pending';
    case 1:
      return 'Running';
    case 2:
      return 'Succeeded';
    case 3:
      return 'Failed';
    case 4:
      return 'Canceled';
    default:
      return `Unknown: ${state}`;
  }
}

/** Succeeded or Failed: Canceled is deliberately not complete (IsComplete in workunitbase.go). */
export function isComplete(state: number): boolean {
  return state === WorkState.Succeeded || state === WorkState.Failed;
}

function extraDataValue(ed: StatusFileData['ExtraData']): unknown {
  if (ed !== null && typeof ed === 'object' && 'Pid' in ed && 'Params' in ed) {
    return goStruct({ Pid: ed.Pid, Params: ed.Params });
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
