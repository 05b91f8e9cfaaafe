// `meshctl node install-launcher DIR`: writes DIR/receptor, a small sh script that runs this meshctl's node in
// receptor mode (`meshctl node --receptor-compat ...`, src/cli/receptor-compat.ts), so a suite that starts
// `receptor --node id=x ...` (receptorctl's pytest fixture, receptor's tests/functional/cli) runs unchanged with
// DIR first on its PATH. The same approach as pyenv/asdf shims: an explicit script on PATH, not argv[0] magic.
// The script names the node binary and bin/meshctl.js by absolute path, so it works whatever PATH the suite sets.
import { chmod, mkdir, realpath, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Factory } from '../../cmdutil/factory.js';
import { MeshctlError } from '../../errors.js';

export interface InstallLauncherOptions {
  dir: string;
}

/** sh single-quoting: the only character that needs care inside '...' is ' itself. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function launcherScript(nodeBin: string, meshctlJs: string): string {
  return [
    '#!/bin/sh',
    '# Written by `meshctl node install-launcher`: runs meshctl node as receptor 1.6.5 would be run (version,',
    '# usage, `Error: ...` on stdout and exit 1 follow receptor). See docs/node.md "Running as receptor".',
    `exec ${shQuote(nodeBin)} ${shQuote(meshctlJs)} node --receptor-compat "$@"`,
    '',
  ].join('\n');
}

export async function run(opts: InstallLauncherOptions, f: Factory): Promise<void> {
  // The running script is this meshctl's bin/meshctl.js (or a symlink to it, as npm installs it).
  const script = process.argv[1] ? await realpath(process.argv[1]).catch(() => undefined) : undefined;
  if (script === undefined || path.basename(script) !== 'meshctl.js') {
    throw new MeshctlError('EINTERNAL', `cannot tell where meshctl's bin/meshctl.js is (running '${process.argv[1] ?? ''}')`, {
      hint: 'run install-launcher through bin/meshctl.js or the installed meshctl command',
    });
  }
  const dir = path.resolve(opts.dir);
  await mkdir(dir, { recursive: true }).catch((cause: NodeJS.ErrnoException) => {
    throw new MeshctlError('EUSAGE', `cannot create launcher directory '${dir}': ${cause.code ?? cause.message}`, {
      cause,
      hint: 'give a directory you can write to',
    });
  });
  const target = path.join(dir, 'receptor');
  // Written beside and renamed into place: a suite already running the old launcher never sees half a script.
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, launcherScript(process.execPath, script), { mode: 0o755 });
    await chmod(tmp, 0o755);
    await rename(tmp, target);
  } catch (e) {
    const cause = e as NodeJS.ErrnoException;
    throw new MeshctlError('EUSAGE', `cannot write launcher '${target}': ${cause.code ?? cause.message}`, {
      cause,
      hint: 'give a directory you can write to',
    });
  }
  f.io.stdout.write(`${target}\n`);
}
