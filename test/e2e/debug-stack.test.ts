// `--debug` stack traces name the TypeScript sources (issue 11: they pointed into dist/cli-bundle/main.cjs):
// bin/meshctl.js turns Node's source maps on before loading the bundle, only under --debug. Without --debug an
// error stays one line. And the map the traces need ships in the package.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, ROOT } from './build.js';

let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'meshctl-e2e-debug-'));
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function meshctl(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('e2e debug', () => {
  it('e2e debug - with --debug a failing command prints frames at src/*.ts lines, none in the bundle', async () => {
    const sock = join(dir, 'nothing.sock');
    const r = await meshctl(['--debug', '-s', sock, 'status']);
    expect(r.code).toBe(3);
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines[0]).toBe(`meshctl: socket '${sock}' does not exist (hint: is the node running? check the control-service filename)`);
    expect(lines[1]).toBe(`ConnectionError: socket '${sock}' does not exist`);
    const frames = lines.filter((l) => /^\s+at /.test(l));
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.filter((l) => l.includes('main.cjs'))).toEqual([]);
    // The first frame is the throw in src/transport/dial.ts: that line of the source holds it.
    const m = /\((.*\/src\/transport\/dial\.ts):(\d+):(\d+)\)$/.exec(frames[0]!);
    expect(m, frames[0]).not.toBeNull();
    const source = (await readFile(m![1]!, 'utf8')).split('\n');
    expect(source[Number(m![2]) - 1]).toContain('does not exist');
    expect(frames.some((l) => /\/src\/commands\/status\.ts:\d+:\d+\)$/.test(l))).toBe(true);
  });

  it('e2e debug - --debug after the command name works the same', async () => {
    const r = await meshctl(['status', '-s', join(dir, 'none.sock'), '--debug']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/\/src\/transport\/dial\.ts:\d+:\d+\)\n/);
  });

  it('e2e debug - without --debug: one line, no stack at all', async () => {
    const r = await meshctl(['-s', join(dir, 'nothing.sock'), 'status']);
    expect(r.code).toBe(3);
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.err).not.toMatch(/^\s+at /m);
  });

  it('e2e debug - the package ships the source map next to the bundle', () => {
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as { files: { path: string }[] }[];
    const paths = info!.files.map((f) => f.path);
    expect(paths).toContain('dist/cli-bundle/main.cjs');
    expect(paths).toContain('dist/cli-bundle/main.cjs.map');
    expect(paths).toContain('bin/meshctl.js');
  });
});
