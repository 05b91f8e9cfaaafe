// The node's data directory, checked once at start: `<datadir>/<nodeid>` is created (0700) and proven writable
// with a probe file, so a datadir the node cannot use is one configuration error (exit 2) before anything
// listens, not a hang or an internal error later.
//
// Receptor does no such check: Workceptor.New (pkg/workceptor/workceptor.go) only joins the path, and the first
// submit fails with `mkdir ...: <errno text>` (generateUnitID: os.MkdirAll(unitdir, 0o700)). The directory walk
// below follows Go's os.MkdirAll (src/os/path.go): stat, else make the parent, then mkdir, and accept a directory
// that appeared meanwhile. Every directory it creates gets 0700, as MkdirAll(…, 0o700) gives them.
//
// Why not `fs.mkdir(dir, { recursive: true })`: Node's own walk (MKDirpAsync / MKDirpSync in src/node_file.cc;
// seen on Node 20.20) steps back to the parent on ENOENT and forward again once the parent exists, with no check
// that the retry can do better. Under /proc (or any directory that refuses new entries with ENOENT) it alternates
// `mkdir /proc/nope` = ENOENT, `mkdir /proc` = EEXIST for ever: `datadir: /proc/nope` hung the node at 100% CPU.
// It also reports EROFS as ENOENT (it stats the path after any other error). The walk here visits each path
// component at most once and reports the error of the mkdir that failed.
import { lstat, mkdir, open, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MeshctlError } from '../../errors.js';

/** How long the whole check may take before the node gives up on the file system (a hung network mount). */
export const DATADIR_CHECK_TIMEOUT_MS = 5_000;

/** File-system calls the check makes; tests replace them to simulate a file system that never answers. */
export interface DataDirFs {
  stat: typeof stat;
  lstat: typeof lstat;
  mkdir: typeof mkdir;
  open: typeof open;
  unlink: typeof unlink;
}

const REAL_FS: DataDirFs = { stat, lstat, mkdir, open, unlink };

export interface PrepareDataDirOptions {
  /** Prefix for the error message: where the datadir was configured (`cfg.yaml:1: entry #1 (node)`). */
  label?: string;
  timeoutMs?: number;
  fs?: DataDirFs;
}

/** A failed file-system call in Go's words: `mkdir /proc/nope: no such file or directory`. */
class PathError extends Error {
  override name = 'PathError';
  constructor(
    readonly op: string,
    readonly file: string,
    /** errno name: ENOENT, EROFS... ('' when unknown) */
    readonly errno: string,
    text: string,
    options?: { cause?: unknown },
  ) {
    super(`${op} ${file}: ${text}`, options);
  }

  /** Node's `ENOENT: no such file or directory, mkdir '/x'` → op mkdir, errno ENOENT, text as strerror says it. */
  static from(err: unknown, op: string, file: string): PathError {
    const e = err as NodeJS.ErrnoException;
    const m = /^[A-Z0-9_]+: (.*?), [a-z_]+(?: '.*')?$/s.exec(e?.message ?? '');
    return new PathError(e?.syscall ?? op, e?.path ?? file, e?.code ?? '', m ? m[1]! : (e?.message ?? String(err)), { cause: err });
  }
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Advice per errno: what is wrong with the directory and what to do. */
function hintFor(errno: string): string {
  switch (errno) {
    case 'ENOENT':
      return 'a parent exists but takes no new directories, as under /proc or /sys or behind a dangling symlink; set datadir to a writable directory';
    case 'EACCES':
    case 'EPERM':
      return "the node's user may not write there; fix the permissions or set datadir to another directory";
    case 'EROFS':
      return 'that file system is mounted read-only; set datadir to a writable directory';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file is in the way; remove it or set datadir to another directory';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the file system is full; free some space or set datadir to another directory';
    case 'ETIMEDOUT':
      return 'the file system did not answer, perhaps a hung network mount; check it or set datadir to another directory';
    default:
      return 'set datadir to a writable directory';
  }
}

async function mkdirAll(fs: DataDirFs, dir: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(dir);
  } catch {
    st = undefined; // missing, or unreachable: the mkdir below says which
  }
  if (st) {
    if (st.isDirectory()) return;
    throw new PathError('mkdir', dir, 'ENOTDIR', 'not a directory');
  }
  const parent = path.dirname(dir);
  if (parent !== dir) await mkdirAll(fs, parent);
  try {
    await fs.mkdir(dir, { mode: 0o700 });
  } catch (err) {
    // Created by someone else between our stat and mkdir: fine, as in Go.
    const again = await fs.lstat(dir).catch(() => undefined);
    if (again?.isDirectory()) return;
    throw PathError.from(err, 'mkdir', dir);
  }
}

/** Creates and removes a file in `dir`: a directory can exist and still refuse files (read-only, full, no rights). */
async function probeWritable(fs: DataDirFs, dir: string): Promise<void> {
  // Math.random, not node:crypto: a name needs no secrecy, and this runs before the control socket opens, where
  // loading node:crypto cost ~5 ms of `meshctl node`'s start-up (issue 12, bench/node-startup.js).
  const file = path.join(dir, `.meshctl-probe-${process.pid}-${Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0')}`);
  let handle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (err) {
    throw PathError.from(err, 'open', file);
  }
  await handle.close();
  try {
    await fs.unlink(file);
  } catch (err) {
    throw PathError.from(err, 'remove', file);
  }
}

/**
 * Makes sure `<dataDir>/<nodeId>` exists (mode 0700 when created) and that the node can create and remove files
 * in it, within `timeoutMs`. Returns that directory. Throws MeshctlError EBADCONFIG (exit 2), one line naming
 * the datadir and the failing call: `datadir '/proc/nope' is not usable: mkdir /proc/nope: no such file or
 * directory`. A call still pending at the timeout is left to finish on its own (Node cannot cancel it).
 */
export async function prepareDataDir(dataDir: string, nodeId: string, options: PrepareDataDirOptions = {}): Promise<string> {
  const fs = options.fs ?? REAL_FS;
  const timeoutMs = options.timeoutMs ?? DATADIR_CHECK_TIMEOUT_MS;
  const unitsDir = path.join(dataDir, nodeId);
  const target = path.resolve(unitsDir);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await mkdirAll(fs, target);
        await probeWritable(fs, target);
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`no answer from the file system within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    const prefix = options.label ? `${options.label}: ` : '';
    const errno = err instanceof PathError ? err.errno : err instanceof TimeoutError ? 'ETIMEDOUT' : '';
    throw new MeshctlError('EBADCONFIG', `${prefix}datadir '${dataDir}' is not usable: ${(err as Error).message}`, {
      cause: err,
      hint: hintFor(errno),
      data: { datadir: dataDir, dir: unitsDir, errno },
    });
  } finally {
    clearTimeout(timer);
  }
  return unitsDir;
}
