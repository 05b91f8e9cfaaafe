#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): an ES-module entry costs Node ~14 ms of start-up before any code runs.
'use strict';
// --debug prints stack traces; with source maps they name src/*.ts lines instead of the bundle's. Node reads a
// file's map (dist/cli-bundle/main.cjs.map) when it compiles the file, so it must be switched on before the require,
// and only then: parsing the map costs ~9 ms (`status` 98.5 → 106.1 ms), which a run without --debug never pays.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
const { loadBundle } = require('./code-cache.js');
const dir = require('node:path').join(__dirname, '..', 'dist', 'cli-bundle');
const argv = process.argv.slice(2);
const finish = (code) => {
  process.exitCode = code;
};
if (argv[0] === 'node') {
  // `meshctl node` keeps V8's young generation small (src/cli/young-generation.ts). V8 checks its flags against a
  // code cache's, so they are set before the bundles compile and the node's caches are its own. `node -c FILE`
  // runs from dist/cli-bundle/node.cjs (src/cli/node-main.ts); any other node line goes through the whole CLI.
  const flags = { flags: '--semi-space-growth-factor=1' };
  const { nodeMain } = loadBundle(`${dir}/node.cjs`, `${dir}/node.cjs.cache`, flags);
  nodeMain(argv).then((code) => {
    if (code !== undefined) finish(code);
    else loadBundle(`${dir}/main.cjs`, `${dir}/main.cjs.node-cache`, flags).main(argv).then(finish);
  });
} else {
  // `--version`, `status` and `work list` in their plain shapes run from dist/cli-bundle/fast.cjs (src/cli/fast.ts),
  // without the whole CLI; fastMain returns undefined for any other line. Its code cache is written only by a run
  // of `status` or `work list` (the build trains it with `status`): `--version` or a line passed on compiles
  // little of it. A build older than fast.cjs, or one being rebuilt, runs the whole CLI instead.
  let trains = false;
  let fast;
  try {
    fast = loadBundle(`${dir}/fast.cjs`, `${dir}/fast.cjs.cache`, { writeIf: () => trains });
  } catch (err) {
    if (err?.code !== 'ENOENT') throw err;
  }
  let run = fast?.fastMain(argv);
  if (run) trains = argv.length > 1 || (argv[0] !== '--version' && argv[0] !== '-V');
  run ??= loadBundle(`${dir}/main.cjs`, `${dir}/main.cjs.cli-cache`).main(argv);
  run.then(finish);
}
