// removeUnitDir (unit-base.ts) removes a unit directory by unlinking the files a unit holds and rmdir, synchronously,
// instead of fs.rm's walk through the threadpool (issue 13: releasing 10k units took 3 times receptor's time). It
// must still remove what `rm -r` (force) removed: the usual files, files and directories a program made inside, a
// directory already gone.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeUnitDir } from '../../../src/node/work/unit-base.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'meshctl-rmunit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function unitDir(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { mode: 0o700 });
  for (const f of ['status', 'status.lock', 'stdin', 'stdout']) writeFileSync(path.join(dir, f), f === 'status.lock' ? '' : `${f}\n`, { mode: 0o600 });
  return dir;
}

describe('remove unit dir', () => {
  it('remove unit dir - a unit directory of files is removed whole', async () => {
    const dir = unitDir('plain');
    await removeUnitDir(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('remove unit dir - subdirectories (a program wrote into its unit directory) are removed as rm -r does', async () => {
    const dir = unitDir('nested');
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(dir, 'a', 'b', 'deep'), 'x');
    await removeUnitDir(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('remove unit dir - a directory already gone is no error (force)', async () => {
    await expect(removeUnitDir(path.join(root, 'never-there'))).resolves.toBeUndefined();
  });

  it('remove unit dir - an empty directory and one with 500 files are removed', async () => {
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    await removeUnitDir(empty);
    expect(existsSync(empty)).toBe(false);
    const many = unitDir('many');
    for (let i = 0; i < 500; i++) writeFileSync(path.join(many, `f${i}`), '');
    await removeUnitDir(many);
    expect(existsSync(many)).toBe(false);
  });
});
