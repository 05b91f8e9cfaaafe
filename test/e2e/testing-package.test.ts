// The package as a consumer gets it (issue 12: "A test imports meshctl/testing from ESM and from CommonJS, starts a
// three-node mesh in-process, runs work across it, cuts a stream, and stops everything, leaving no process or file
// behind"). A temp project whose node_modules/meshctl links to this checkout compiles one TypeScript scenario with
// skipLibCheck: false in three ways (ESM node16, CommonJS node16, CommonJS with module commonjs / node10 resolution),
// runs each with node, and the scenario reports what it saw. The docs/testing.md vitest example runs there too.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './build.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function newest(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return n;
}

/** dist/ and dist/cjs from the current sources (the CommonJS side is scripts/bundle-lib.mjs). */
function ensureLibBuilt(): void {
  ensureBuilt();
  const lib = join(ROOT, 'dist', 'cjs', 'lib.js');
  if (existsSync(lib) && statSync(lib).mtimeMs >= newest(join(ROOT, 'src')) && statSync(lib).mtimeMs >= statSync(join(ROOT, 'dist', 'index.js')).mtimeMs) return;
  const tsc = spawnSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle-lib.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bundle-lib failed:\n${r.stdout}\n${r.stderr}\n${tsc.stdout}`);
}

// The scenario, written once and compiled for each module system. It prints one JSON line.
const SCENARIO = `
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { ControlClient, MeshctlError } from 'meshctl';
import { startMesh, type TestMesh } from 'meshctl/testing';

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\\d+$/.test(e)) continue;
    let stat = '';
    try { stat = readFileSync('/proc/' + e + '/stat', 'utf8'); } catch { continue; }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
  }
  const out: number[] = [];
  const walk = (p: number): void => { for (const c of children.get(p) ?? []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

async function main(): Promise<void> {
  const mesh: TestMesh = await startMesh({
    nodes: [
      'controller',
      'hop',
      { id: 'executor', workCommands: [{ worktype: 'cat', command: 'cat' }, { worktype: 'sleep', command: 'sleep', params: '300' }] },
    ],
    // One link over WebSocket: the ws package is loaded through the CommonJS bundle's require() too.
    links: [['controller', 'hop'], { from: 'executor', to: 'hop', via: 'ws' }],
  });
  const client = mesh.client('controller');
  const payload = Buffer.alloc(150000, 'meshctl ');
  const { unitid } = await client.workSubmit({ workType: 'cat', node: 'executor' }, payload);
  const final = await client.waitForUnit(unitid, { timeoutMs: 30000, pollMs: 100 });
  const whole = await collect(client.workResults(unitid));
  const cut = mesh.node('controller').cutResults(4321, { unitId: unitid });
  const short = await collect(client.workResults(unitid));
  const cutUnit = await cut.hit;
  // A program still running when the mesh stops: stop() must end it.
  const sleeper = await client.workSubmit({ workType: 'sleep', node: 'executor' }, null);
  const executor = mesh.node('executor').client();
  let sleepPid = 0;
  for (let i = 0; i < 600 && sleepPid === 0; i++) {
    for (const [, st] of Object.entries(await executor.workList())) {
      const pid = (st.ExtraData as { Pid?: number } | null)?.Pid;
      if (st.WorkType === 'sleep' && st.State === 1 && pid) sleepPid = pid;
    }
    if (sleepPid === 0) await new Promise((r) => setTimeout(r, 50));
  }
  const during = descendants(process.pid);
  const dirs = [mesh.dir, ...mesh.nodes.map((n) => n.dir), ...mesh.nodes.map((n) => n.socketPath)];
  let unknownUnit = '';
  try { await client.workStatus('nosuchunit'); } catch (err) { unknownUnit = err instanceof MeshctlError ? (err as MeshctlError).code : 'not a MeshctlError'; }
  const sameClass = client instanceof ControlClient;
  await mesh.stop();
  let left = descendants(process.pid);
  for (let i = 0; i < 200 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    left = descendants(process.pid);
  }
  console.log(JSON.stringify({
    state: final.State, whole: whole.equals(payload), shortLength: short.length, shortIsPrefix: short.equals(payload.subarray(0, short.length)),
    cutUnit: cutUnit === unitid, sleeper: sleeper.unitid !== '', sleepPid, during, left, dirs, dirsLeft: dirs.filter((d) => existsSync(d)),
    unknownUnit, sameClass, sleeperSurvived: left.includes(sleepPid),
  }));
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
`;

interface Outcome {
  state: number;
  whole: boolean;
  shortLength: number;
  shortIsPrefix: boolean;
  cutUnit: boolean;
  sleepPid: number;
  during: number[];
  left: number[];
  dirs: string[];
  dirsLeft: string[];
  unknownUnit: string;
  sameClass: boolean;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The vitest example of docs/testing.md: the first ```ts block after the "## vitest" heading. */
function docsExample(heading: string): string {
  const text = readFileSync(join(ROOT, 'docs', 'testing.md'), 'utf8');
  const at = text.indexOf(heading);
  if (at < 0) throw new Error(`docs/testing.md has no "${heading}"`);
  const m = /```ts\n([\s\S]*?)```/.exec(text.slice(at));
  if (!m) throw new Error(`docs/testing.md: no ts block after "${heading}"`);
  return m[1]!;
}

describe('testing package - meshctl/testing as a consumer imports it', () => {
  let dir: string;
  // tsc and the bundles may have to run first; generous for a shared 2-core machine.
  beforeAll(() => {
    ensureLibBuilt();
    dir = mkdtempSync(join(os.tmpdir(), 'meshctl-consumer-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'meshctl'), 'dir');
  }, 240_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const VARIANTS = [
    { name: 'ESM (module node16, "type": "module")', type: 'module', tsconfig: { module: 'node16', moduleResolution: 'node16' } },
    { name: 'CommonJS (module node16, "type": "commonjs")', type: 'commonjs', tsconfig: { module: 'node16', moduleResolution: 'node16' } },
    { name: 'CommonJS (module commonjs, node10 resolution)', type: 'commonjs', tsconfig: { module: 'commonjs', moduleResolution: 'node10' } },
  ];

  for (const [i, v] of VARIANTS.entries()) {
    it(`testing package - ${v.name}: compiles with skipLibCheck false, runs work across a three-node mesh, cuts a stream, leaves nothing behind`, () => {
      const proj = join(dir, `p${i}`);
      mkdirSync(join(proj, 'src'), { recursive: true });
      symlinkSync(join(dir, 'node_modules'), join(proj, 'node_modules'), 'dir');
      writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: `consumer-${i}`, private: true, type: v.type }));
      writeFileSync(
        join(proj, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...v.tsconfig, target: 'ES2022', strict: true, skipLibCheck: false, outDir: 'out', rootDir: 'src', types: [] },
          include: ['src'],
        }),
      );
      writeFileSync(join(proj, 'src', 'scenario.ts'), SCENARIO);
      const tsc = spawnSync(process.execPath, [TSC, '-p', proj], { cwd: proj, encoding: 'utf8' });
      expect(tsc.stdout + tsc.stderr, 'tsc output').toBe('');
      expect(tsc.status).toBe(0);
      const out = readFileSync(join(proj, 'out', 'scenario.js'), 'utf8');
      // The module system really differs: require() in the CommonJS builds, import in the ESM one.
      if (v.type === 'module') expect(out).toMatch(/from 'meshctl\/testing'/);
      else expect(out).toMatch(/require\("meshctl\/testing"\)/);

      const run = spawnSync(process.execPath, [join(proj, 'out', 'scenario.js')], { cwd: proj, encoding: 'utf8', timeout: 120_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const o = JSON.parse(run.stdout.trim()) as Outcome;
      expect(o.state).toBe(2);
      expect(o.whole).toBe(true);
      expect([o.shortLength, o.shortIsPrefix, o.cutUnit]).toEqual([4321, true, true]);
      expect(o.unknownUnit).toBe('EUNKNOWNUNIT');
      expect(o.sameClass).toBe(true);
      // While the mesh ran, the sleep program (and its unit runner) were this process's descendants; then none.
      expect(o.sleepPid).toBeGreaterThan(0);
      expect(o.during).toContain(o.sleepPid);
      expect(o.left).toEqual([]);
      for (const pid of o.during) expect(alive(pid), `process ${pid} left behind`).toBe(false);
      expect(o.dirs.length).toBe(7);
      expect(o.dirsLeft).toEqual([]);
      for (const d of o.dirs) expect(existsSync(d)).toBe(false);
    }, 180_000);
  }

  it('testing package - the vitest example of docs/testing.md passes in the consumer project', () => {
    const proj = join(dir, 'vitest');
    mkdirSync(proj, { recursive: true });
    mkdirSync(join(proj, 'node_modules'));
    symlinkSync(ROOT, join(proj, 'node_modules', 'meshctl'), 'dir');
    symlinkSync(join(ROOT, 'node_modules', 'vitest'), join(proj, 'node_modules', 'vitest'), 'dir');
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer-vitest', private: true, type: 'module' }));
    writeFileSync(join(proj, 'vitest.config.mjs'), 'export default { test: { testTimeout: 60000, hookTimeout: 60000 } };\n');
    writeFileSync(join(proj, 'mesh.test.ts'), docsExample('## vitest'));
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'FORCE_COLOR') delete env[k];
    env.NO_COLOR = '1';
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', proj], {
      cwd: proj,
      encoding: 'utf8',
      env,
      timeout: 120_000,
    });
    expect(r.stdout + r.stderr).toMatch(/Tests\s+\d+ passed/);
    expect(r.stdout + r.stderr).not.toMatch(/failed/);
    expect(r.status).toBe(0);
  }, 180_000);
});
