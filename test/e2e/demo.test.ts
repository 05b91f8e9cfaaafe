import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BIN, ensureBuilt } from './build.js';

// The README's run command (`npm start` → `meshctl demo`): an embedded node, status, a unit with a payload
// followed to the end and released, on a machine with nothing but Node.js.
describe('demo', () => {
  test('demo - runs the main job end to end and leaves nothing behind', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [BIN, 'demo', '--keep'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).not.toMatch(/Error|at .*\.js/);
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toContain('$ meshctl status');
    expect(out).toMatch(/node_id\tdemo-controller/);
    // the payload went through the work command and every output line came back, in order
    expect(out).toMatch(/ {2}1 {2}Receptor runs work on execution nodes,\n {2}2 {2}streams the output back to the controller,\n {2}3 {2}and meshctl follows it to the last byte\.\n3 lines\n/);
    expect(out).toContain('hello from the mesh\n');
    expect(r.stderr).toMatch(/released democontroller\w{8}/);
    // --keep: the directory is still there with the unit data; the release --all step left no unit behind
    const kept = /Kept (\S+)/.exec(out)?.[1];
    expect(kept).toBeTruthy();
    const units = join(kept!, 'data', 'demo-controller');
    expect(existsSync(join(kept!, 'receptor.yaml'))).toBe(true);
    expect(existsSync(units)).toBe(true);
    expect(readdirSync(units)).toEqual([]);
    rmSync(kept!, { recursive: true, force: true });
  });
});
