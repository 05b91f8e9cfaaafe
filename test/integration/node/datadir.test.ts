// startNode with an unusable datadir: the library throws one typed error (EBADCONFIG, exit 2) before anything
// listens, and prints nothing itself (the CLI does). Regression for issue 10: `datadir: /proc/nope` hung startNode
// for ever. A usable datadir gets `<datadir>/<nodeid>` at 0700 before the first submit.
import { access, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse.js';
import { MeshctlError } from '../../../src/errors.js';
import { startNode } from '../../../src/node/node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-datadir-int-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const configText = (datadir: string, sock: string): string =>
  `- node:\n    id: n1\n    datadir: ${JSON.stringify(datadir)}\n- log-level: debug\n- control-service:\n    filename: ${JSON.stringify(sock)}\n`;

describe('node datadir at start', () => {
  it('node datadir at start - /proc/nope: startNode throws EBADCONFIG, logs nothing, creates no socket', async () => {
    const sock = path.join(dir, 'proc.sock');
    const file = path.join(dir, 'proc.yaml');
    const config = parseConfig(configText('/proc/nope', sock), { file });
    const log = new PassThrough();
    let logged = '';
    log.on('data', (d: Buffer) => (logged += d.toString()));
    const err = await startNode(config, { logger: log }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MeshctlError);
    expect((err as MeshctlError).code).toBe('EBADCONFIG');
    expect((err as MeshctlError).message).toBe(`${file}:1: entry #1 (node): datadir '/proc/nope' is not usable: mkdir /proc/nope: no such file or directory`);
    expect(logged).toBe('');
    await expect(access(sock)).rejects.toThrow();
  });

  it('node datadir at start - a usable datadir has <datadir>/<nodeid> at 0700 once the node is up', async () => {
    const sock = path.join(dir, 'ok.sock');
    const dataDir = path.join(dir, 'data', 'deep');
    const node = await startNode(parseConfig(configText(dataDir, sock), { file: path.join(dir, 'ok.yaml') }));
    try {
      expect(node.unitsDir).toBe(path.join(dataDir, 'n1'));
      expect((await stat(node.unitsDir)).mode & 0o777).toBe(0o700 & ~process.umask());
      expect(await readdir(node.unitsDir)).toEqual([]); // the probe file is gone
    } finally {
      await node.close();
    }
  });

  it('node datadir at start - a file as datadir: the error names it, nothing is left listening', async () => {
    const sock = path.join(dir, 'file.sock');
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const config = parseConfig(configText(file, sock), { file: path.join(dir, 'file.yaml') });
    await expect(startNode(config)).rejects.toThrow(`datadir '${file}' is not usable: mkdir ${file}: not a directory`);
    await expect(access(sock)).rejects.toThrow();
  });
});
