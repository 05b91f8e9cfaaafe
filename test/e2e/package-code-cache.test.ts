// The package ships no V8 code cache (package.json "files" leaves out dist/cli-bundle/*.cache and *-cache): a cache
// is tied to its bundle's mtime (bin/code-cache.js), and npm resets every packed file's mtime, so a shipped cache
// was dead weight that every installed run ignored. Installed, the CLI must run without one and make its own.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './build.js';

let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-e2e-pkgcache-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const isCache = (f: string): boolean => f.endsWith('.cache') || f.endsWith('-cache');

describe('package code cache', () => {
  it('package code cache - npm pack leaves the code caches out and keeps the bundles', () => {
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as { files: { path: string }[] }[];
    const paths = info!.files.map((f) => f.path);
    expect(paths).toContain('dist/cli-bundle/node.cjs');
    expect(paths).toContain('dist/cli-bundle/main.cjs');
    expect(paths.filter((p) => p.startsWith('dist/cli-bundle/') && isCache(p))).toEqual([]);
  });

  it('package code cache - installed without caches (npm mtimes), the node fast path and the CLI run and write their own', () => {
    // What an install holds: bin/ and dist/cli-bundle/ without caches, every file with npm's fixed mtime.
    const pkg = path.join(dir, 'meshctl');
    mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    cpSync(path.join(ROOT, 'bin'), path.join(pkg, 'bin'), { recursive: true });
    cpSync(path.join(ROOT, 'dist', 'cli-bundle'), path.join(pkg, 'dist', 'cli-bundle'), { recursive: true, filter: (src) => !isCache(src) });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
    const npmTime = new Date('1985-10-26T08:15:00Z');
    for (const f of readdirSync(path.join(pkg, 'dist', 'cli-bundle'))) utimesSync(path.join(pkg, 'dist', 'cli-bundle', f), npmTime, npmTime);
    const bin = path.join(pkg, 'bin', 'meshctl.js');
    const bundles = path.join(pkg, 'dist', 'cli-bundle');
    expect(readdirSync(bundles).filter(isCache)).toEqual([]);
    const env = { ...process.env };
    delete env.NODE_V8_COVERAGE; // a covered run bypasses the cache on purpose

    // The fast path (node.cjs) up to its config error, twice: the first run writes node.cjs.cache at exit.
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'node:\n  id: x\n');
    const first = spawnSync(process.execPath, [bin, 'node', '-c', bad], { encoding: 'utf8', env, timeout: 20_000 });
    expect(first.status).toBe(2);
    expect(first.stderr).toMatch(/^meshctl: /);
    const nodeCache = path.join(bundles, 'node.cjs.cache');
    expect(existsSync(nodeCache)).toBe(true);
    const st = statSync(path.join(bundles, 'node.cjs'));
    expect(readFileSync(nodeCache).toString('latin1').split('\n')[0]).toBe(`meshctl-code-cache ${st.size} ${st.mtimeMs}`);
    const again = spawnSync(process.execPath, [bin, 'node', '-c', bad], { encoding: 'utf8', env, timeout: 20_000 });
    expect({ code: again.status, err: again.stderr }).toEqual({ code: first.status, err: first.stderr });

    // The CLI's fast path (fast.cjs) keeps a cache only from a run of `status` or `work list`: a V8-accepted cache is
    // never remade, and one written by `--version` or by a line it passes on to main.cjs would hold little of it.
    const fastCache = path.join(bundles, 'fast.cjs.cache');
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8', env, timeout: 20_000 });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
    expect(existsSync(fastCache)).toBe(false);
    // The whole CLI (main.cjs) writes its own cache.
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env, timeout: 20_000 });
    expect(help.status, help.stderr).toBe(0);
    expect(existsSync(path.join(bundles, 'main.cjs.cli-cache'))).toBe(true);
    expect(existsSync(fastCache)).toBe(false);
    const status = spawnSync(process.execPath, [bin, '-s', path.join(dir, 'no-such.sock'), 'status'], { encoding: 'utf8', env, timeout: 20_000 });
    expect(status.stderr).toMatch(/^meshctl: .*no-such\.sock/);
    expect(existsSync(fastCache)).toBe(true);
    const again2 = spawnSync(process.execPath, [bin, '-s', path.join(dir, 'no-such.sock'), 'status'], { encoding: 'utf8', env, timeout: 20_000 });
    expect({ code: again2.status, err: again2.stderr }).toEqual({ code: status.status, err: status.stderr });
  });

  it('package code cache - a build without fast.cjs (older, or being rebuilt) runs every line through the whole CLI', () => {
    const pkg = path.join(dir, 'nofast');
    mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    cpSync(path.join(ROOT, 'bin'), path.join(pkg, 'bin'), { recursive: true });
    cpSync(path.join(ROOT, 'dist', 'cli-bundle'), path.join(pkg, 'dist', 'cli-bundle'), { recursive: true, filter: (src) => !path.basename(src).startsWith('fast.cjs') });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
    const bin = path.join(pkg, 'bin', 'meshctl.js');
    const full = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'meshctl.js'), '-s', path.join(dir, 'no-such.sock'), 'status'], { encoding: 'utf8', timeout: 20_000 });
    for (const [args, want] of [
      [['--version'], { code: 0, out: spawnSync(process.execPath, [path.join(ROOT, 'bin', 'meshctl.js'), '--version'], { encoding: 'utf8' }).stdout, err: '' }],
      [['-s', path.join(dir, 'no-such.sock'), 'status'], { code: full.status, out: full.stdout, err: full.stderr }],
    ] as const) {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
      expect({ code: r.status, out: r.stdout, err: r.stderr }, args.join(' ')).toEqual(want);
    }
  });
});
