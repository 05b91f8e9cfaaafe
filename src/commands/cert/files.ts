// File handling of the cert commands: read inputs with errors naming the file; write outputs so that a
// failure leaves no partial result and nothing is overwritten without --force.
//
// Outputs are all checked before anything is generated or written, then each is written to a temporary
// file in its target directory and, once every temporary file is complete, moved into place: with
// link() when not forcing (atomic "create only if absent"), with rename() under --force.
import { randomBytes } from 'node:crypto';
import { link, lstat, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MeshctlError, UsageError } from '../../errors.js';
import { hintFor } from '../../cmdutil/hints.js';

export interface OutputFile {
  path: string;
  /** What the file holds, for messages: 'CA certificate', 'private key'. */
  what: string;
  /** The flag that named it, for messages: '--out-key'. */
  flag: string;
  data: string;
  /** 0o600 for private keys (forced, whatever the umask), 0o644 otherwise (umask applies). */
  mode: number;
}

function fileError(message: string, err: unknown, hint?: string): MeshctlError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new MeshctlError('EBADFILE', code ? `${message}: ${code}` : message, hint === undefined ? { cause: err } : { cause: err, hint });
}

export async function readInput(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw fileError(`cannot read ${what} '${path}'`, err);
  }
}

/** Re-raises a library error about a file's content with the file named. */
export function aboutFile<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw wrapAboutFile(path, what, err);
  }
}

export async function aboutFileAsync<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrapAboutFile(path, what, err);
  }
}

function wrapAboutFile(path: string, what: string, err: unknown): unknown {
  if (err instanceof MeshctlError && err.code === 'EBADFILE') {
    return new MeshctlError('EBADFILE', `${what} '${path}': ${err.message}`, { cause: err, hint: hintFor(err) });
  }
  return err;
}

/**
 * Checks that the outputs can be written: distinct, not one of the inputs, absent (or --force), in an
 * existing directory. Call before any slow work so a mistake is reported at once.
 */
export async function checkOutputs(
  outputs: readonly Pick<OutputFile, 'path' | 'flag' | 'what'>[],
  options: { force?: boolean; inputs?: readonly string[] },
): Promise<void> {
  const seen = new Map<string, string>();
  const inputs = new Set((options.inputs ?? []).map((p) => resolve(p)));
  for (const out of outputs) {
    const full = resolve(out.path);
    const twin = seen.get(full);
    if (twin) throw new UsageError(`${twin} and ${out.flag} name the same file '${out.path}'`, { hint: 'give each output its own file' });
    seen.set(full, out.flag);
    if (inputs.has(full)) throw new UsageError(`${out.flag} '${out.path}' is also an input file`, { hint: 'write the output to a new file' });
    let st;
    try {
      st = await lstat(full);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(`cannot check ${out.flag} '${out.path}'`, err);
    }
    if (st?.isDirectory()) throw new MeshctlError('EBADFILE', `${out.flag} '${out.path}' is a directory`, { hint: 'name a file' });
    if (st && !options.force) {
      throw new MeshctlError('EBADFILE', `${out.what} '${out.path}' already exists`, { hint: 'pass --force to overwrite it' });
    }
    const dir = dirname(full);
    try {
      if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    } catch (err) {
      throw fileError(`directory '${dirname(out.path)}' of ${out.flag} does not exist`, undefined, 'create it first');
    }
  }
}

/** Writes every output or none (see the file comment). */
export async function writeOutputs(outputs: readonly OutputFile[], options: { force?: boolean; inputs?: readonly string[] }): Promise<void> {
  await checkOutputs(outputs, options);
  const temps: { out: OutputFile; tmp: string }[] = [];
  const committed: string[] = [];
  try {
    for (const out of outputs) {
      const full = resolve(out.path);
      const tmp = join(dirname(full), `.${basename(full)}.${randomBytes(6).toString('hex')}.tmp`);
      let fh;
      try {
        fh = await open(tmp, 'wx', out.mode);
        temps.push({ out, tmp });
        if (out.mode === 0o600) await fh.chmod(0o600);
        await fh.writeFile(out.data);
        await fh.sync();
      } catch (err) {
        throw fileError(`cannot write ${out.what} '${out.path}'`, err);
      } finally {
        await fh?.close();
      }
    }
    for (const { out, tmp } of temps) {
      const full = resolve(out.path);
      try {
        if (options.force) {
          await rename(tmp, full);
        } else {
          await linkOrRename(tmp, full);
          committed.push(full);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new MeshctlError('EBADFILE', `${out.what} '${out.path}' already exists`, { cause: err, hint: 'pass --force to overwrite it' });
        }
        throw fileError(`cannot write ${out.what} '${out.path}'`, err);
      }
    }
  } catch (err) {
    // Files we created in this call go too, so a failure leaves nothing behind.
    await Promise.all([...temps.map((t) => unlink(t.tmp).catch(() => undefined)), ...committed.map((p) => unlink(p).catch(() => undefined))]);
    throw err;
  }
}

/** link() refuses to replace an existing file; where hard links are not supported, fall back to rename. */
async function linkOrRename(tmp: string, target: string): Promise<void> {
  try {
    await link(tmp, target);
    await unlink(tmp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw err;
    try {
      await lstat(target);
      throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await rename(tmp, target);
  }
}
