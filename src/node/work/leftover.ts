// A unit's program that outlived its node. Programs run detached, in their own process group, writing
// straight into the unit's stdout file (unit.ts), so a node that crashes (SIGKILL, OOM) leaves them running.
// Receptor's command runner survives a restart too, and Receptor goes on monitoring it because the runner
// writes its own exit status into the unit's status file (pkg/workceptor/command.go, commandRunner). Our
// node is the only one that can learn the exit status, and it is gone: the unit can only be Failed, so the
// program must not go on writing into a finished unit's output. The restarted node kills its process group.
//
// The recorded Pid alone could name an unrelated process by now (pid reuse), so it is only trusted when
// /proc shows a process-group leader whose fd 1 is this unit's stdout file. Where /proc is missing, nothing
// is killed.
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

/** SIGKILL to the whole group; resolves once the leader is gone (or after `timeoutMs`). */
export async function killLeftover(pid: number, timeoutMs = 5000): Promise<boolean> {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    return true;
  }
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      // An orphan is reaped by init; until then it is a zombie, which no longer runs.
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
