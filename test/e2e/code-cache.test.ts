// bin/code-cache.js (issue 12, node start-up): bin/meshctl.js compiles the bundles from V8 code caches. A cache
// must speed a run up and never change what runs: one from another build, one V8 refuses, or none at all gives
// the same result, and the bad one is replaced. Also the fast path of `meshctl node -c FILE` (src/cli/node-main.ts,
// dist/cli-bundle/node.cjs): it must answer as the whole CLI does for the same line.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, ROOT } from './build.js';

const LOADER = path.join(ROOT, 'bin', 'code-cache.js');
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-e2e-codecache-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Loads `bundle` through bin/code-cache.js in a fresh Node and prints what its `answer()` returns. */
function load(bundle: string, cache: string): { out: string; err: string; code: number | null } {
  const script = `require(${JSON.stringify(LOADER)}).loadBundle(${JSON.stringify(bundle)}, ${JSON.stringify(cache)}).answer().then((a) => console.log(a));`;
  const env = { ...process.env };
  delete env.NODE_V8_COVERAGE; // a covered run bypasses the cache on purpose
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env, timeout: 20_000 });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

/** A small bundle in the shape esbuild writes (a CommonJS module that reaches packages through __impt). */
function writeBundle(file: string, word: string): void {
  writeFileSync(
    file,
    "var __impt = typeof __meshctlImport === 'function' ? __meshctlImport : (s) => import(s);\n" +
      `exports.answer = async () => { const os = await __impt('node:os'); return '${word} ' + typeof os.cpus; };\n`,
  );
}

describe('code cache', () => {
  it('code cache - the first run writes the cache, the next runs from it with the same result', () => {
    const bundle = path.join(dir, 'a.cjs');
    const cache = `${bundle}.cache`;
    writeBundle(bundle, 'alpha');
    expect(load(bundle, cache)).toMatchObject({ code: 0, out: 'alpha function\n', err: '' });
    expect(existsSync(cache)).toBe(true);
    const made = readFileSync(cache);
    expect(made.toString('latin1').split('\n')[0]).toBe(`meshctl-code-cache ${statSync(bundle).size} ${statSync(bundle).mtimeMs}`);
    // From the cache (nothing rewritten): import() still works, which V8 breaks for cached functions on Node 20
    // when the bundle uses the script's own import() ("A dynamic import callback was not specified").
    expect(load(bundle, cache)).toMatchObject({ code: 0, out: 'alpha function\n', err: '' });
    expect(readFileSync(cache).equals(made)).toBe(true);
  });

  it('code cache - a cache of another build of the same length is ignored and replaced', () => {
    const bundle = path.join(dir, 'b.cjs');
    const cache = `${bundle}.cache`;
    writeBundle(bundle, 'one');
    expect(load(bundle, cache).out).toBe('one function\n');
    // V8 checks a cache against the source's length only: same length, other content, other mtime.
    writeBundle(bundle, 'two');
    const later = new Date(Date.now() + 5000);
    utimesSync(bundle, later, later);
    expect(load(bundle, cache)).toMatchObject({ code: 0, out: 'two function\n', err: '' });
    expect(readFileSync(cache).toString('latin1').split('\n')[0]).toBe(`meshctl-code-cache ${statSync(bundle).size} ${statSync(bundle).mtimeMs}`);
    expect(load(bundle, cache).out).toBe('two function\n');
  });

  it('code cache - a cache V8 refuses (garbage after a matching stamp) is ignored and replaced', () => {
    const bundle = path.join(dir, 'c.cjs');
    const cache = `${bundle}.cache`;
    writeBundle(bundle, 'gamma');
    const st = statSync(bundle);
    writeFileSync(cache, Buffer.concat([Buffer.from(`meshctl-code-cache ${st.size} ${st.mtimeMs}\n`, 'latin1'), Buffer.alloc(4096, 7)]));
    expect(load(bundle, cache)).toMatchObject({ code: 0, out: 'gamma function\n', err: '' });
    expect(readFileSync(cache).length).not.toBe(st.size + 4096); // rewritten at exit
    expect(load(bundle, cache).out).toBe('gamma function\n');
  });

  it('code cache - a cache that cannot be written (read-only directory) costs nothing but speed', () => {
    const bundle = path.join(dir, 'd.cjs');
    writeBundle(bundle, 'delta');
    const cache = path.join(dir, 'no-such-dir', 'd.cjs.cache');
    expect(load(bundle, cache)).toMatchObject({ code: 0, out: 'delta function\n', err: '' });
    expect(existsSync(cache)).toBe(false);
  });

  it('code cache - the build made the caches of both bundles, and the CLI runs import() from its cache (--query)', () => {
    for (const f of ['main.cjs.cli-cache', 'node.cjs.cache']) expect(existsSync(path.join(ROOT, 'dist', 'cli-bundle', f))).toBe(true);
    const env = { ...process.env };
    delete env.NODE_V8_COVERAGE;
    // --query loads @jmespath-community/jmespath (ES-only) with import(); a bad expression fails before connecting.
    const r = spawnSync(process.execPath, [BIN, '-s', path.join(dir, 'none.sock'), 'status', '--query', 'a['], { encoding: 'utf8', env });
    expect(r.stderr).toMatch(/^meshctl: invalid --query expression 'a\[': /);
    expect(r.status).toBe(2);
  });
});

describe('node fast path', () => {
  /** `meshctl node ARGS` through the built binary. */
  function node(args: string[]): { out: string; err: string; code: number | null } {
    const r = spawnSync(process.execPath, [BIN, 'node', ...args], { encoding: 'utf8', timeout: 20_000, cwd: dir });
    return { out: r.stdout, err: r.stderr, code: r.status };
  }

  it('node fast path - `node -c FILE` fails as the whole CLI does for the same file (`--config=FILE` goes through main)', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'node:\n  id: x\n');
    for (const file of [bad, path.join(dir, 'missing.yaml')]) {
      const fast = node(['-c', file]);
      const whole = node([`--config=${file}`]);
      expect(fast.code).toBe(2);
      expect(fast.err).toMatch(/^meshctl: /);
      expect(fast).toEqual(whole);
    }
  });

  it("node fast path - a node started with -c FILE runs a work-command unit (the bundle kept the unit runner's literal require('node:child_process'); a bundler facade in it made every unit fail: the unit runner stopped)", async () => {
    const socket = path.join(dir, 'fast.sock');
    const config = path.join(dir, 'fast.yaml');
    writeFileSync(
      config,
      `---\n- node:\n    id: fast\n    datadir: ${path.join(dir, 'fast-data')}\n- control-service:\n    service: control\n    filename: ${socket}\n- work-command:\n    worktype: cat\n    command: cat\n`,
    );
    const child = spawn(process.execPath, [BIN, 'node', '-c', config], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      for (let waited = 0; !existsSync(socket); waited += 20) {
        if (child.exitCode !== null || waited > 20_000) throw new Error(`the node did not start: ${log}`);
        await sleep(20);
      }
      const r = spawnSync(process.execPath, [BIN, '-s', socket, 'work', 'submit', 'cat', '-p', '-', '-f', '--rm'], { input: 'through the runner\n', encoding: 'utf8', timeout: 20_000 });
      expect(r.stderr).toMatch(/^released \S+\n$/);
      expect(r.stdout).toBe('through the runner\n');
      expect(r.status).toBe(0);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(log).not.toMatch(/unit runner .* stopped/);
  });

  it("node fast path - in receptor mode `-c FILE` fails with receptor's Error: line on stdout and exit 1, as main does", () => {
    const missing = path.join(dir, 'missing.yaml');
    const fast = node(['--receptor-compat', '-c', missing]);
    // The same words in another order go through main (commander): `--config FILE` after a section word.
    const whole = node(['--receptor-compat', '--config', missing, '--log-level', 'info']);
    expect(fast).toMatchObject({ code: 1, err: '' });
    expect(fast.out).toMatch(/^Error: cannot read config file '.*missing\.yaml': /);
    expect(whole).toEqual(fast);
  });
});
