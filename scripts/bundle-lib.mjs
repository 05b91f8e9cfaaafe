// The library's CommonJS entry points and the declarations both module systems read (issue 12: a CommonJS
// TypeScript project compiled cleanly against meshctl and then failed at run time with ERR_PACKAGE_PATH_NOT_EXPORTED).
// Runs after tsc, which writes the ES-module library (dist/*.js) and its declarations (dist/*.d.ts).
//
// - dist/cjs/lib.js: one CommonJS bundle of both entries (`meshctl` and `meshctl/testing`), so the two share one
//   copy of every class: `err instanceof MeshctlError` holds for an error thrown through meshctl/testing.
//   dist/cjs/index.js and dist/cjs/testing.js each re-export their half. Dependencies stay external (require()d
//   from node_modules, as the ES-module build imports them).
// - dist/cjs/package.json says "type": "commonjs", so TypeScript (module node16/nodenext) reads the declarations
//   copied under dist/cjs as CommonJS: a .d.ts under the package's "type": "module" is an ES module to it, and a
//   CommonJS project may not require() one (TS1479).
// - Default imports of Node's modules in the declarations become namespace imports (no esModuleInterop needed).
// - Every declaration file that names Node's types gets `/// <reference types="node" />`, so a consumer compiling
//   with skipLibCheck: false and no `types` setting of its own still finds them (with @types/node installed).
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const outdir = join(dist, 'cjs');
const ENTRIES = { index: 'index', testing: 'testing/index' };
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

await build({
  stdin: {
    contents: Object.entries(ENTRIES)
      .map(([name, src]) => `export * as ${name} from './src/${src}.ts';`)
      .join('\n'),
    resolveDir: root,
    sourcefile: 'meshctl-lib.ts',
    loader: 'ts',
  },
  outfile: join(outdir, 'lib.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});
writeFileSync(join(outdir, 'package.json'), '{\n  "type": "commonjs"\n}\n');
for (const name of Object.keys(ENTRIES)) {
  writeFileSync(join(outdir, `${name}.js`), `'use strict';\nmodule.exports = require('./lib.js').${name};\n`);
}

// The declaration files the entries reach (relative imports only), from tsc's output.
const reached = new Set();
const queue = Object.values(ENTRIES).map((src) => join(dist, `${src}.d.ts`));
while (queue.length > 0) {
  const file = queue.pop();
  if (reached.has(file)) continue;
  if (!existsSync(file)) throw new Error(`bundle-lib: ${relative(root, file)} is missing; run tsc first`);
  reached.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:from\s+|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = resolve(dirname(file), m[1]);
    queue.push(target.endsWith('.js') ? target.replace(/\.js$/, '.d.ts') : join(target, 'index.d.ts'));
  }
}

const REFERENCE = '/// <reference types="node" />\n';
// Node's modules, its globals, or the NodeJS namespace.
const USES_NODE = /from ['"]node:|import\(['"]node:|\bNodeJS\.|\bBuffer\b|\bAbortSignal\b|\bAsyncDisposable\b/;
// tsc keeps the sources' default imports of Node's modules (`import type net from 'node:net'`), which compile only
// with esModuleInterop or allowSyntheticDefaultImports; a namespace import names the same types without either
// (found by the consumer test's `module: commonjs` project: TS1192 "Module 'node:net' has no default export").
const NODE_DEFAULT_IMPORT = /^import (type )?([A-Za-z_$][\w$]*)(?:, (\{[^}]*\}))? from (['"]node:[\w/]+['"]);$/gm;
let referenced = 0;
for (const file of reached) {
  let text = readFileSync(file, 'utf8').replace(NODE_DEFAULT_IMPORT, (_all, type = '', name, named, from) =>
    `import ${type}* as ${name} from ${from};${named ? `\nimport ${type}${named} from ${from};` : ''}`,
  );
  writeFileSync(file, text);
  if (USES_NODE.test(text) && !text.startsWith(REFERENCE)) {
    text = REFERENCE + text;
    writeFileSync(file, text);
    referenced++;
  }
  const copy = join(outdir, relative(dist, file));
  mkdirSync(dirname(copy), { recursive: true });
  copyFileSync(file, copy);
}
console.log(`bundle-lib: dist/cjs (lib.js, ${Object.keys(ENTRIES).length} entries), ${reached.size} declaration files (${referenced} given the node reference)`);
