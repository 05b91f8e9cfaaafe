// Bundles the command line into dist/cli-bundle/ for start-up speed: one ESM entry plus chunks for what
// commands import lazily. Node's ESM loader pays per module (resolution, stat, compile), and commander is
// CommonJS (parsed by the CJS lexer when imported from ESM); a bundle avoids both. The library
// (`import ... from 'meshctl'`) stays the unbundled tsc output in dist/.
//
// Large optional dependencies stay external and load from node_modules only when a command needs them.
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outdir = join(root, 'dist', 'cli-bundle');
rmSync(outdir, { recursive: true, force: true });

const result = await build({
  entryPoints: { main: join(root, 'src', 'cli', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
  external: ['@peculiar/x509', 'reflect-metadata', 'ws', 'cli-table3', 'ora', 'yaml'],
  // The version is known at build time: no package.json read at start-up (src/cli/version.ts).
  define: { __MESHCTL_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS code inside the bundle (commander) may call require() for Node built-ins.
  banner: { js: "import { createRequire as __meshctlCreateRequire } from 'node:module'; const require = __meshctlCreateRequire(import.meta.url);" },
});

// Which sources each output file holds: the e2e start-up test checks from it that `--version` and piped
// `status` load no module they do not use.
const outputs = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.js')) outputs[file.split('/').pop()] = Object.keys(out.inputs);
}
writeFileSync(join(outdir, 'inputs.json'), JSON.stringify(outputs, null, 1) + '\n');
