import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BIN, ensureBuilt } from './build.js';

// The README's run command (`npm start` → `meshctl demo`): a controller → hop → executor mesh of embedded
// nodes, status with routes, a traceroute, work on the executor through the hop with a payload followed to the
// end and released, on a machine with nothing but Node.js.
describe('demo', () => {
  test('demo - runs the main job through a three-node mesh and leaves nothing behind', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [BIN, 'demo', '--keep'], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).not.toMatch(/Error|at .*\.js/);
    expect(r.stdout).not.toContain('(exit status');
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toContain('$ meshctl status');
    expect(out).toMatch(/^node_id\tcontroller$/m);
    // routes: both the hop and the executor are reached through the hop
    expect(out).toMatch(/^route\texecutor\thop$/m);
    expect(out).toMatch(/^route\thop\thop$/m);
    expect(out).toMatch(/^work_type\texecutor\tline-count$/m);
    // traceroute: controller, hop, executor
    expect(out).toMatch(/^0\tcontroller\t\d+\t/m);
    expect(out).toMatch(/^1\thop\t\d+\t/m);
    expect(out).toMatch(/^2\texecutor\t\d+\t/m);
    // the payload went through the work command on the executor and every output line came back, in order
    expect(out).toMatch(/ {2}1 {2}Receptor runs work on execution nodes,\n {2}2 {2}streams the output back to the controller,\n {2}3 {2}and meshctl follows it to the last byte\.\n3 lines\n/);
    expect(out).toContain('hello from the mesh\n');
    expect(r.stderr).toMatch(/released controller\w{8}/);
    // --keep: the directory is still there; `release --all` left no unit on the controller or the executor
    const kept = /Kept (\S+)/.exec(out)?.[1];
    expect(kept).toBeTruthy();
    for (const id of ['controller', 'executor']) {
      expect(existsSync(join(kept!, id, 'receptor.yaml'))).toBe(true);
      const units = join(kept!, id, 'data', id);
      expect(existsSync(units)).toBe(true);
      expect(readdirSync(units)).toEqual([]);
    }
    rmSync(kept!, { recursive: true, force: true });
  });
});
