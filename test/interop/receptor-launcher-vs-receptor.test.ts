// The `receptor` launcher written by `meshctl node install-launcher DIR` against the real receptor 1.6.5 (issue
// 12: under that name, version, error channel, wording and exit codes follow receptor). The same command lines go
// to both; stdout, stderr and the exit status must be identical, byte for byte. Usage is compared by its first
// line only: meshctl lists the sections it takes, not receptor's.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshctlBin, requirePeers, runMeshctl, runProgram } from '../helpers/receptor.js';

let dir: string;
let launcher: string;
let realReceptor: string;

beforeAll(async () => {
  realReceptor = requirePeers().receptor;
  if (!existsSync(path.join(meshctlBin(), '..', '..', 'dist', 'cli-bundle', 'main.cjs'))) throw new Error('meshctl is not built: run `npm run build`');
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-interop-launcher-'));
  const r = await runMeshctl(['node', 'install-launcher', path.join(dir, 'bin')]);
  if (r.exitCode !== 0) throw new Error(`install-launcher failed (${r.exitCode}): ${r.stderr}`);
  launcher = path.join(dir, 'bin', 'receptor');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function both(args: string[]) {
  // Each in its own empty working directory: neither may leave files behind or see the other's.
  const [real, ours] = await Promise.all([
    runProgram(realReceptor, args, { cwd: dir, timeoutMs: 30_000 }),
    runProgram(launcher, args, { cwd: dir, timeoutMs: 30_000 }),
  ]);
  const view = (r: typeof real) => ({ exit: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr });
  return { real: view(real), ours: view(ours) };
}

const SAME: [string, string[]][] = [
  ['--version', ['--version']],
  ['unknown section', ['--tcp-listner', 'port=0']],
  ['bad key', ['--node', 'id=x', '--tcp-listener', 'prot=1']],
  ['missing required key', ['--node', 'id=x', '--work-command', 'worktype=cat']],
  ['missing required bare key', ['--node', 'id=x', '--tcp-listener']],
  ['negative cost', ['--node', 'id=x', '--tcp-listener', 'port=0', 'cost=-1']],
  ['negative cost on a UDP listener', ['--node', 'id=x', '--udp-listener', 'port=0', 'cost=-1']],
  ['parameter before any section', ['id=x']],
  ['version with another section', ['--node', 'id=x', '--version']],
  ['unknown section before version', ['--version', '--tcp-listner']],
];

describe('interop receptor launcher', () => {
  for (const [what, args] of SAME) {
    it(`interop receptor launcher - ${what}: same stdout, stderr and exit status as receptor 1.6.5`, async () => {
      const { real, ours } = await both(args);
      expect(ours).toEqual(real);
    });
  }

  for (const args of [[], ['--help'], ['--node', 'id=x', '-h']]) {
    it(`interop receptor launcher - usage for [${args.join(' ')}]: stdout, same first line, nothing on stderr, exit 0 as receptor`, async () => {
      const { real, ours } = await both(args);
      expect(ours.exit).toBe(real.exit);
      expect(ours.stderr).toBe(real.stderr);
      expect(ours.stdout.split('\n')[0]).toBe(real.stdout.split('\n')[0]);
    });
  }
});
