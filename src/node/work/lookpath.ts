// Finds the program of a work-command as Go's os/exec does (exec.Command + exec.LookPath), so start
// failures carry Receptor's Detail texts:
//   `exec: "nosuch": executable file not found in $PATH`   (a bare name not found on PATH)
//   `fork/exec /no/such: no such file or directory`        (a path that cannot be executed)
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

export class LookPathError extends Error {
  override name = 'LookPathError';
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path to execute for `command`: itself when it contains a slash, else the first match on PATH. */
export async function lookPath(command: string, envPath = process.env.PATH ?? ''): Promise<string> {
  if (command.includes('/')) return command;
  for (const dir of envPath.split(':')) {
    const candidate = path.join(dir === '' ? '.' : dir, command);
    if (await isExecutableFile(candidate)) return candidate;
  }
  throw new LookPathError(`exec: ${JSON.stringify(command)}: executable file not found in $PATH`);
}

/** Go's syscall.Errno text for a Node error code (`no such file or directory`). */
export function errnoText(err: NodeJS.ErrnoException): string {
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    ENOEXEC: 'exec format error',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
    EDQUOT: 'disk quota exceeded',
    EIO: 'input/output error',
    ENOTDIR: 'not a directory',
    E2BIG: 'argument list too long',
    ENOMEM: 'cannot allocate memory',
    ETXTBSY: 'text file busy',
    EISDIR: 'is a directory',
  };
  return (err.code && reasons[err.code]) ?? err.message;
}

/** Go's text for a failed fork/exec. */
export function forkExecError(file: string, err: NodeJS.ErrnoException): string {
  return `fork/exec ${file}: ${errnoText(err)}`;
}
