// A unit's program that outlived its node. Programs run under the unit runner, detached, in their own
// process group, writing straight into the unit's stdout file (unit.ts, runner/), so a node that stops or
// crashes (SIGTERM, SIGKILL, OOM) leaves them running, and the restarted node takes them back.
//
// The recorded Pid alone could name an unrelated process by now (pid reuse), so it is only trusted when
// /proc shows a process-group leader whose fd 1 is this unit's stdout file. Where /proc is missing, no
// program is taken back.
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

/** The recorded program if it is still running as it was started; undefined otherwise. */
export async function leftoverProgram(pid: number, stdoutPath: string): Promise<number | undefined> {
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  try {
    const out = await readlink(`/proc/${pid}/fd/1`);
    if (path.resolve(out) !== path.resolve(stdoutPath)) return undefined;
    // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || Number(fields[2]) !== pid) return undefined;
    return pid;
  } catch {
    return undefined;
  }
}
