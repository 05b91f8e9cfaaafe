// Loads a CommonJS bundle through a V8 code cache kept next to it, so a run deserialises the functions an earlier
// run compiled instead of parsing and compiling ~1.2 MB of JavaScript again (issue 12: `meshctl node` must open
// its control socket within 1.3× `node -e 0`; bench/node-startup.js has the figures).
//
// Node 20 has no module.enableCompileCache (Node 22.1), so this is vm.Script with cachedData:
// - The cache is made by scripts/bundle-cli.mjs (a training run), and remade at exit by any run that found it
//   missing, stale or rejected (a Node upgrade: V8 refuses caches of another version or other V8 flags). Written to
//   a temp file and renamed, so runs that start together never read a half-written cache; a read-only install
//   just runs without one.
// - V8 checks a cache against the source's length only, not its content: the cache starts with a line holding the
//   bundle's size and mtime, and a cache of another build is ignored.
// - V8 also checks the flags: `meshctl node` sets --semi-space-growth-factor (src/cli/young-generation.ts), so the
//   node keeps a cache of its own, made and read with that flag set before the bundle compiles.
// - With --debug (source maps) or NODE_V8_COVERAGE the bundle is required as usual: stack traces and coverage then
//   name dist/cli-bundle/main.cjs exactly as they always did.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Header line of a cache file: which build of the bundle it belongs to. */
function stampOf(stat) {
  return `meshctl-code-cache ${stat.size} ${stat.mtimeMs}\n`;
}

/**
 * Requires `file`, compiled with the code cache `cacheFile`. `flags`: V8 flags the caller sets before the bundle
 * compiles (they are part of what V8 checks, so a cache is only ever made and used under the same flags).
 */
function loadBundle(file, cacheFile, { flags, writeIf } = {}) {
  if (flags) require('node:v8').setFlagsFromString(flags);
  const vm = require('node:vm');
  if (process.sourceMapsEnabled || process.env.NODE_V8_COVERAGE) return require(file);
  const source = fs.readFileSync(file, 'utf8');
  const stamp = stampOf(fs.statSync(file));
  let cachedData;
  try {
    const buf = fs.readFileSync(cacheFile);
    if (buf.toString('latin1', 0, stamp.length) === stamp) cachedData = buf.subarray(stamp.length);
  } catch {
    // no cache yet
  }
  // Module.wrap's text, plus the bundle's import(): node:module itself is not loaded for it (~1 ms).
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __meshctlImport) { ${source}\n});`, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // At exit the cache holds every function this run compiled, not only the top level. `writeIf`: a cache that
    // V8 accepts is never remade, so a bundle that only some lines run (fast.cjs) keeps a cache only from a run
    // that used it; one from a run that passed the line on would hold little more than the top level.
    process.once('exit', () => {
      if (!writeIf || writeIf()) writeCache(script, cacheFile, stamp);
    });
  }
  const mod = { exports: {}, id: file, filename: file, loaded: false };
  // This file's require: the bundles' externals are packages, found from bin/ as from dist/cli-bundle/ (the
  // package's node_modules, then its parents').
  // import() for the bundle: V8 drops a script's import() callback in functions restored from a code cache
  // (scripts/bundle-cli.mjs, sendDynamicImportsOut), this file's own works.
  script.runInThisContext()(mod.exports, require, mod, file, path.dirname(file), (specifier) => import(specifier));
  mod.loaded = true;
  return mod.exports;
}

function writeCache(script, cacheFile, stamp) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(stamp, 'latin1'), script.createCachedData()]));
    fs.renameSync(tmp, cacheFile);
  } catch {
    // A read-only install, or the bundle was removed by a rebuild: run without a cache.
    try {
      fs.unlinkSync(tmp);
    } catch {
      // nothing written
    }
  }
}

module.exports = { loadBundle };
