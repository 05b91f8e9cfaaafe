// Makes sure dist/ is built from the current sources before the e2e suite spawns bin/meshctl.js.
// `npm test` builds first anyway; this covers `npx vitest run test/e2e` on its own. Type errors elsewhere in the
// tree don't stop tsc from emitting; the bundle (dist/cli-bundle/main.cjs) is what bin/meshctl.js loads.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'meshctl.js');
const MAIN = join(ROOT, 'dist', 'cli-bundle', 'main.cjs');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestSource(join(ROOT, 'src'))) return;
  // tsc (library output and type errors) then the CLI bundle bin/meshctl.js runs (scripts/bundle-cli.mjs).
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bundle failed:\n${r.stdout}\n${r.stderr}\n${tsc.stdout}`);
  if (!existsSync(MAIN)) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
}
