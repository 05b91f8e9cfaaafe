// Receptor mode's edges (src/cli/receptor-compat.ts) and the launcher script (issue 12: `receptor` run as
// meshctl node). The texts compared here are receptor 1.6.5's; the interop test checks them against the binary.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { immediateAnswer, receptorWording, refuseLeadingParameter, refuseVersionWithOthers } from '../../../src/cli/receptor-compat.js';
import { launcherScript } from '../../../src/commands/node/install-launcher.js';
import { loadNodeArgs } from '../../../src/config/argv.js';
import { MeshctlError } from '../../../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-unit-launcher-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('receptor compat', () => {
  it('receptor compat - --version alone is the version; with other words it is not answered at once', () => {
    expect(immediateAnswer(['--version'])).toBe('1.6.5\n');
    expect(immediateAnswer(['-Version'])).toBe('1.6.5\n');
    expect(immediateAnswer(['--node', 'id=x', '--version'])).toBeUndefined();
    expect(immediateAnswer(['--node', 'id=x'])).toBeUndefined();
  });

  it('receptor compat - no words, --help or -h anywhere answer with usage', () => {
    for (const w of [[], ['--help'], ['--node', 'id=x', '-h'], ['--version', '--help']]) {
      expect(immediateAnswer(w)!.split('\n')[0]).toBe('Usage: receptor [--<action> [<param>=<value> ...] ...]');
    }
  });

  it('receptor compat - version with other sections: their errors first, then the exclusive-section error', async () => {
    await expect(refuseVersionWithOthers(['--tcp-listner', '--version'], loadNodeArgs)).rejects.toThrow(/unknown section '--tcp-listner'/);
    await expect(refuseVersionWithOthers(['--node', 'id=x', '--version'], loadNodeArgs)).rejects.toThrow('cannot specify any other options with version');
    await expect(refuseVersionWithOthers(['--node', 'id=x'], loadNodeArgs)).resolves.toBeUndefined();
  });

  it("receptor compat - meshctl's word-form errors become receptor's texts; others lose only the argv location", async () => {
    const wording = async (words: string[]) => {
      try {
        refuseLeadingParameter(words);
        await loadNodeArgs(words);
      } catch (e) {
        return receptorWording(e);
      }
      throw new Error(`no error for ${words.join(' ')}`);
    };
    expect(await wording(['--tcp-listner', 'port=0'])).toBe('command error: unknown config type tcp-listner');
    expect(await wording(['--node', 'id=x', '--tcp-listener', 'prot=1'])).toBe('config error: unknown field name prot');
    expect(await wording(['--node', 'id=x', '--work-command', 'worktype=cat'])).toBe('error in --work-command: required parameter missing: command');
    expect(await wording(['--node', 'id=x', '--tcp-listener', 'port=0', 'cost=-1'])).toBe('connection cost must be positive');
    expect(await wording(['install-launcher', 'x'])).toBe('parameter specified before command');
    expect(receptorWording(new MeshctlError('EBADCONFIG', "argv: --udp-listener: section 'udp-listener' is not supported"))).toBe(
      "section 'udp-listener' is not supported",
    );
    expect(receptorWording(new MeshctlError('EBADCONFIG', 'x.yaml:3: entry #1 (node): bad'))).toBe('x.yaml:3: entry #1 (node): bad');
  });

  it('receptor compat - the launcher script hands every word to meshctl.js unchanged, paths with quotes included', async () => {
    // A stand-in meshctl.js in a directory whose name needs quoting prints the argv it was given.
    const binDir = path.join(dir, "it's here");
    await mkdir(binDir);
    const fakeMeshctl = path.join(binDir, 'meshctl.js');
    await writeFile(fakeMeshctl, 'console.log(JSON.stringify(process.argv.slice(2)));\n');
    const file = path.join(dir, 'receptor');
    await writeFile(file, launcherScript(process.execPath, fakeMeshctl), { mode: 0o755 });
    const words = ['--node', 'id=a b', "x='y'", '$HOME', '"', ''];
    const r = spawnSync(file, words, { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['node', '--receptor-compat', ...words]);
  });
});
