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
//
// `meshctl node` start-up (issue 12: a ready control socket within 1.3× `node -e 0`; bench/node-startup.js):
// - yaml and ws are bundled: from node_modules, yaml alone was ~60 files to resolve, stat and compile.
// - Modules the node needs only for some configurations load on first use (scripts/lazy-modules.mjs): ws with http,
//   https and zlib (WebSocket backends), tls (TLS listeners and peers), child_process (the first unit).
// - `meshctl node -c FILE` has a bundle of its own, dist/cli-bundle/node.cjs (src/cli/node-main.ts): no
//   commander, command tree or client code to load.
// - bin/meshctl.js compiles the bundles with a V8 code cache (bin/code-cache.js), made here by a training run
//   (trainCodeCache below) and remade by the first run after a Node upgrade.
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lazyModules } from './lazy-modules.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outdir = join(root, 'dist', 'cli-bundle');
rmSync(outdir, { recursive: true, force: true });

/**
 * Modules loaded on first use rather than when the module importing them starts (scripts/lazy-modules.mjs).
 * Measured (bench/node-startup.js, docs/performance.md): the node with a Unix control socket only loaded
 * http, https, zlib, tls and child_process (~10 ms of Node's own module start-up) and never used them.
 */
const LAZY_MODULES = ['ws', 'node:http', 'node:https', 'node:zlib', 'node:tls', 'node:child_process'];

// @matrixai/quic (optional, src/node/mesh/quic.ts): a native .node binding, loaded by import() on first QUIC use.
const EXTERNAL = ['@peculiar/x509', 'reflect-metadata', 'cli-table3', '@jmespath-community/jmespath', '@matrixai/quic'];

/** One self-contained CommonJS bundle, dist/cli-bundle/NAME.cjs. */
function bundle(name, entry, { external = EXTERNAL, lazy = LAZY_MODULES, minify = false } = {}) {
  return build({
    entryPoints: { [name]: entry },
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // dist/cli-bundle/main.cjs.map (shipped: package.json "files" has dist): bin/meshctl.js turns source maps on
    // under --debug, so stack traces name src/*.ts lines. Mappings only: a stack trace needs no source text, and the
    // map is parsed at start-up when it is on (sourcesContent made it 2.8 times larger: 1.35 MB against 0.48 MB).
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
    metafile: true,
    external,
    // Whitespace and syntax only: names stay, so a stack trace still reads (and --debug maps it to src/).
    minifyWhitespace: minify,
    minifySyntax: minify,
    plugins: [lazyModules(lazy, root)],
    define: {
      // The version is known at build time: no package.json read at start-up (src/cli/version.ts).
      __MESHCTL_VERSION__: JSON.stringify(pkg.version),
      // Sources written as ES modules use import.meta.url (createRequire in src/render/table.ts).
      'import.meta.url': '__meshctlImportMetaUrl',
    },
    // __impt: see sendDynamicImportsOut.
    banner: {
      js:
        "var __meshctlImportMetaUrl = require('node:url').pathToFileURL(__filename).href;\n" +
        "var __impt = typeof __meshctlImport === 'function' ? __meshctlImport : (s) => import(s);",
    },
  }).then((result) => sendDynamicImportsOut(result));
}

/**
 * Node 20 loses a script's import() callback for functions V8 restores from a code cache: `import('x')` in the
 * bundle then fails with "A dynamic import callback was not specified" (seen on 20.20; vm.Script with
 * importModuleDynamically set, first run fine, cached runs not). So every `import("pkg")` esbuild left (the
 * external packages loaded on demand, @jmespath-community/jmespath being ES-only) becomes `__impt("pkg")`: the
 * import() of bin/code-cache.js, compiled by Node's own loader, passed in as __meshctlImport (a plain require of
 * the bundle falls back to its own import()). Same length, so the source map's columns still hold.
 */
function sendDynamicImportsOut(result) {
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith('.cjs')) continue;
    const expected = out.imports.filter((i) => i.kind === 'dynamic-import' && i.external).length;
    const path = join(root, file);
    let found = 0;
    const text = readFileSync(path, 'utf8').replace(/(?<![\w$.])import\("/g, () => {
      found++;
      return '__impt("';
    });
    if (found !== expected) throw new Error(`${file}: ${found} import("...") calls, the metafile has ${expected} dynamic imports of externals`);
    writeFileSync(path, text);
  }
  return result;
}

const [result, , fastResult] = await Promise.all([
  bundle('main', join(root, 'src', 'cli', 'main.ts')),
  // `meshctl node -c FILE` alone (src/cli/node-main.ts): under half of main.cjs to read and deserialise. commander
  // is reached only by the error path (printError's `instanceof CommanderError`): loaded from node_modules then.
  // node:crypto (~5 ms) waits for its first use too (TLS, work signing, unit IDs): nothing the node runs before its
  // socket opens needs it. Not in main.cjs: the cert commands hand webcrypto to @peculiar/x509, whose methods
  // check their receiver, which a Proxy is not. Minified (774 KB → 492 KB to read and scan): ~2.5 ms less to a
  // ready socket, measured interleaved (88.8 → 86.2 ms, `node -e 0` 59.7 ms).
  bundle('node', join(root, 'src', 'cli', 'node-main.ts'), {
    external: [...EXTERNAL, 'commander'],
    lazy: [...LAZY_MODULES, 'commander', 'node:crypto'],
    minify: true,
  }),
  // `meshctl --version`, `status` and `work list` in their plain shapes (src/cli/fast.ts; issue 13: within 1.15×
  // `node -e 0`): the run, the factory, the client and the two verbs, no commander (reached only by printError's
  // `instanceof CommanderError`, which a fast line never throws) and no command tree. yaml stays in node_modules:
  // these lines never print YAML, and the contexts file reaches it only when quickTree gives up (or through a
  // context's --config). Built-ins the factory and the client import for other commands wait for their first use:
  // node:crypto and node:fs/promises (writing the contexts file, TLS files), node:os (`~` in an address),
  // node:timers/promises (follow, wait), node:module (createRequire of yaml and cli-table3, which Node's ES-module
  // loader comes with); each costs ~0.5–2 ms to load.
  bundle('fast', join(root, 'src', 'cli', 'fast.ts'), {
    external: [...EXTERNAL, 'commander', 'yaml'],
    lazy: [...LAZY_MODULES, 'commander', 'node:crypto', 'node:fs/promises', 'node:module', 'node:os', 'node:timers/promises'],
    minify: true,
  }),
]);

// Which sources the bundles hold (`inputs`: main.cjs, `fast`: fast.cjs). esbuild wraps each module in a function
// named by its path (`__esm` for ours, `__commonJS` for commander), run on first use; the e2e start-up test reads
// V8's coverage of those functions to check that `--version` and piped `status` run no module they do not use.
const inputsOf = (r, name) => Object.keys(r.metafile.outputs[Object.keys(r.metafile.outputs).find((f) => f.endsWith(name))].inputs);
writeFileSync(join(outdir, 'inputs.json'), JSON.stringify({ inputs: inputsOf(result, 'main.cjs'), fast: inputsOf(fastResult, 'fast.cjs') }, null, 1) + '\n');

/**
 * The code caches bin/meshctl.js compiles the bundle with (bin/code-cache.js): a run that finds none writes one
 * at exit, holding every function it compiled. Made here by the runs that matter most for start-up: a node
 * started from a config file until its control socket answers (node.cjs.cache), and `status` against it, through
 * the fast path (fast.cjs.cache) and through the whole CLI (main.cjs.cli-cache). Without them, the first run
 * after a build writes its own. A failure here only costs speed.
 */
async function trainCodeCache() {
  const dir = mkdtempSync(join(tmpdir(), 'meshctl-code-cache-'));
  const bin = join(root, 'bin', 'meshctl.js');
  const socket = join(dir, 'ctl.sock');
  const env = { ...process.env };
  delete env.NODE_V8_COVERAGE; // a covered run requires the bundle without the cache (and writes none)
  let node;
  try {
    const config = join(dir, 'node.yaml');
    writeFileSync(
      config,
      `---\n- node:\n    id: codecache\n    datadir: ${join(dir, 'data')}\n- log-level: info\n- control-service:\n    service: control\n    filename: ${socket}\n- work-command:\n    worktype: cat\n    command: cat\n`,
    );
    node = spawn(process.execPath, [bin, 'node', '-c', config], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    node.stderr.on('data', (d) => (log += d));
    const exited = new Promise((resolve) => node.once('exit', resolve));
    const deadline = Date.now() + 20_000;
    while (!(existsSync(socket) && (await canConnect(socket)))) {
      if (node.exitCode !== null || Date.now() > deadline) throw new Error(`the node did not start: ${log.trim()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // `status` runs from fast.cjs (src/cli/fast.ts); `status --wide` is not one of its lines, so it goes through the
    // whole CLI, which every command other than the fast path's uses.
    for (const line of [['status'], ['status', '--wide']]) {
      const r = spawnSync(process.execPath, [bin, '-s', socket, ...line], { env, encoding: 'utf8', timeout: 20_000 });
      if (r.status !== 0) throw new Error(`${line.join(' ')} failed: ${r.stderr.trim()}`);
    }
    node.kill('SIGTERM');
    await exited;
    for (const f of ['node.cjs.cache', 'fast.cjs.cache', 'main.cjs.cli-cache']) if (!existsSync(join(outdir, f))) throw new Error(`no ${f} written`);
  } catch (err) {
    console.error(`bundle-cli: no code cache made (${err.message}); the first run after this build makes it`);
    if (node && node.exitCode === null) node.kill('SIGKILL');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function canConnect(path) {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

await trainCodeCache();
