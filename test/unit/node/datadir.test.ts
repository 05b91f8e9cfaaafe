// prepareDataDir: `<datadir>/<nodeid>` created (0700) and proven writable before the node starts, or one
// EBADCONFIG error naming the datadir and the failing call. Regression for issue 10: `datadir: /proc/nope` hung
// the node for ever (Node's recursive mkdir loops under /proc) and a read-only datadir was an internal error.
// Real files in a temp dir; the file system that never answers is the one simulated case.
import { mkdtemp, readdir, rm, stat, writeFile, mkdir, chmod } from 'node:fs/promises';
import * as realFs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshctlError } from '../../../src/errors.js';
import { prepareDataDir, type DataDirFs } from '../../../src/node/work/datadir.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-datadir-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<MeshctlError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MeshctlError);
  return err as MeshctlError;
}

describe('node datadir', () => {
  it('node datadir - creates every missing level with mode 0700 and leaves no probe file', async () => {
    const dataDir = path.join(dir, 'fresh', 'a', 'b');
    const units = await prepareDataDir(dataDir, 'n1');
    expect(units).toBe(path.join(dataDir, 'n1'));
    const umask = process.umask();
    for (const d of [path.join(dir, 'fresh'), path.join(dir, 'fresh', 'a'), dataDir, units]) {
      expect((await stat(d)).mode & 0o777, d).toBe(0o700 & ~umask);
    }
    expect(await readdir(units)).toEqual([]);
  });

  it('node datadir - an existing directory is used as it is (mode and contents untouched)', async () => {
    const dataDir = path.join(dir, 'existing');
    await mkdir(path.join(dataDir, 'n1', 'unit1'), { recursive: true });
    await chmod(path.join(dataDir, 'n1'), 0o755);
    await prepareDataDir(dataDir, 'n1');
    expect((await stat(path.join(dataDir, 'n1'))).mode & 0o777).toBe(0o755);
    expect(await readdir(path.join(dataDir, 'n1'))).toEqual(['unit1']);
  });

  it('node datadir - /proc/nope is ENOENT from the one mkdir that failed, not an endless loop', async () => {
    const err = await failure(prepareDataDir('/proc/nope', 'n1', { label: 'cfg.yaml:1: entry #1 (node)' }));
    expect(err.code).toBe('EBADCONFIG');
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe("cfg.yaml:1: entry #1 (node): datadir '/proc/nope' is not usable: mkdir /proc/nope: no such file or directory");
    expect(err.hint).toMatch(/\/proc/);
    expect(err.data).toMatchObject({ datadir: '/proc/nope', errno: 'ENOENT' });
  });

  it('node datadir - a file in place of the datadir, or of a parent, is ENOTDIR naming that file', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    const direct = await failure(prepareDataDir(file, 'n1'));
    expect(direct.message).toBe(`datadir '${file}' is not usable: mkdir ${file}: not a directory`);
    expect(direct.hint).toMatch(/a file is in the way/);
    const below = await failure(prepareDataDir(path.join(file, 'sub'), 'n1'));
    expect(below.message).toBe(`datadir '${path.join(file, 'sub')}' is not usable: mkdir ${file}: not a directory`);
    // A file where <datadir>/<nodeid> should be.
    await mkdir(path.join(dir, 'clash'));
    await writeFile(path.join(dir, 'clash', 'n1'), '');
    const clash = await failure(prepareDataDir(path.join(dir, 'clash'), 'n1'));
    expect(clash.message).toBe(`datadir '${path.join(dir, 'clash')}' is not usable: mkdir ${path.join(dir, 'clash', 'n1')}: not a directory`);
  });

  it('node datadir - a file system that never answers is a timeout error, not a hang', async () => {
    const never = new Promise<never>(() => {});
    const hung: DataDirFs = { stat: realFs.stat, lstat: realFs.lstat, open: realFs.open, unlink: realFs.unlink, mkdir: (() => never) as unknown as DataDirFs['mkdir'] };
    const err = await failure(prepareDataDir(path.join(dir, 'hung'), 'n1', { fs: hung, timeoutMs: 50 }));
    expect(err.message).toBe(`datadir '${path.join(dir, 'hung')}' is not usable: no answer from the file system within 0.05 s`);
    expect(err.hint).toMatch(/network mount/);
    expect(err.data).toMatchObject({ errno: 'ETIMEDOUT' });
  });
});
