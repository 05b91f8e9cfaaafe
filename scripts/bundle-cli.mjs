// Bundles the command line into one CommonJS file, dist/cli-bundle/main.cjs, for start-up speed. Measured on
// Node 20 (docs/performance.md, "Start-up: where the time goes"):
// - an ES-module entry costs ~14 ms before any code runs (Node starts its ESM loader), and every ESM file loaded
//   costs a resolve, an open/fstat and a compile of its own: the split ESM bundle this replaces loaded ~20 files
//   for `meshctl status`;
// - in one CommonJS file, esbuild turns every module reached only through `import()` into a function run on the
//   first import (`__esm` wrappers), so commands still initialise only what they use, and V8 compiles the
//   functions of the other commands lazily, on first call.
// Large optional dependencies stay external and load from node_modules only when a command needs them (`import()`
// of an external stays a real `import()`, which also loads ES-only packages: @jmespath-community/jmespath for
// --query). The library (`import ... from 'meshctl'`) stays the unbundled tsc output in dist/.
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
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // dist/cli-bundle/main.cjs.map (shipped: package.json "files" has dist): bin/meshctl.js turns source maps on under
  // --debug, so stack traces name src/*.ts lines. Mappings only: a stack trace needs no source text, and the map
  // is parsed at start-up when it is on (sourcesContent made it 2.8 times larger: 1.35 MB against 0.48 MB).
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
  external: ['@peculiar/x509', 'reflect-metadata', 'ws', 'cli-table3', 'yaml', '@jmespath-community/jmespath'],
  define: {
    // The version is known at build time: no package.json read at start-up (src/cli/version.ts).
    __MESHCTL_VERSION__: JSON.stringify(pkg.version),
    // Sources written as ES modules use import.meta.url (createRequire in src/render/table.ts).
    'import.meta.url': '__meshctlImportMetaUrl',
  },
  banner: { js: "var __meshctlImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// Which sources the bundle holds. esbuild wraps each module in a function named by its path (`__esm` for ours,
// `__commonJS` for commander), run on first use; the e2e start-up test reads V8's coverage of those functions to
// check that `--version` and piped `status` run no module they do not use.
const main = Object.keys(result.metafile.outputs).find((f) => f.endsWith('main.cjs'));
writeFileSync(join(outdir, 'inputs.json'), JSON.stringify({ inputs: Object.keys(result.metafile.outputs[main].inputs) }, null, 1) + '\n');
